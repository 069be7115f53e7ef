"""District summaries computed once, by the index import, and read back by pages and exports.

Loading a network's results and computing them took seconds; reading one stored summary takes
milliseconds. A stored summary is keyed by what it was computed from: the cycle, its import
count (`Cycle.index_imports`, moved by the same import), its index spec and the code that
computed it (`SUMMARY_FORMAT`). A reader names the key it expects, so a summary of another
import is never returned; a missing one is reported as such and computed by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from review.db import Cycle, IndexSummary
from review.errors import NotFound
from review.index.compute import IndexResults
from review.index.models import DistrictSummary
from review.index.summary import summarise_district

__all__ = ["SUMMARY_FORMAT", "stored_summaries", "store_summaries", "without_details"]

# Move this when summaries change shape or content: stored ones of an older format are ignored
# (computed afresh) until the next import stores new ones.
SUMMARY_FORMAT = 1


def store_summaries(
    session: Session, cycle: Cycle, imports: int, results: IndexResults, codes: Iterable[str]
) -> int:
    """Replace the cycle's stored summaries with those of `codes`, in the caller's transaction.

    Args:
        session: the import's session.
        cycle: the cycle imported into; `results` were computed by its `index_spec`.
        imports: the cycle's import count after this import.
        results: the whole network's computed results (network medians need every school).
        codes: the network's district codes; one without results is stored as "no results".

    Returns:
        The number of summaries stored.
    """
    session.execute(delete(IndexSummary).where(IndexSummary.cycle_id == cycle.id))
    rows = [
        {
            "cycle_id": cycle.id,
            "district_code": code,
            "index_imports": imports,
            "index_spec": cycle.index_spec,
            "summary_format": SUMMARY_FORMAT,
            "summary": None if summary is None else summary.model_dump_json(),
        }
        for code, summary in ((c, _summarise(results, c)) for c in sorted(set(codes)))
    ]
    if rows:
        session.connection().execute(insert(cast(Table, IndexSummary.__table__)), rows)
    return len(rows)


def stored_summaries(
    session: Session, cycle_id: int, imports: int, spec: str | None, codes: Iterable[str]
) -> dict[str, DistrictSummary | None]:
    """The summaries stored for exactly this key, by district code (None: no results).

    A code missing from the answer has no summary stored for this key (results imported before
    summaries were stored, a district added since, an older `SUMMARY_FORMAT`): compute it.
    """
    wanted = sorted(set(codes))
    if spec is None or not wanted:
        return {}
    query = select(IndexSummary.district_code, IndexSummary.summary).where(
        IndexSummary.cycle_id == cycle_id,
        IndexSummary.index_imports == imports,
        IndexSummary.index_spec == spec,
        IndexSummary.summary_format == SUMMARY_FORMAT,
        IndexSummary.district_code.in_(wanted),
    )
    return {
        code: None if text is None else DistrictSummary.model_validate_json(text)
        for code, text in session.execute(query)
    }


def without_details(summary: DistrictSummary | None) -> DistrictSummary | None:
    """The summary as `summarise_district(..., details=False)` builds it (packets need no more)."""
    return None if summary is None else summary.model_copy(update={"details": ()})


def _summarise(results: IndexResults, code: str) -> DistrictSummary | None:
    try:
        return summarise_district(results, code)
    except NotFound:  # no schools of this district in the results
        return None
