"""Peer reviewers: read an assigned district's self-evaluation and evidence, then rate it."""

import streamlit as st

from review import comments, evidence, ratings, scope
from review.access import PHASE_LABELS, Action, Phase
from review.index.counts import district_figures, shown
from review.index.models import SchoolCounts
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.components import descriptors, evidence_view
from ui.guard import act
from ui.markup import inert


def render() -> None:
    actor = state.signed_in()
    db = context.database()
    st.title("Rate a district")
    state.show_flash()
    reviewer = state.own_district(actor)

    cycle, rubric = cycle_picker.current()
    with db.reading() as s:
        reviewed = scope.districts(s, actor, cycle, Action.RATE_PEER)
    assigned = [d for d, _ in reviewed]
    if not assigned:
        st.info(f"You have no district to review in cycle {inert(cycle.name)}.")
        st.stop()

    codes = [d.code for d in assigned]
    asked = st.query_params.get("district")
    if asked and asked not in codes:
        st.error(
            f"You are not assigned to review district {inert(asked)} in cycle "
            f"{inert(cycle.name)}. "
            "Choose one of your assigned districts below."
        )
    code = st.selectbox(
        "District",
        codes,
        key="peer_district",
        index=codes.index(asked) if asked in codes else 0,
        format_func=lambda c: next(f"{d.code} · {d.name}" for d in assigned if d.code == c),
    )
    district, part = next((d, p) for d, p in reviewed if d.code == code)
    phase = Phase(part.phase)

    with db.reading() as s:
        mine = ratings.rated_items(s, actor, cycle, district.id)
        files = evidence.evidence_for(s, actor, cycle, district.id)
    open_for_rating = phase in (Phase.SELF_SUBMITTED, Phase.PEER_REVIEW)

    st.caption(f"{PHASE_LABELS[phase]} · you have rated {len(mine)} of {len(rubric.items)} items")
    _context(district.enrollment, context.school_counts(cycle).get(district.code))
    if phase == Phase.DRAFT:
        st.info(
            f"{inert(district.name)} has not submitted its self-evaluation yet; you can read "
            "what is there, and rate once it is submitted."
        )

    item_id = st.selectbox(
        "Item",
        [i.id for i in rubric.items],
        key=f"peer_item_{code}",
        format_func=lambda i: f"{'✓' if i in mine else '○'} {i} · {rubric.item(i).title}",
    )
    item = rubric.item(item_id)
    descriptors.show(rubric, item)
    with db.reading() as s:
        shown = {
            r.rater_district_id: r
            for r in ratings.read_ratings(
                s, actor, cycle, district.id, raters={district.id, reviewer}, item_id=item.id
            )
        }
    own, row = shown.get(district.id), shown.get(reviewer)

    st.subheader(f"{inert(district.name)}'s self-evaluation")
    if own is None:
        st.caption("Not rated by the district yet.")
    else:
        st.markdown(
            f"Self level: **{descriptors.choice_for(rubric, own.level, own.not_applicable)}**"
        )
        st.text(own.narrative or "(no narrative)")
        for measure in item.context_measures:
            value = own.context_values.get(measure.id)
            if value is not None:
                per_thousand = 1000 * value / district.enrollment if district.enrollment else 0
                st.metric(measure.label, f"{value:,}", help="as reported by the district")
                st.caption(f"{per_thousand:.1f} per 1,000 students")
    for file in (f for f in files if item.id in f.items):
        evidence_view.show(file, actor, cycle, key="peer")

    st.subheader("Your rating")
    version_key = f"peer_version_{code}_{item.id}"
    if version_key not in st.session_state:
        st.session_state[version_key] = row.row_version if row else None
    with st.form(f"peer_form_{code}_{item.id}"):
        options = descriptors.level_options(rubric, item)
        choice = st.radio(
            "Level",
            options,
            horizontal=True,
            key=f"peer_level_{code}_{item.id}",
            index=options.index(
                descriptors.choice_for(
                    rubric, row.level if row else None, row.not_applicable if row else False
                )
            ),
        )
        rationale = st.text_area(
            "Rationale: why this level, citing the evidence",
            value=row.narrative if row else "",
            key=f"peer_rationale_{code}_{item.id}",
            max_chars=ratings.MAX_TEXT,
        )
        suggestions = st.text_area(
            "Suggestions for improvement",
            value=row.suggestions if row else "",
            key=f"peer_suggestions_{code}_{item.id}",
            max_chars=ratings.MAX_TEXT,
        )
        saved = st.form_submit_button("Save rating", type="primary", disabled=not open_for_rating)
    if saved:
        level, not_applicable = descriptors.parse_level(rubric, choice)
        result = act(
            lambda s: ratings.save_peer_rating(
                s,
                actor,
                cycle,
                rubric,
                district_id=district.id,
                item_id=item.id,
                data=ratings.RatingInput.checked(
                    level=level,
                    not_applicable=not_applicable,
                    narrative=rationale,
                    suggestions=suggestions,
                ),
                expected_version=st.session_state[version_key],
            )
        )
        if result is not None:
            st.session_state[version_key] = result.row_version
            state.flash(f"Saved your rating of {item.id} (version {result.row_version}).")
            st.rerun()

    # Lazy: the thread is read only when the reviewer opens it.
    questions = st.expander(
        "Ask the district a question about this item",
        key=f"questions_{code}_{item.id}",
        on_change="rerun",
    )
    if questions.open:
        with questions:
            question = st.text_area("Question", key=f"question_{code}_{item.id}")
            if st.button("Send question", key=f"ask_{code}_{item.id}"):
                act(
                    lambda s: comments.ask_question(
                        s, actor, cycle, district_id=district.id, item_id=item.id, body=question
                    ),
                    done="Sent. The district sees it on its self-evaluation page.",
                    rerun=True,
                    clear=(f"question_{code}_{item.id}",),
                )
            with db.reading() as s:
                for message in comments.thread(s, actor, cycle, district.id, item.id):
                    st.markdown(f"**{inert(message.author)}** ({message.kind}):")
                    st.text(message.body)


def _context(enrollment: int, counts: SchoolCounts | None) -> None:
    """The district's size, and its schools as the cycle's index data counts them."""
    figures = district_figures(counts)
    columns = st.columns(1 + len(figures))
    columns[0].metric("Students", f"{enrollment:,}")
    for column, (label, n) in zip(columns[1:], figures.items(), strict=True):
        column.metric("Schools" if label == "schools" else f"{label.title()} schools", shown(n))
    st.caption(
        f"Schools from the cycle's index data for {counts.year}."
        if counts is not None
        else "Schools: the cycle's index data for this district is not imported yet."
    )
