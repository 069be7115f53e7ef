"""Reconcile ratings: peer reviewers and coordinators settle each item of a district.

Flagged items come first. Every decision is an explicit act with its own rationale (confirm,
choose, consensus or adjudication); the page never averages levels.
"""

import streamlit as st
from sqlalchemy.orm import Session

from exports.packet import freeze
from review import comments, evidence, reconcile, scope
from review.access import PHASE_LABELS, Action, Actor, Phase, Role
from review.cycles import participants
from review.db import Cycle, District
from review.reconcile import Decision, DecisionRequest, Method, Proposal, QueueEntry, RatingView
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.components import descriptors, evidence_view, reconciliation_start
from ui.components.descriptors import short_level
from ui.guard import act, shown_errors
from ui.markup import inert

NEEDS = {
    reconcile.NEEDS_CONFIRM: "peers agree: confirm",
    reconcile.NEEDS_CHOICE: "close: choose a level",
    reconcile.NEEDS_CONSENSUS: "needs consensus",
    reconcile.DECIDED: "decided",
    reconcile.INCOMPLETE: "waiting for ratings",
    reconcile.UNRATED: "optional, not rated",
}
METHODS: dict[str, str] = {
    Method.AGREEMENT: "peers agreed (confirmed)",
    Method.CHOICE: "reviewers chose one of the peer levels",
    Method.CONSENSUS: "peer consensus",
    Method.ADJUDICATION: "coordinator adjudication",
}


def _rated(rating: RatingView) -> str:
    return short_level(rating.level, rating.not_applicable)


def _final(decision: Decision | None) -> str:
    return "" if decision is None else short_level(decision.level, decision.not_applicable)


def _status(entry: QueueEntry) -> str:
    """The item's status in words; a pending proposal says whose confirmation it waits for."""
    proposal = entry.proposal
    if entry.decision is None and proposal is not None:
        if proposal.status == reconcile.ProposalStatus.SENT_TO_COORDINATOR:
            return "proposal sent to a coordinator"
        if proposal.status == reconcile.ProposalStatus.PROPOSED:
            return f"proposed; waiting for {', '.join(proposal.waiting_for)} to confirm"
    return NEEDS[entry.needs]


def _pending(proposal: Proposal) -> str:
    level = short_level(proposal.level, proposal.not_applicable)
    said = (
        f"{proposal.proposed_by} ({proposal.proposer_district}) proposed level {level} "
        f"({proposal.method}); confirmed by {', '.join(proposal.confirmed_by)}."
    )
    if proposal.status == reconcile.ProposalStatus.SENT_TO_COORDINATOR:
        return (
            f"{said} Not confirmed by every reviewing district before the reconciliation "
            "deadline: sent to a coordinator, who adjudicates."
        )
    return (
        f"{said} Waiting for {', '.join(proposal.waiting_for)} to confirm; until then it is "
        "not a decision."
    )


def _flags(entry: QueueEntry) -> str:
    return ", ".join(reconcile.RULE_LABELS.get(f.rule, f.rule) for f in entry.flags)


