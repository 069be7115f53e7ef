"""The demo network: six fictional districts in two triads, a finished cycle and one in progress.

2014-15 is complete: every district's self-evaluation, both peer ratings of every item, the
flags settled by agreement, choice, consensus or adjudication, and finalization. In 2015-16 each
district stands in a different phase, from not started to final. Everything is built through the
domain's own functions, acting as the demo accounts, so the audit trail reads like a real
network's. The packets of final districts are frozen by the `demo` command after loading
(`exports.cli.after_demo`: review/ never imports exports/).

Everything here is synthetic (texts and files: `review.demo_content`). Running `load_demo`
twice leaves the same state.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review import accounts, comments, cycles, evidence, peer_sets, ratings, reconcile
from review.access import Actor, Phase, Role
from review.db import Cycle, Database, User
from review.demo_content import (
    PROFILES,
    choice_rationale,
    consensus_rationale,
    evidence_files,
    peer_rationale,
    peer_suggestion,
    self_narrative,
)
from review.rubrics import Catalogue, Item, Rubric
from review.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    import pandas as pd

SAMPLE_EVIDENCE = PROJECT_ROOT / "sample_evidence"
CYCLE, PREVIOUS_CYCLE = "2015-16", "2014-15"
RUBRIC, PREVIOUS_RUBRIC = "core-p2@2015-16.1", "core-p2@2014-15.1"
INDEX_SPEC = "core-sqii@2015-16"
INDEX_YEARS = ("2013-14", "2014-15", "2015-16")
COORDINATOR_EMAIL = "coordinator@core.example"
OBSERVER_EMAIL = "board@core.example"
PASSWORD = "demo-review-2015"  # synthetic accounts on a local demo database, printed on load


@dataclass(frozen=True)
class DemoDistrict:
    code: str
    name: str
    enrollment: int
    stage: str  # empty | draft | submitted | peer_review | reconciliation | final (2015-16)


# Schools and priority/focus/reward counts are not set anywhere: the app counts them from the
# cycle's generated index results (`review.index.counts`), as it does from a real import.
DISTRICTS = (
    DemoDistrict("ALV", "Alder Valley Unified", 11_200, "draft"),
    DemoDistrict("BHU", "Birch Harbor Unified", 48_100, "empty"),
    DemoDistrict("CPU", "Cedar Plains Unified", 73_500, "final"),
    DemoDistrict("DCU", "Dunmore City Unified", 79_700, "submitted"),
    DemoDistrict("ECU", "Elm Creek Unified", 56_800, "reconciliation"),
    DemoDistrict("FHU", "Fairhaven Unified", 612_400, "peer_review"),
)
TRIADS = {"Triad North": ("ALV", "CPU", "FHU"), "Triad South": ("BHU", "DCU", "ECU")}
PEER_RATED = ("peer_review", "reconciliation", "final")
# Peer levels that disagree by two or more (district, item index): (first, second reviewer), so
# reconciliation has real work. 2015-16: FHU's waits in peer review, CPU's was settled by
# consensus, ECU's consensus proposal waits for its second reviewer.
DISAGREEMENTS = {("FHU", 0): (4, 2), ("CPU", 1): (1, 3), ("ECU", 2): (4, 1)}
# 2014-15: settled by consensus, except those a coordinator adjudicated.
PREVIOUS_DISAGREEMENTS = {("ALV", 7): (4, 2), ("DCU", 4): (1, 3), ("FHU", 10): (2, 4)}
ADJUDICATED = {("DCU", 4): 2}
# ECU's open question in reconciliation (reviewer code, item index), unanswered, on an item
# not yet decided.
OPEN_QUESTION = ("DCU", 12)


@dataclass(frozen=True)
class DemoReport:
    created: bool
    counts: dict[str, int]
    accounts: list[tuple[str, str, str | None]]  # email, roles, district code
    cycle: str  # the cycle in progress, whose triads these are
    triads: list[cycles.TriadMembers]


def load_demo(db: Database, settings: Settings) -> DemoReport:
    """Load the demo network unless it is there already; all or nothing."""
    catalogue = Catalogue(settings.rubrics_dir)
    with db.session() as session:
        created = session.scalar(select(User).where(User.email == COORDINATOR_EMAIL)) is None
        if created:
            _load(session, settings, catalogue)
    with db.session() as session:
        return DemoReport(
            created=created,
            counts=count_rows(session),
            accounts=demo_accounts(),
            cycle=CYCLE,
            triads=cycles.triads_of(session, cycles.get_cycle(session, CYCLE)),
        )


def count_rows(session: Session) -> dict[str, int]:
    from review.db import Base

    return {
        name: session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in sorted(Base.metadata.tables.items())
    }


def demo_accounts() -> list[tuple[str, str, str | None]]:
    """(e-mail, roles, district code) of every demo account; all have the password PASSWORD."""
    rows: list[tuple[str, str, str | None]] = [(COORDINATOR_EMAIL, "coordinator", None)]
    rows += [(_email(d), "district editor + peer reviewer", d.code) for d in DISTRICTS]
    rows.append((OBSERVER_EMAIL, "observer", None))
    return rows


def _email(district: DemoDistrict) -> str:
    return f"lead@{district.code.lower()}.example"


def _load(session: Session, settings: Settings, catalogue: Catalogue) -> None:
    coordinator = accounts.create_first_coordinator(
        session,
        settings,
        email=COORDINATOR_EMAIL,
        name="Casey Coordinator (demo)",
        password=PASSWORD,
    )
    for d in DISTRICTS:
        cycles.save_district(
            session, coordinator, code=d.code, name=d.name, enrollment=d.enrollment
        )
    leads = {
        d.code: accounts.actor_for(
            accounts.create_user(
                session,
                settings,
                email=_email(d),
                name=f"{d.name} review lead (demo)",
                roles=[Role.DISTRICT_EDITOR, Role.PEER_REVIEWER],
                district_code=d.code,
                password=PASSWORD,
                by=coordinator,
            )
        )
        for d in DISTRICTS
    }
    accounts.create_user(
        session,
        settings,
        email=OBSERVER_EMAIL,
        name="Board member (demo)",
        roles=[Role.OBSERVER],
        district_code=None,
        password=PASSWORD,
        by=coordinator,
    )
    _previous_cycle(session, settings, coordinator, catalogue, leads)
    cycle = cycles.create_cycle(
        session,
        coordinator,
        catalogue,
        name=CYCLE,
        rubric_key=RUBRIC,
        index_spec=INDEX_SPEC,
        # No reconciliation deadline: the demo's reconciliation is under way, and a past one
        # would send every peer proposal straight to a coordinator.
        deadlines={Phase.DRAFT.value: "2016-02-15", Phase.PEER_REVIEW.value: "2016-04-15"},
    )
    cycles.define_triads(session, coordinator, cycle, TRIADS)
    _index_results(session, settings, cycle, _results())
    rubric = cycles.cycle_rubric(catalogue, cycle)
    rng = random.Random(2015)
    for d in DISTRICTS:
        _self_evaluation(session, settings, leads[d.code], cycle, rubric, d, rng)
    for d in DISTRICTS:
        if d.stage in PEER_RATED:
            _peer_ratings(session, leads, cycle, rubric, d, rng, DISAGREEMENTS)
    _questions(session, leads, cycle, rubric)
    for d in DISTRICTS:
        if d.stage in ("reconciliation", "final"):
            _reconcile(session, coordinator, leads, cycle, rubric, d, final=d.stage == "final")


def _results() -> pd.DataFrame:
    """Three years of synthetic school results, schools in proportion to district size."""
    from review.index.demo_data import generate_results

    return generate_results([(d.code, d.enrollment) for d in DISTRICTS], INDEX_YEARS, seed=2015)


def _index_results(
    session: Session, settings: Settings, cycle: Cycle, results: pd.DataFrame
) -> None:
    from review.index.catalogue import SpecCatalogue
    from review.index.importer import check_results
    from review.index.store import store_results

    checked = check_results(results, source="demo results")
    store_results(session, cycle, checked, specs=SpecCatalogue(settings.index_specs_dir))


def _previous_cycle(
    session: Session,
    settings: Settings,
    coordinator: Actor,
    catalogue: Catalogue,
    leads: dict[str, Actor],
) -> None:
    """Last year's review, complete: self-evaluations, peer ratings, decisions, finalization."""
    cycle = cycles.create_cycle(
        session, coordinator, catalogue, name=PREVIOUS_CYCLE, rubric_key=PREVIOUS_RUBRIC
    )
    cycles.define_triads(session, coordinator, cycle, TRIADS)
    rubric = cycles.cycle_rubric(catalogue, cycle)
    rng = random.Random(2014)
    for d in DISTRICTS:
        _self_evaluation(session, settings, leads[d.code], cycle, rubric, d, rng, stage="final")
    for d in DISTRICTS:
        _peer_ratings(session, leads, cycle, rubric, d, rng, PREVIOUS_DISAGREEMENTS)
    # Peer review is over: districts read what their reviewers said before reconciling it.
    cycle = cycles.update_cycle(
        session, coordinator, cycle, expected_version=cycle.row_version, released=True
    )
    for d in DISTRICTS:
        _reconcile(session, coordinator, leads, cycle, rubric, d, final=True)


