"""District editors: rate each item, write the narrative, attach evidence, submit."""

from dataclasses import dataclass
from functools import partial

import streamlit as st
from sqlalchemy.orm import Session

from review import carry, comments, evidence, ratings
from review.access import PHASE_LABELS, Actor, Phase
from review.cycles import participation
from review.db import Cycle, District, Participation, Rating
from review.evidence import EvidenceFile
from review.rubrics import Item, Rubric
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.components import descriptors, drafts, evidence_view, offline_workbook
from ui.guard import act


@dataclass(frozen=True)
class _District:
    """What the page shows of the editor's district, read afresh on every rerun."""

    district: District
    part: Participation
    own: dict[str, Rating]  # self-ratings by item
    peers: list[Rating]
    files: list[EvidenceFile]
    missing: list[str]
    earlier: Cycle | None


def _read(s: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int) -> _District:
    district = s.get(District, district_id)
    assert district is not None
    rows = ratings.read_ratings(s, actor, cycle, district_id)
    return _District(
        district=district,
        part=participation(s, cycle, district_id),
        own={r.item_id: r for r in rows if r.source == ratings.SELF},
        peers=[r for r in rows if r.source == ratings.PEER],
        files=evidence.evidence_for(s, actor, cycle, district_id),
        missing=ratings.missing_for_submission(s, actor, cycle, rubric, district_id),
        earlier=carry.previous_cycle(s, cycle),
    )


