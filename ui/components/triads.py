"""The triads of a cycle as a table: each district, its triad, and who reviews it."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from review.cycles import TriadMembers
from ui.components import table


def show(triads: Sequence[TriadMembers], cycle_name: str) -> None:
    if not triads:
        st.info(f"Cycle {cycle_name} has no triads yet: type or upload them below.")
        return
    table.show(
        [
            {
                "Triad": triad.name,
                "District": f"{code} · {name}",
                "Reviewed by": ", ".join(triad.reviewers[code]) or table.NO_VALUE,
            }
            for triad in triads
            for code, name in triad.districts.items()
        ],
        key="setup_triads",
    )
