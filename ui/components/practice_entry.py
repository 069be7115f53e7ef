"""One practice in the library: the item and level, the district, and what was written about it.

Narratives, rationales and suggestions are shown as plain text, exactly as written.
"""

from __future__ import annotations

import streamlit as st

from review import reconcile
from ui.components.practice_filters import BANDS
from ui.markup import inert


def show(number: int, p: reconcile.Practice) -> None:
    """The practice in a bordered box; `number` is its place in the results (its box's key)."""
    with st.container(border=True, key=f"practice_{number}"):
        st.markdown(f"**{inert(p.item)} · {inert(p.item_title)}** — level {p.level}")
        st.text(
            f"{p.district} · {p.district_name} · {BANDS[p.size_band]} · cycle {p.cycle} · decided"
        )
        st.caption("The district's narrative")
        st.text(p.narrative or "(none)")
        if p.decision_rationale:
            st.caption("Why the level was decided")
            st.text(p.decision_rationale)
        for note in p.peer_notes:
            st.caption(f"Peer {note.rater} · level {note.level or 'N/A'}")
            st.text(note.rationale or "(no rationale)")
            if note.suggestions:
                st.text(f"Suggestions: {note.suggestions}")
        st.caption("Evidence")
        st.text(", ".join(e.file_name for e in p.evidence) or "(none linked)")