def render() -> None:
    actor = state.signed_in()
    own_id = state.own_district(actor)

    cycle, rubric = cycle_picker.current()
    with context.database().reading() as s:
        shown = _read(s, actor, cycle, rubric, own_id)
    district, part, own, peers = shown.district, shown.part, shown.own, shown.peers
    files, missing, earlier = shown.files, shown.missing, shown.earlier
    editable = part.phase == Phase.DRAFT

    st.title(f"Self-evaluation · {district.name}")
    state.show_flash()
    rated = sum(1 for i in rubric.items if ratings.is_rated(own.get(i.id)))
    st.caption(f"Cycle {cycle.name} · rubric {rubric.key} · {PHASE_LABELS[Phase(part.phase)]}")
    st.progress(rated / len(rubric.items), text=f"{rated} of {len(rubric.items)} items rated")

    def _status(item: Item) -> str:
        row = own.get(item.id)
        done = ratings.is_rated(row)
        needs_file = item.evidence_required and not any(item.id in f.items for f in files)
        # Text symbols, not emoji: they show in any font (an emoji font is not everywhere).
        return "✓" if done and not needs_file else ("⚠" if done else "○")

    item_id = st.selectbox(
        "Item",
        [i.id for i in rubric.items],
        key="self_item",
        format_func=lambda i: f"{_status(rubric.item(i))} {i} · {rubric.item(i).title}",
    )
    item = rubric.item(item_id)
    row = own.get(item.id)
    descriptors.show(rubric, item)

    version_key = f"self_version_{item.id}"
    if version_key not in st.session_state:
        st.session_state[version_key] = row.row_version if row else None

    def _save() -> None:
        level, not_applicable = descriptors.parse_level(
            rubric, st.session_state.get(f"self_level_{item.id}")
        )
        # A measure left empty is not reported (None), which is not the same as zero.
        entered = {
            m.id: st.session_state.get(f"self_ctx_{item.id}_{m.id}") for m in item.context_measures
        }
        values = {measure: int(value) for measure, value in entered.items() if value is not None}
        narrative = st.session_state.get(f"self_narrative_{item.id}", "")
        saved = act(  # the input is checked inside: a refusal is shown, never raised
            lambda s: ratings.save_self_rating(
                s,
                actor,
                cycle,
                rubric,
                district_id=district.id,
                item_id=item.id,
                data=ratings.RatingInput.checked(
                    level=level,
                    not_applicable=not_applicable,
                    narrative=narrative,
                    context_values=values,
                ),
                expected_version=st.session_state[version_key],
            )
        )
        if saved is not None:
            st.session_state[version_key] = saved.row_version
            st.toast(f"Saved {item.id} (version {saved.row_version})")

    st.subheader("Your rating")
    options = descriptors.level_options(rubric, item)
    current_choice = descriptors.choice_for(
        rubric, row.level if row else None, row.not_applicable if row else False
    )
    st.radio(
        "Level",
        options,
        index=options.index(current_choice),
        horizontal=True,
        key=f"self_level_{item.id}",
        disabled=not editable,
        on_change=_save,
    )
    st.text_area(
        "Narrative: what the district did, and what the evidence shows",
        value=row.narrative if row else "",
        key=f"self_narrative_{item.id}",
        height=160,
        max_chars=ratings.MAX_TEXT,
        disabled=not editable,
        on_change=_save,
    )
    if editable:
        drafts.keep_drafts(
            f"self_narrative_{item.id}",
            where=f"{actor.user_id}:{cycle.id}:{district.id}:{item.id}:narrative",
            saved=row.narrative if row else "",
        )
    for measure in item.context_measures:
        st.number_input(
            measure.label,
            min_value=0,
            step=1,
            key=f"self_ctx_{item.id}_{measure.id}",
            value=row.context_values.get(measure.id) if row else None,
            disabled=not editable,
            on_change=_save,
            help=f"Read per 1,000 students: {district.enrollment:,} enrolled.",
        )
    if editable:
        st.caption("Changes are saved as a draft as you go; nothing is final until you submit.")
        if st.button("Save draft", key=f"save_{item.id}", type="primary"):
            _save()

    st.subheader("Evidence")
    linked = [f for f in files if item.id in f.items]
    for file in linked:
        evidence_view.show(file, actor, cycle, key="self")
    if not linked:
        st.caption("No evidence linked to this item yet.")
    if editable:
        upload = st.file_uploader(
            "Upload a file (PDF, PNG, JPEG, DOCX, XLSX, PPTX, CSV or TXT)", key=f"upload_{item.id}"
        )
        description = st.text_input(
            "What the file shows",
            key=f"upload_description_{item.id}",
            max_chars=evidence.MAX_DESCRIPTION,
        )
        if st.button("Upload and link", key=f"upload_button_{item.id}", disabled=upload is None):
            assert upload is not None
            act(
                lambda s: evidence.add_evidence(
                    s,
                    context.settings(),
                    actor,
                    cycle,
                    rubric,
                    district_id=district.id,
                    file_name=upload.name,
                    data=upload.getvalue(),
                    description=description,
                    items=(item.id,),
                ),
                done=lambda added: f"Uploaded {added.file_name} and linked it to {item.id}.",
                rerun=True,
            )
        others = [f for f in files if item.id not in f.items]
        if others:
            chosen = st.multiselect(
                "Link files already uploaded",
                [f.id for f in others],
                key=f"link_{item.id}",
                format_func=lambda i: next(f.file_name for f in others if f.id == i),
            )
            if st.button("Link", key=f"link_button_{item.id}", disabled=not chosen):

                def link(s: Session) -> None:
                    for evidence_id in chosen:
                        evidence.link_existing(s, actor, cycle, evidence_id, (item.id,))

                act(
                    link,
                    done=f"Linked {len(chosen)} file(s) to {item.id}.",
                    rerun=True,
                )
        if earlier is not None and st.button(
            f"Carry forward from {earlier.name}", key=f"carry_{item.id}"
        ):
            st.session_state.pop(version_key, None)
            st.session_state.pop(f"self_narrative_{item.id}", None)
            act(
                lambda s: carry.carry_forward(
                    s,
                    context.settings(),
                    actor,
                    context.catalogue(),
                    cycle,
                    rubric,
                    district_id=district.id,
                    item_id=item.id,
                ),
                done=lambda r: f"Carried forward the narrative and {r[1]} evidence file(s).",
                rerun=True,
            )

    with context.database().reading() as s:
        thread = comments.thread(s, actor, cycle, district.id, item.id)
    questions = [m for m in thread if m.kind == "question"]
    if questions:
        st.subheader("Questions from reviewers")
    for question in questions:
        with st.container(border=True):
            st.markdown(f"**{question.author}** asked:")
            st.text(question.body)
            for answer in (m for m in thread if m.parent_id == question.id):
                st.markdown(f"**{answer.author}** answered:")
                st.text(answer.body)
            reply = st.text_area("Your answer", key=f"answer_{question.id}")
            if st.button("Send answer", key=f"answer_button_{question.id}"):
                act(
                    partial(
                        comments.answer_question,
                        actor=actor,
                        cycle=cycle,
                        question_id=question.id,
                        body=reply,
                    ),
                    done="Answer sent.",
                    rerun=True,
                    clear=(f"answer_{question.id}",),
                )

    if peers:  # the domain returns them only once the cycle releases them
        st.subheader("Peer ratings")
        for peer in (p for p in peers if p.item_id == item.id):
            st.markdown(f"Level **{rubric.label(peer.level)}**")
            st.text(peer.narrative)

    st.divider()
    if editable:
        if missing:
            st.caption(f"{len(missing)} thing(s) left before you can submit.")
        if st.button("Submit self-evaluation", key="submit_self"):
            act(
                lambda s: ratings.submit_self_evaluation(
                    s, actor, cycle, rubric, district_id=district.id
                ),
                done="Submitted. Your peer reviewers can now rate your district.",
                rerun=True,
            )
    else:
        st.info("The self-evaluation is submitted; it can no longer change.")
    offline_workbook.show(actor, cycle, rubric, district.id, editable=editable)