def _self_evaluation(
    session: Session,
    settings: Settings,
    lead: Actor,
    cycle: Cycle,
    rubric: Rubric,
    d: DemoDistrict,
    rng: random.Random,
    *,
    stage: str | None = None,
) -> None:
    stage = stage or d.stage
    if stage == "empty":
        return
    district_id = lead.district_id or 0
    _attach_evidence(session, settings, lead, cycle, rubric, d)
    items = rubric.items if stage != "draft" else rubric.items[: len(rubric.items) // 2]
    for item in items:
        level = rng.choice(rubric.levels[1:])
        data = ratings.RatingInput(
            level=level,
            narrative=self_narrative(PROFILES[d.code], item, cycle.name),
            context_values=_context(item, d),
        )
        ratings.save_self_rating(
            session,
            lead,
            cycle,
            rubric,
            district_id=district_id,
            item_id=item.id,
            data=data,
            expected_version=None,
        )
    if stage != "draft":
        ratings.submit_self_evaluation(session, lead, cycle, rubric, district_id=district_id)


def _context(item: Item, d: DemoDistrict) -> dict[str, int]:
    # Parents reached grows with size, but less than in proportion (the seed's "60 parents");
    # each further measure of an item (community members after parents) is a smaller number.
    base = 60 * (d.enrollment / 11_000) ** 0.6
    return {m.id: int(base / (n + 1)) for n, m in enumerate(item.context_measures)}


def _attach_evidence(
    session: Session,
    settings: Settings,
    lead: Actor,
    cycle: Cycle,
    rubric: Rubric,
    d: DemoDistrict,
) -> None:
    """The district's own files: Cedar Plains' sample documents in 2015-16, else small files
    generated for the district and year."""
    district_id = lead.district_id or 0
    known = {i.id for i in rubric.items}
    linked: set[str] = set()
    for name, data, description, listed in _files_of(d, cycle.name):
        items = tuple(i for i in listed if i in known)
        linked.update(items)
        evidence.add_evidence(
            session,
            settings,
            lead,
            cycle,
            rubric,
            district_id=district_id,
            file_name=name,
            data=data,
            description=description,
            items=items,
        )
    # Items the files do not cover still need evidence to submit: the last file covers them.
    rest = tuple(i.id for i in rubric.items if i.evidence_required and i.id not in linked)
    if rest:
        last = evidence.files_of(session, cycle, district_id)[-1]
        evidence.link_existing(session, lead, cycle, last.id, rest)


def _files_of(d: DemoDistrict, year: str) -> list[tuple[str, bytes, str, tuple[str, ...]]]:
    if d.code == "CPU" and year == CYCLE:  # the sample documents are Cedar Plains' 2015-16 ones
        manifest = json.loads((SAMPLE_EVIDENCE / "manifest.json").read_text(encoding="utf-8"))
        return [
            (
                entry["file"],
                (SAMPLE_EVIDENCE / entry["file"]).read_bytes(),
                entry["description"],
                tuple(entry["items"]),
            )
            for entry in manifest
        ]
    schools = max(3, d.enrollment // 8_000)
    return [
        (f.name, f.data, f.description, f.items)
        for f in evidence_files(PROFILES[d.code], year, schools=schools)
    ]


def _peer_ratings(
    session: Session,
    leads: dict[str, Actor],
    cycle: Cycle,
    rubric: Rubric,
    d: DemoDistrict,
    rng: random.Random,
    disagreements: dict[tuple[str, int], tuple[int, int]],
) -> None:
    district_id = leads[d.code].district_id or 0
    reviewers = [leads[code] for code in _triad_of(d.code) if code != d.code]
    own = {
        r.item_id: r.level
        for r in ratings.ratings_of(session, cycle, district_id)
        if r.source == ratings.SELF
    }
    files = tuple(f.file_name for f in evidence.files_of(session, cycle, district_id))
    for index, item in enumerate(rubric.items):
        forced = disagreements.get((d.code, index))
        for n, reviewer in enumerate(reviewers):
            base = own.get(item.id) or 2
            level = (
                forced[n] if forced else max(1, min(rubric.top_level, base - rng.choice((0, 0, 1))))
            )
            by, rated = PROFILES[_code(reviewer)], PROFILES[d.code]
            data = ratings.RatingInput(
                level=level,
                narrative=peer_rationale(by, rated, item, rubric, level, cycle.name, files),
                suggestions=peer_suggestion(by, rated, item, cycle.name, n),
            )
            ratings.save_peer_rating(
                session,
                reviewer,
                cycle,
                rubric,
                district_id=district_id,
                item_id=item.id,
                data=data,
                expected_version=None,
            )
    # Every reviewer submits its set; starting reconciliation is a step of its own.
    for reviewer in reviewers:
        peer_sets.submit_peer_ratings(session, reviewer, cycle, rubric, district_id=district_id)


def _reconcile(
    session: Session,
    coordinator: Actor,
    leads: dict[str, Actor],
    cycle: Cycle,
    rubric: Rubric,
    d: DemoDistrict,
    *,
    final: bool,
) -> None:
    """Start the district's reconciliation and decide its items as its reviewers would.

    Unless `final`, the reviewers are half way: the items of the rubric's first half are
    decided, except the disagreement, whose consensus proposal waits for the second reviewer.
    """
    district_id = leads[d.code].district_id or 0
    first, second = (leads[code] for code in _triad_of(d.code) if code != d.code)
    reconcile.start_reconciliation(session, first, cycle, rubric, district_id=district_id)
    rated = PROFILES[d.code]
    # What each item needs depends on its own ratings only, so the queue is read once.
    entries = {e.item: e for e in reconcile.queue(session, coordinator, cycle, rubric, district_id)}
    done = rubric.items if final else rubric.items[: len(rubric.items) // 2]
    for index, item in enumerate(done):
        entry = entries[item.id]
        where = {"district_id": district_id, "item_id": item.id}
        levels = [level for level in entry.peer_levels.values() if level is not None]
        adjudicated = ADJUDICATED.get((d.code, index))
        if cycle.name == PREVIOUS_CYCLE and adjudicated is not None:
            why = (
                f"[Synthetic demo text] The reviewers of {rated.name} could not agree; the "
                f"files show level {adjudicated} practice in most schools."
            )
            request = reconcile.DecisionRequest(
                **where, method=reconcile.Method.ADJUDICATION, level=adjudicated, rationale=why
            )
            reconcile.decide(session, coordinator, cycle, rubric, request)
            continue
        if entry.needs == reconcile.NEEDS_CONFIRM:
            request = reconcile.DecisionRequest(**where, method=reconcile.Method.AGREEMENT)
            reconcile.decide(session, first, cycle, rubric, request)
            continue
        if entry.needs == reconcile.NEEDS_CHOICE:
            level = max(levels)
            request = reconcile.DecisionRequest(
                **where,
                method=reconcile.Method.CHOICE,
                level=level,
                rationale=choice_rationale(rated, item, level),
            )
        else:
            level = round(sum(levels) / len(levels) + 0.1)  # the peers' middle, rounded up
            reconcile.discuss(
                session,
                first,
                cycle,
                rubric,
                district_id=district_id,
                item_id=item.id,
                body=f"[Synthetic demo text] We read {rated.name}'s files differently on "
                f"{item.title.lower()}; could we settle on {level}?",
            )
            request = reconcile.DecisionRequest(
                **where,
                method=reconcile.Method.CONSENSUS,
                level=level,
                rationale=consensus_rationale(rated, item, level, levels),
            )
        proposal = reconcile.decide(session, first, cycle, rubric, request)
        assert isinstance(proposal, reconcile.Proposal)
        if not final and (d.code, index) in DISAGREEMENTS:
            continue  # waits for the second reviewer's confirmation
        reconcile.confirm(
            session,
            second,
            cycle,
            rubric,
            proposal_id=proposal.id,
            expected_version=proposal.row_version,
        )
    if final:
        reconcile.finalize_district(session, coordinator, cycle, rubric, district_id=district_id)


def _questions(session: Session, leads: dict[str, Actor], cycle: Cycle, rubric: Rubric) -> None:
    """Asked during peer review: a question the district now final answered, and one the
    district now in reconciliation has not."""
    final = next(d for d in DISTRICTS if d.stage == "final")
    asker = next(code for code in _triad_of(final.code) if code != final.code)
    item = rubric.items[0]
    question = comments.ask_question(
        session,
        leads[asker],
        cycle,
        district_id=leads[final.code].district_id or 0,
        item_id=item.id,
        body=f"[Synthetic demo text] Which schools does the {item.title.lower()} record leave out?",
    )
    comments.answer_question(
        session,
        leads[final.code],
        cycle,
        question_id=question.id,
        body="[Synthetic demo text] Two alternative schools; their surveys are collected on paper "
        "and were added in May.",
    )
    open_code, index = OPEN_QUESTION
    waiting = next(d for d in DISTRICTS if d.stage == "reconciliation")
    item = rubric.items[index]
    comments.ask_question(
        session,
        leads[open_code],
        cycle,
        district_id=leads[waiting.code].district_id or 0,
        item_id=item.id,
        body=f"[Synthetic demo text] Is the {item.title.lower()} record for every school, or "
        "only the paired ones?",
    )


def _code(actor: Actor) -> str:
    return next(d.code for d in DISTRICTS if _email(d) == actor.email)


def _triad_of(code: str) -> tuple[str, ...]:
    return next(codes for codes in TRIADS.values() if code in codes)
