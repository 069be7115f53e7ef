"""The packet's record sheets: summary, questions and discussion, context measures, audit
trail, definitions and sign-off (times as real date cells, in UTC)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from exports.report import Report

if TYPE_CHECKING:  # excel.py draws these sheets, and imports this module to do it
    from exports.excel import Cell

    Sheet = tuple[str, list[str], list[list[Cell]]]


def record_sheets(report: Report) -> Iterator[Sheet]:
    yield "Summary", ["Part", "Text"], _summary(report)
    yield (
        "Questions and discussion",
        ["Item", "Kind", "From", "At (UTC)", "Text"],
        [[i.item_id, n.kind, n.author, n.at, n.body] for i in report.items for n in i.notes],
    )
    yield (
        "Context measures",
        ["Item", "Measure", "Reported", "Students", "Per 1,000 students"],
        [
            [
                i.item_id,
                c.label,
                c.count,
                report.enrollment,
                c.per_thousand,
            ]
            for i in report.items
            for c in i.context
        ],
    )
    yield (
        "Rubric wording",
        ["Item", "Level", "Whose words"],
        [[i.item_id, level, words] for i in report.items for level, words in i.wording],
    )
    yield (
        "Audit trail",
        ["When (UTC)", "Who", "Action", "Item", "Before", "After"],
        [[r.at, r.who, r.action, r.item, r.before, r.after] for r in report.audit_rows],
    )
    yield (
        "Definitions",
        ["Section", "Term", "Meaning"],
        [
            [section, term, meaning]
            for section, terms in report.definitions
            for term, meaning in terms
        ],
    )
    if report.sign_off:
        yield (
            "Sign-off",
            ["Role", "Name", "Signature", "Date"],
            [[role, name, None, None] for role, name in report.sign_off],
        )


def _summary(report: Report) -> list[list[Cell]]:
    rows: list[list[Cell]] = [
        ["Overall compliance status", report.overall_status],
        ["Data as of (UTC)", report.as_of],
    ]
    if report.finalized:
        rows += [["Finalized on (UTC)", report.finalized[0]], ["Finalized by", report.finalized[1]]]
    return rows + [["Summary", paragraph] for paragraph in report.summary]
