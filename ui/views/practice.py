"""Practice library: what districts did at the top level, to learn from one another.

Narratives, rationales and suggestions are shown as plain text, exactly as written.
"""

import streamlit as st

from review import reconcile
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.guard import shown_errors
from ui.markup import inert

BANDS = {name: f"{name} ({label})" for name, label, *_ in reconcile.SIZE_BANDS}


def render() -> None:
    ALL_ITEMS, ANY_SIZE = "All items", "Any size"

    actor = state.signed_in()
    db = context.database()
    st.title("Practice library")
    st.caption(
        "Items decided at the top level of the rubric, with the district's narrative, why the "
        "level was decided, the evidence, and the peers' notes once the cycle releases them."
    )
    cycle, rubric = cycle_picker.current()

    columns = st.columns([2, 2, 1])
    item_id = columns[0].selectbox(
        "Item",
        [ALL_ITEMS] + [i.id for i in rubric.items],
        key="practice_item",
        format_func=lambda i: i if i == ALL_ITEMS else f"{i} · {rubric.item(i).title}",
    )
    keyword = columns[1].text_input("Keyword", key="practice_keyword")
    band = columns[2].selectbox(
        "District size",
        [ANY_SIZE, *BANDS],
        key="practice_size",
        format_func=lambda b: BANDS.get(b, b),
    )
    every_cycle = st.checkbox("Include earlier cycles", key="practice_all_cycles")

    found: list[reconcile.Practice] = []
    with shown_errors(), db.reading() as s:
        found = reconcile.practice_library(
            s,
            actor,
            context.catalogue(),
            None if every_cycle else cycle,
            item_id=None if item_id == ALL_ITEMS else item_id,
            keyword=keyword or None,
            size_band=None if band == ANY_SIZE else band,
        )
    st.caption(f"{len(found)} practice(s) found.")
    for number, p in enumerate(found):
        with st.container(border=True, key=f"practice_{number}"):
            st.markdown(f"**{inert(p.item)} · {inert(p.item_title)}** — level {p.level}")
            st.text(
                f"{p.district} · {p.district_name} · {BANDS[p.size_band]} · cycle {p.cycle} · "
                "decided"
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
