"""Rows as schema revision 0004 stored them, written in plain SQL for migration tests."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

NOW = "'2016-01-01 00:00:00'"
Rating = tuple[int, str, str, int | None, bool]  # id, source, status, level, not applicable


def insert_rows(conn: Connection, *, roles: str, ratings: Sequence[Rating]) -> None:
    """Cycle 1, district 1, user 1 holding `roles` (a JSON list) and `ratings` of item I<id>."""
    conn.execute(
        text(
            "INSERT INTO cycles (id, name, rubric_id, rubric_version, rubric_hash, settings, "
            f"deadlines, released, created_at) VALUES (1, 'c', 'r', 'v1', 'h', '{{}}', '{{}}', "
            f"false, {NOW})"
        )
    )
    conn.execute(
        text(
            "INSERT INTO districts (id, code, name, enrollment, school_count, priority_count, "
            "focus_count, reward_count) VALUES (1, 'A', 'District A', 1, 1, 0, 0, 0)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO users (id, email, name, roles, failed_signins, active) "
            "VALUES (1, 'c@x.example', 'C', :roles, 0, true)"
        ),
        {"roles": roles},
    )
    for rating_id, source, status, level, not_applicable in ratings:
        conn.execute(
            text(
                "INSERT INTO ratings (id, cycle_id, district_id, item_id, rater_district_id, "
                "source, level, not_applicable, narrative, suggestions, context_values, status, "
                "row_version, updated_at) VALUES (:id, 1, 1, :item, 1, :source, :level, :na, "
                f"'', '', '{{}}', :status, 1, {NOW})"
            ),
            {
                "id": rating_id,
                "item": f"I{rating_id}",
                "source": source,
                "level": level,
                "na": not_applicable,
                "status": status,
            },
        )
