"""How far raters agree: on one item, and over every item of the cycle.

Every statistic is shown with the n it rests on, and labelled "few ratings" when n is small.
"""

from __future__ import annotations

import streamlit as st

from review import reconcile
from review.access import Actor
from review.agreement import AgreementSummary, Stat
from review.db import Cycle
from review.rubrics import Rubric
from ui import context
from ui.components import table

FEW = "few ratings"
PERCENT = "{:.0f}%"

ITEM_COLUMNS = {
    "Item": st.column_config.TextColumn(pinned=True),
    "Exact": st.column_config.TextColumn(
        "Exact agreement", help="Pairs of peers who gave the same level"
    ),
    "Adjacent": st.column_config.TextColumn(
        "Adjacent agreement", help="Pairs of peers within one level of each other"
    ),
    "Alpha": st.column_config.TextColumn(
        "Krippendorff's alpha", help="Agreement beyond chance over every rater"
    ),
    "Alpha n": st.column_config.TextColumn("Levels (n)"),
}


def _value(stat: Stat, form: str = "{:.2f}") -> str:
    return "undefined" if stat.value is None else form.format(stat.value)


def _row(label: str, stat: Stat, form: str = "{:.2f}") -> dict[str, object]:
    return {"": label, "Value": _value(stat, form), "n": stat.n, "Note": FEW if stat.few else ""}


def show(summary: AgreementSummary, key: str) -> None:
    """Exact and adjacent agreement, alpha and each pair's kappa; then each reviewer's leniency."""
    table.show(
        [
            _row("Exact agreement", summary.exact, PERCENT),
            _row("Adjacent agreement (within one level)", summary.adjacent, PERCENT),
            _row("Krippendorff's alpha (ordinal)", summary.alpha),
        ]
        + [_row(f"Weighted kappa {a} × {b}", k) for a, b, k in summary.pair_kappas],
        key=f"{key}_stats",
    )
    st.caption(
        "Leniency: a reviewer's mean level minus the mean of the other raters on the same "
        "district and item (positive = more generous)."
    )
    table.show(
        [_row(f"Reviewer {code}", stat, "{:+.2f}") for code, stat in summary.leniency.items()],
        key=f"{key}_leniency",
    )


def network(actor: Actor, cycle: Cycle, rubric: Rubric) -> None:
    """Agreement over every item of the cycle, then item by item."""
    with context.database().reading() as s:
        overview = reconcile.agreement_overview(s, actor, cycle, rubric)
    show(overview.overall, "calibration_overall")
    table.show(
        [
            {
                "Item": i.item,
                "Exact": _value(i.exact, PERCENT),
                "Adjacent": _value(i.adjacent, PERCENT),
                "Pairs (n)": i.exact.n,
                "Alpha": _value(i.alpha),
                "Alpha n": i.alpha.n,
                "Note": FEW if i.exact.few or i.alpha.few else "",
            }
            for i in overview.items
        ],
        ITEM_COLUMNS,
        key="calibration_items",
    )
