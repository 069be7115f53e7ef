"""One rating of one item: a level, a text (narrative or rationale), and what else the rater enters.

Both the district's self-rating and a reviewer's peer rating are entered here; the page says how
it is saved (`save`) and whether every change saves at once (the self-evaluation's drafts) or
the rater saves the whole form (a peer rating).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from sqlalchemy.orm import Session

from review.db import Rating
from review.ratings import MAX_TEXT, RatingInput
from review.rubrics import Item, Rubric
from ui import state
from ui.components import descriptors, drafts
from ui.guard import act

Save = Callable[[Session, RatingInput, "int | None"], Rating]


@dataclass(frozen=True)
class Form:
    """What a rating form shows and how it saves.

    Widget keys are `<prefix>_<field>_<scope>`: `prefix` names the page ("self", "peer"),
    `scope` the rating (an item id, or a district code and an item id).
    """

    prefix: str
    scope: str
    text_field: str
    text_label: str
    save: Save
    suggestions: bool = False
    autosave: bool = False
    editable: bool = True
    measure_help: str | None = None
    owner: str = ""  # whose text this is (person, cycle, district): the browser's drafts key

    def key(self, field: str) -> str:
        return f"{self.prefix}_{field}_{self.scope}"


def show(rubric: Rubric, item: Item, row: Rating | None, form: Form) -> None:
    """The form for `item`, holding `row` (the rater's saved rating, None when there is none)."""
    st.subheader("Your rating")
    version = form.key("version")
    if version not in st.session_state:
        st.session_state[version] = row.row_version if row else None
    if form.autosave:
        _fields(rubric, item, row, form, on_change=lambda: _save(rubric, item, form))
        if form.editable:
            st.caption("Changes are saved as a draft as you go; nothing is final until you submit.")
            if st.button("Save draft", key=f"save_{item.id}", type="primary"):
                _save(rubric, item, form)
        return
    with st.form(f"{form.prefix}_form_{form.scope}"):
        _fields(rubric, item, row, form, on_change=None)
        submitted = st.form_submit_button(
            "Save rating", key=form.key("save"), type="primary", disabled=not form.editable
        )
    if submitted:
        _save(rubric, item, form)


def _fields(
    rubric: Rubric,
    item: Item,
    row: Rating | None,
    form: Form,
    *,
    on_change: Callable[[], None] | None,
) -> None:
    options = descriptors.level_options(rubric, item)
    chosen = descriptors.choice_for(
        rubric, row.level if row else None, row.not_applicable if row else False
    )
    disabled = not form.editable
    st.radio(
        "Level",
        options,
        index=options.index(chosen),
        horizontal=True,
        key=form.key("level"),
        disabled=disabled,
        on_change=on_change,
    )
    st.text_area(
        form.text_label,
        value=row.narrative if row else "",
        key=form.key(form.text_field),
        height=160 if form.autosave else None,
        max_chars=MAX_TEXT,
        disabled=disabled,
        on_change=on_change,
    )
    if form.suggestions:
        st.text_area(
            "Suggestions for improvement",
            value=row.suggestions if row else "",
            key=form.key("suggestions"),
            max_chars=MAX_TEXT,
            disabled=disabled,
        )
    if form.editable and form.owner:
        texts = {form.text_field: row.narrative if row else ""}
        if form.suggestions:
            texts["suggestions"] = row.suggestions if row else ""
        for field, saved in texts.items():
            drafts.keep_drafts(
                form.key(field),
                where=f"{form.owner}:{item.id}:{field}",
                saved=saved,
                in_form=not form.autosave,
            )
    for measure in item.context_measures:
        st.number_input(
            measure.label,
            min_value=0,
            step=1,
            key=f"{form.key('ctx')}_{measure.id}",
            value=row.context_values.get(measure.id) if row else None,
            disabled=disabled,
            on_change=on_change,
            help=form.measure_help,
        )


def _entered(rubric: Rubric, item: Item, form: Form) -> RatingInput:
    """What the form holds now, checked (`InvalidInput` says which field is wrong)."""
    level, not_applicable = descriptors.parse_level(rubric, st.session_state.get(form.key("level")))
    # A measure left empty is not reported (None), which is not the same as zero.
    entered = {
        m.id: st.session_state.get(f"{form.key('ctx')}_{m.id}") for m in item.context_measures
    }
    return RatingInput.checked(
        level=level,
        not_applicable=not_applicable,
        narrative=st.session_state.get(form.key(form.text_field), ""),
        suggestions=st.session_state.get(form.key("suggestions"), "") if form.suggestions else "",
        context_values={m: int(v) for m, v in entered.items() if v is not None},
    )


def _save(rubric: Rubric, item: Item, form: Form) -> None:
    version = form.key("version")
    saved = act(  # the input is checked inside: a refusal is shown, never raised
        lambda s: form.save(s, _entered(rubric, item, form), st.session_state[version])
    )
    if saved is None:
        return
    st.session_state[version] = saved.row_version
    if form.autosave:
        st.toast(f"Saved {item.id} (version {saved.row_version})")
    else:
        state.flash(f"Saved your rating of {item.id} (version {saved.row_version}).")
        st.rerun()
