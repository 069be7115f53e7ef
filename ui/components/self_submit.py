"""Submitting the self-evaluation; a refusal lists what is missing, each item one click away."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from review import ratings
from review.access import Actor
from review.db import Cycle
from review.errors import IncompleteSubmission
from review.overview import ItemLine
from review.rubrics import Rubric
from ui import context, state
from ui.components import item_overview
from ui.guard import shown_errors


def show(
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    lines: Sequence[ItemLine],
    *,
    district_id: int,
    editable: bool,
    picker: str,
) -> None:
    """The submit button, or that the self-evaluation is submitted; `picker` opens an item."""
    if not editable:
        st.info("The self-evaluation is submitted; it can no longer change.")
        return
    left = sum(len(line.needs) for line in lines)
    if left:
        st.caption(f"{left} thing(s) left before you can submit.")
    if not st.button("Submit self-evaluation", key="submit_self"):
        return
    with shown_errors():
        try:
            context.database().write(
                lambda s: ratings.submit_self_evaluation(
                    s, actor, cycle, rubric, district_id=district_id
                )
            )
        except IncompleteSubmission as refused:
            # The domain refused by the rule the overview was read with (`ratings.needs`):
            # the same items, each with a button that opens it.
            st.error("The self-evaluation cannot be submitted yet. Still missing:")
            if any(line.needs for line in lines):
                item_overview.missing(rubric, lines, picker=picker)
            else:  # changed since this run read the page
                st.text("\n".join(refused.missing))
            return
        state.flash("Submitted. Your peer reviewers can now rate your district.")
        st.rerun()