def render() -> None:
    actor = state.signed_in()
    coordinator = actor.has(Role.COORDINATOR)
    st.title("Reconcile ratings")
    state.show_flash()

    cycle, rubric = cycle_picker.current()
    db = context.database()
    with db.reading() as s:
        everyone = participants(s, cycle)
        allowed = {
            d.code: (d, Phase(p.phase))
            for d, p in scope.districts(s, actor, cycle, Action.RECONCILE)
        }
    asked = st.query_params.get("district")
    if asked and asked not in allowed:
        own = any(d.code == asked and d.id == actor.district_id for d, _ in everyone)
        st.error(
            f"You cannot reconcile district {inert(asked)}: a district never reconciles its own "
            "ratings."
            if own
            else f"You cannot reconcile district {inert(asked)} in cycle {inert(cycle.name)}: "
            "only its peer reviewers and the coordinators can see its peer ratings."
        )
    if not allowed:
        st.info(
            f"You review no district in cycle {inert(cycle.name)}, so there is nothing to "
            "reconcile."
        )
        st.stop()

    codes = sorted(allowed)
    code = st.selectbox(
        "District",
        codes,
        key="recon_district",
        index=codes.index(asked) if asked in allowed else 0,
        format_func=lambda c: f"{c} · {allowed[c][0].name}",
    )
    district, phase = allowed[code]
    with db.reading() as s:
        reviewer = scope.allowed(s, actor, cycle, Action.RATE_PEER, district.id)
        entries = reconcile.queue(s, actor, cycle, rubric, district.id)
        blockers = reconcile.finalization_blockers(s, actor, cycle, rubric, district.id)

    st.caption(f"Cycle {inert(cycle.name)} · {inert(district.name)} · {PHASE_LABELS[phase]}")
    if phase == Phase.FINAL:
        st.success(f"{inert(district.name)} is final.")
    elif blockers:
        with st.expander(f"{len(blockers)} item(s) stop finalization", expanded=False):
            for blocker in blockers:
                st.text(f"• {blocker}")
    else:
        st.success("Every item is decided: a coordinator can finalize this district.")
    if phase == Phase.PEER_REVIEW:
        reconciliation_start.show(actor, cycle, rubric, district)

    if coordinator:
        with st.container(border=True):
            st.markdown("**Coordinator**")
            if phase == Phase.RECONCILIATION and st.button(
                "Finalize district", key=f"recon_finalize_{code}", type="primary"
            ):

                def finalize(s: Session) -> bool:
                    reconcile.finalize_district(s, actor, cycle, rubric, district_id=district.id)
                    return True

                finalized = act(finalize)  # True once committed; None when refused (shown)
                if finalized:
                    _keep_packet(actor, cycle, district)
            if phase == Phase.FINAL:
                why = st.text_input("Reason for reopening", key=f"recon_reopen_reason_{code}")
                if st.button("Reopen", key=f"recon_reopen_{code}"):
                    act(
                        lambda s: reconcile.reopen_district(
                            s, actor, cycle, district_id=district.id, reason=why
                        ),
                        done=f"{district.name} is reopened for reconciliation.",
                        rerun=True,
                    )
            if phase not in (Phase.RECONCILIATION, Phase.FINAL):
                st.caption("Nothing to do here until the district is in reconciliation.")

    st.subheader("Queue")
    st.caption("Flagged items first, then the widest spread between peer levels.")
    st.dataframe(
        [
            {
                "Item": e.item,
                "Title": e.title,
                "Flags": _flags(e),
                "Self": short_level(e.self_level),
                "Peers": ", ".join(f"{r.rater} {_rated(r)}" for r in e.peer_ratings),
                "Spread": e.spread,
                "Status": _status(e),
                "Final": _final(e.decision),
            }
            for e in entries
        ],
        hide_index=True,
        width="stretch",
        key=f"recon_queue_{code}",
        # Fits 1400 px beside the sidebar: the item stays, the title gives way to the status.
        column_config={
            "Item": st.column_config.TextColumn(width=135, pinned=True),
            "Title": st.column_config.TextColumn(width=190),
            "Flags": st.column_config.TextColumn(width=130),
            "Self": st.column_config.TextColumn(width=45),
            "Peers": st.column_config.TextColumn(width=105),
            "Spread": st.column_config.NumberColumn(width=55),
            "Status": st.column_config.TextColumn(width=140),
            "Final": st.column_config.TextColumn(width=110),
        },
    )

    by_item = {e.item: e for e in entries}
    item_id = st.selectbox(
        "Item",
        list(by_item),
        key=f"recon_item_{code}",
        # The label must not change with the item's status: in the browser a status icon here
        # kept showing the old status after a decision. The queue table above shows the status.
        format_func=lambda i: f"{i} · {by_item[i].title}",
    )
    entry = by_item[item_id]
    item = rubric.item(entry.item)
    slot = f"{code}_{entry.item}"
    descriptors.show(rubric, item)

    for flag in entry.flags:
        st.warning(f"⚑ {reconcile.RULE_LABELS.get(flag.rule, flag.rule)}: {inert(flag.detail)}")
    if entry.calibration is not None:
        st.warning(
            "This item is under calibration review; no district can be finalized until it is "
            "resolved."
        )
        st.text(entry.calibration.reason)

    st.markdown("#### Ratings")
    columns = st.columns(1 + len(entry.peer_ratings))
    with columns[0], st.container(border=True):
        st.markdown(f"**Self-rating: {short_level(entry.self_level)}**")
        st.text(entry.self_rating.rationale if entry.self_rating else "(not rated)")
    for column, rating in zip(columns[1:], entry.peer_ratings, strict=True):
        with column, st.container(border=True):
            st.markdown(f"**Peer {rating.rater}: {_rated(rating)}**")
            st.text(rating.rationale or "(no rationale)")
            if rating.suggestions:
                st.caption("Suggestions")
                st.text(rating.suggestions)

    if entry.evidence:
        st.markdown("#### Evidence")
        with db.reading() as s:
            files = {f.id: f for f in evidence.evidence_for(s, actor, cycle, district.id)}
        for summary in entry.evidence:
            evidence_view.show(files[summary.evidence_id], actor, cycle, key=f"recon_{slot}")

    st.markdown("#### Discussion")
    for message in entry.discussion:
        st.text(f"{message.author} · {message.at:%Y-%m-%d %H:%M}\n{message.body}")
    if not entry.discussion:
        st.caption("No messages yet.")
    with st.form(f"recon_discuss_form_{slot}", clear_on_submit=True):
        body = st.text_area("Message", key=f"recon_discuss_{slot}", max_chars=comments.MAX_COMMENT)
        if st.form_submit_button("Post", key=f"recon_post_{slot}"):
            act(
                lambda s: reconcile.discuss(
                    s, actor, cycle, rubric, district_id=district.id, item_id=item.id, body=body
                ),
                done="Posted to the discussion.",
                rerun=True,
            )

    st.markdown("#### Decision")
    decision = entry.decision
    if decision is not None:
        st.success(
            f"Final level {_final(decision)} · {METHODS.get(decision.method, decision.method)}"
        )
        st.text(f"Decided by {decision.decided_by} on {decision.decided_at:%Y-%m-%d %H:%M}")
        if decision.rationale:
            st.text(decision.rationale)
    if phase == Phase.FINAL:
        st.info("The district is final; a coordinator reopens it before any decision changes.")
        st.stop()
    if phase == Phase.PEER_REVIEW:
        st.info(
            "The district is still in peer review: start reconciliation (above) before any "
            "item is decided or proposed."
        )
        st.stop()
    if phase != Phase.RECONCILIATION:
        st.info("Nothing to reconcile until the district is in peer review.")
        st.stop()
    if entry.needs == reconcile.INCOMPLETE:
        st.info("Waiting for every reviewer to rate this item.")
    elif entry.needs == reconcile.UNRATED:
        st.info("No peer rated this optional item: there is nothing to decide.")

    def _decide_form(
        name: str, options: list[str], *, label: str, button: str, index: int | None = None
    ) -> tuple[str | None, str, bool]:
        """A level radio and a rationale in one form; returns (choice, rationale, submitted)."""
        with st.form(f"recon_{name}_form_{slot}"):
            choice = st.radio(
                "Level", options, index=index, horizontal=True, key=f"recon_{name}_level_{slot}"
            )
            rationale = st.text_area(label, key=f"recon_{name}_rationale_{slot}")
            submitted = st.form_submit_button(button, key=f"recon_{name}_{slot}", type="primary")
        if submitted and choice is None:
            st.error("Choose a level first.")
            return choice, rationale, False
        return choice, rationale, submitted

    def _decided(d: Decision | Proposal) -> str:
        if isinstance(d, Proposal):
            waiting = ", ".join(d.waiting_for)
            level = short_level(d.level, d.not_applicable)
            return f"{code} {d.item}: level {level} proposed; waiting for {waiting} to confirm."
        return f"{code} {d.item}: final level {_final(d)} ({METHODS.get(d.method, d.method)})."

    def _request(method: Method, **fields: object) -> DecisionRequest:
        return DecisionRequest(district_id=district.id, item_id=item.id, method=method, **fields)

    proposal = entry.proposal
    if decision is None and proposal is not None:
        st.info(_pending(proposal))
        st.text(proposal.rationale)
        mine = actor.district_id is not None and any(
            d.code in proposal.waiting_for and d.id == actor.district_id for d, _ in everyone
        )
        if (
            reviewer
            and mine
            and proposal.status == reconcile.ProposalStatus.PROPOSED
            and st.button("Confirm this proposal", key=f"recon_confirm_proposal_{slot}")
        ):
            act(
                lambda s: reconcile.confirm(
                    s,
                    actor,
                    cycle,
                    rubric,
                    proposal_id=proposal.id,
                    expected_version=proposal.row_version,
                ),
                done=_decided,
                rerun=True,
            )
    seen_proposal = proposal.row_version if proposal and decision is None else None

    scale = descriptors.level_options(rubric, item)[1:]  # every level (and N/A): no "Not rated"
    if entry.needs == reconcile.NEEDS_CONFIRM:
        agreed = _rated(entry.peer_ratings[0])
        st.write(f"Every peer gave level {agreed} and no flag is open.")
        if st.button(f"Confirm level {agreed}", key=f"recon_confirm_{slot}", type="primary"):
            act(
                lambda s: reconcile.decide(s, actor, cycle, rubric, _request(Method.AGREEMENT)),
                done=_decided,
                rerun=True,
            )
    if entry.needs == reconcile.NEEDS_CHOICE and reviewer:
        st.write(
            "The peers gave close but different levels: propose one of them and say why; the "
            "other reviewing district confirms it."
        )
        given = sorted({r.level for r in entry.peer_ratings if r.level is not None})
        choice, why, go = _decide_form(
            "choice",
            [rubric.label(level) for level in given],
            label="Rationale: why this level and not the other",
            button="Propose this level",
        )
        if go:
            parsed, _ = descriptors.parse_level(rubric, choice)
            assert parsed is not None  # the options are levels only
            chosen: int = parsed
            act(
                lambda s: reconcile.decide(
                    s,
                    actor,
                    cycle,
                    rubric,
                    _request(
                        Method.CHOICE, level=chosen, rationale=why, expected_version=seen_proposal
                    ),
                ),
                done=_decided,
                rerun=True,
            )
    if entry.needs == reconcile.NEEDS_CONSENSUS and reviewer:
        st.write(
            "The peers discuss (above); one proposes the level they agree, with their rationale, "
            "and the other reviewing district confirms it. If they cannot agree by the "
            "reconciliation deadline, a coordinator adjudicates."
        )
        choice, why, go = _decide_form(
            "consensus",
            scale,
            label="Rationale: what the peers agreed and why",
            button="Propose consensus",
        )
        if go:
            level, not_applicable = descriptors.parse_level(rubric, choice)
            act(
                lambda s: reconcile.decide(
                    s,
                    actor,
                    cycle,
                    rubric,
                    _request(
                        Method.CONSENSUS,
                        level=level,
                        not_applicable=not_applicable,
                        rationale=why,
                        expected_version=seen_proposal,
                    ),
                ),
                done=_decided,
                rerun=True,
            )
    if coordinator and entry.needs not in (reconcile.INCOMPLETE, reconcile.UNRATED):
        st.markdown("**Adjudicate** (coordinator, as a third reader)")
        current = (
            descriptors.choice_for(rubric, decision.level, decision.not_applicable)
            if decision
            else None
        )
        seen_key = f"recon_seen_{slot}"
        expected = st.session_state.get(seen_key, decision.row_version if decision else None)
        choice, why, go = _decide_form(
            "adjudicate",
            scale,
            label="Rationale: why this level",
            button="Change the decision" if decision else "Adjudicate",
            index=scale.index(current) if current in scale else None,
        )
        # The version the coordinator saw is the one rendered before this run, so a decision
        # changed meanwhile by someone else is refused instead of silently overwritten.
        st.session_state[seen_key] = decision.row_version if decision else None
        if go:
            level, not_applicable = descriptors.parse_level(rubric, choice)
            act(
                lambda s: reconcile.decide(
                    s,
                    actor,
                    cycle,
                    rubric,
                    _request(
                        Method.ADJUDICATION,
                        level=level,
                        not_applicable=not_applicable,
                        rationale=why,
                        expected_version=expected,
                    ),
                ),
                done=_decided,
                rerun=True,
            )


def _keep_packet(actor: Actor, cycle: Cycle, district: District) -> None:
    """Once a finalization has committed, build and keep the district's packet (no lock is
    held while it renders). If that fails, the packet is built when it is first opened."""
    with shown_errors():
        kept = freeze(
            context.database(),
            context.catalogue(),
            cycle_name=cycle.name,
            district_code=district.code,
            index=context.district_summary(cycle, district.code, details=False),
            actor=actor,
        )
        if kept is not None:
            state.flash(
                f"Finalized {district.name}. Its packet is kept as version {kept.version} "
                f"(SHA-256 {kept.sha256[:16]}…) under Review packets."
            )
            st.rerun()
