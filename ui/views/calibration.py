"""Calibration: one item across the whole network, agreement statistics and calibration reviews.

Every statistic is shown with the n it rests on, and labelled "few ratings" when n is small.
"""

import streamlit as st

from review import reconcile
from review.agreement import AgreementSummary, Stat
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.components.descriptors import short_level
from ui.guard import act
from ui.markup import inert

FEW = "few ratings"
PERCENT = "{:.0f}%"


def _value(stat: Stat, form: str = "{:.2f}") -> str:
    return "undefined" if stat.value is None else form.format(stat.value)


def _row(label: str, stat: Stat, form: str = "{:.2f}") -> dict[str, object]:
    return {"": label, "Value": _value(stat, form), "n": stat.n, "Note": FEW if stat.few else ""}


def _agreement(summary: AgreementSummary, key: str) -> None:
    st.dataframe(
        [
            _row("Exact agreement", summary.exact, PERCENT),
            _row("Adjacent agreement (within one level)", summary.adjacent, PERCENT),
            _row("Krippendorff's alpha (ordinal)", summary.alpha),
        ]
        + [_row(f"Weighted kappa {a} × {b}", k) for a, b, k in summary.pair_kappas],
        hide_index=True,
        width="stretch",
        key=f"{key}_stats",
    )
    st.caption(
        "Leniency: a reviewer's mean level minus the mean of the other raters on the same "
        "district and item (positive = more generous)."
    )
    st.dataframe(
        [_row(f"Reviewer {code}", stat, "{:+.2f}") for code, stat in summary.leniency.items()],
        hide_index=True,
        width="stretch",
        key=f"{key}_leniency",
    )


def render() -> None:
    actor = state.signed_in()
    st.title("Calibration")
    state.show_flash()
    cycle, rubric = cycle_picker.current()
    item_id = st.selectbox(
        "Item",
        [i.id for i in rubric.items],
        key="calibration_item",
        format_func=lambda i: f"{i} · {rubric.item(i).title}",
    )
    db = context.database()
    with db.reading() as s:
        view = reconcile.calibration_view(s, actor, cycle, rubric, item_id)
        requests = reconcile.calibration_requests(s, actor, cycle)

    st.caption(
        f"Cycle {inert(cycle.name)} · network median of peer levels: "
        + (f"{view.network_median:g}" if view.network_median is not None else "too few districts")
    )
    st.dataframe(
        [
            {
                "Code": d.code,
                "District": d.name,
                "Enrollment": d.enrollment,
                "Size band": d.size_band,
                "Triad": d.triad,
                "Self": short_level(d.self_level),
                "Peers": ", ".join(f"{c} {short_level(v)}" for c, v in d.peer_levels.items()),
                "Final": short_level(d.final_level, d.final_not_applicable),
                "Flags": ", ".join(reconcile.RULE_LABELS.get(f.rule, f.rule) for f in d.flags),
                "Evidence": ", ".join(e.file_name for e in d.evidence),
            }
            for d in view.districts
        ],
        hide_index=True,
        width="stretch",
        key="calibration_districts",
    )
    with st.expander("Level descriptors"):
        for level, text in sorted(view.descriptors.items()):
            st.markdown(f"**{rubric.label(level)}**")
            st.write(text)

    st.header(f"Agreement on {view.item}")
    _agreement(view.agreement, "calibration_item")
    with st.expander("Agreement across the network (every item)"):
        with db.reading() as s:
            overview = reconcile.agreement_overview(s, actor, cycle, rubric)
        _agreement(overview.overall, "calibration_overall")
        st.dataframe(
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
            hide_index=True,
            width="stretch",
            key="calibration_items",
            column_config={
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
            },
        )

    st.header("Calibration review")
    open_requests = [r for r in requests if r.open]
    if open_requests:
        st.dataframe(
            [
                {
                    "Item": r.item,
                    "Reason": r.reason,
                    "Requested by": r.requested_by,
                    "On": f"{r.requested_at:%Y-%m-%d}",
                }
                for r in open_requests
            ],
            hide_index=True,
            width="stretch",
            key="calibration_open",
        )
    else:
        st.caption("No item is under calibration review.")
    pending = next((r for r in open_requests if r.item == view.item), None)
    if pending is None:
        reason = st.text_area(
            "Why should the network look at this item again?", key=f"calibration_reason_{view.item}"
        )
        if st.button("Send for calibration review", key=f"calibration_send_{view.item}"):
            act(
                lambda s: reconcile.send_for_calibration(
                    s, actor, cycle, rubric, item_id=view.item, reason=reason
                ),
                done=f"{view.item} is under calibration review; no district can be finalized "
                "until it is resolved.",
                rerun=True,
            )
    else:
        resolution = st.text_area(
            "What did the review conclude?", key=f"calibration_resolution_{view.item}"
        )
        if st.button("Resolve", key=f"calibration_resolve_{view.item}"):
            act(
                lambda s: reconcile.resolve_calibration(
                    s, actor, cycle, item_id=view.item, resolution=resolution
                ),
                done=f"The calibration review of {view.item} is resolved.",
                rerun=True,
            )
    for request in (r for r in view.calibration if not r.open):
        st.text(
            f"Earlier review ({request.requested_at:%Y-%m-%d}, {request.requested_by}): "
            f"{request.reason}\nResolved by {request.resolved_by}: {request.resolution}"
        )
