"""Calibration, one item across the network: the item chosen, and every district's levels on it."""

from __future__ import annotations

import streamlit as st

from review import reconcile
from review.db import Cycle
from review.reconcile import ItemCalibration
from review.rubrics import Rubric
from ui.components import table
from ui.components.descriptors import short_level
from ui.markup import inert


def choose_item(rubric: Rubric) -> str:
    """The item the page looks at across the network."""
    item_id: str = st.selectbox(
        "Item",
        [i.id for i in rubric.items],
        key="calibration_item",
        format_func=lambda i: f"{i} · {rubric.item(i).title}",
    )
    return item_id


# Every column beside the sidebar at 1400 px (936 px wide), so nothing scrolls sideways.
COLUMNS = {
    "Code": st.column_config.TextColumn(width=55, pinned=True),
    "District": st.column_config.TextColumn(width=150),
    "Enrollment": st.column_config.NumberColumn("Students", width=85, format="localized"),
    "Size band": st.column_config.TextColumn("Size", width=70),
    "Triad": st.column_config.TextColumn(width=100),
    "Self": st.column_config.TextColumn(width=45),
    "Peers": st.column_config.TextColumn(width=100),
    "Final": st.column_config.TextColumn(width=50),
    "Flags": st.column_config.TextColumn(width=130),
    "Evidence": st.column_config.TextColumn(width=150),
}


def show(cycle: Cycle, view: ItemCalibration) -> None:
    """The network median, then one row per district: its own, its peers' and its final level,
    the item's flags and the evidence linked to it."""
    median = view.network_median
    st.caption(
        f"Cycle {inert(cycle.name)} · network median of peer levels: "
        + (f"{median:.1f}" if median is not None else "too few districts")
    )
    table.show(
        [
            {
                "Code": d.code,
                "District": d.name,
                "Enrollment": d.enrollment,
                "Size band": d.size_band,
                "Triad": d.triad,
                "Self": short_level(d.self_level),
                "Peers": table.listed(f"{c} {short_level(v)}" for c, v in d.peer_levels.items()),
                "Final": short_level(d.final_level, d.final_not_applicable),
                "Flags": table.listed(reconcile.RULE_LABELS.get(f.rule, f.rule) for f in d.flags),
                "Evidence": table.listed(e.file_name for e in d.evidence),
            }
            for d in view.districts
        ],
        COLUMNS,
        key="calibration_districts",
    )
