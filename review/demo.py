"""The demo network: six fictional districts in two triads, one cycle in progress.

Everything here is synthetic. Running `load_demo` twice leaves the same state.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review import accounts, cycles, evidence, peer_sets, ratings
from review.access import Actor, Phase, Role
from review.db import Cycle, Database, User
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
    stage: str  # empty | draft | submitted | peer_review


# Schools and priority/focus/reward counts are not set anywhere: the app counts them from the
# cycle's generated index results (`review.index.counts`), as it does from a real import.
DISTRICTS = (
    DemoDistrict("ALV", "Alder Valley Unified", 11_200, "draft"),
    DemoDistrict("BHU", "Birch Harbor Unified", 48_100, "empty"),
    DemoDistrict("CPU", "Cedar Plains Unified", 73_500, "peer_review"),
    DemoDistrict("DCU", "Dunmore City Unified", 79_700, "submitted"),
    DemoDistrict("ECU", "Elm Creek Unified", 56_800, "peer_review"),
    DemoDistrict("FHU", "Fairhaven Unified", 612_400, "peer_review"),
)
TRIADS = {"Triad North": ("ALV", "CPU", "FHU"), "Triad South": ("BHU", "DCU", "ECU")}
# Peer levels that disagree by two or more, so reconciliation has real work on the demo.
DISAGREEMENTS = {("FHU", 0): (4, 2), ("CPU", 1): (1, 3), ("ECU", 2): (4, 1)}


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
    _previous_cycle(session, coordinator, catalogue, leads)
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
        if d.stage == "peer_review":
            _peer_ratings(session, leads, cycle, rubric, d, rng)


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
    session: Session, coordinator: Actor, catalogue: Catalogue, leads: dict[str, Actor]
) -> None:
    """Last year's self-ratings, so carrying a narrative forward can be tried."""
    cycle = cycles.create_cycle(
        session, coordinator, catalogue, name=PREVIOUS_CYCLE, rubric_key=PREVIOUS_RUBRIC
    )
    cycles.define_triads(session, coordinator, cycle, TRIADS)
    rubric = cycles.cycle_rubric(catalogue, cycle)
    for d in DISTRICTS:
        for i, item in enumerate(rubric.items):
            ratings.save_self_rating(
                session,
                leads[d.code],
                cycle,
                rubric,
                district_id=leads[d.code].district_id or 0,
                item_id=item.id,
                expected_version=None,
                data=ratings.RatingInput(
                    level=2 + (i % 2), narrative=_narrative(d, item.title, PREVIOUS_CYCLE)
                ),
            )
        cycles.set_phase(
            session,
            coordinator,
            cycles.participation(session, cycle, leads[d.code].district_id or 0),
            Phase.FINAL,
        )


def _narrative(d: DemoDistrict, title: str, year: str) -> str:
    return (
        f"[Synthetic demo text] In {year}, {d.name} worked on {title.lower()}: the district "
        f"team documented its actions across its schools and attached the "
        "agendas, rosters and records listed as evidence."
    )


def _self_evaluation(
    session: Session,
    settings: Settings,
    lead: Actor,
    cycle: Cycle,
    rubric: Rubric,
    d: DemoDistrict,
    rng: random.Random,
) -> None:
    if d.stage == "empty":
        return
    district_id = lead.district_id or 0
    _attach_evidence(session, settings, lead, cycle, rubric, district_id)
    items = rubric.items if d.stage != "draft" else rubric.items[: len(rubric.items) // 2]
    for item in items:
        level = rng.choice(rubric.levels[1:])
        data = ratings.RatingInput(
            level=level,
            narrative=_narrative(d, item.title, CYCLE),
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
    if d.stage != "draft":
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
    district_id: int,
) -> None:
    manifest = json.loads((SAMPLE_EVIDENCE / "manifest.json").read_text(encoding="utf-8"))
    known = {i.id for i in rubric.items}
    linked: set[str] = set()
    for entry in manifest:
        items = tuple(i for i in entry["items"] if i in known)
        linked.update(items)
        evidence.add_evidence(
            session,
            settings,
            lead,
            cycle,
            rubric,
            district_id=district_id,
            file_name=entry["file"],
            data=(SAMPLE_EVIDENCE / entry["file"]).read_bytes(),
            description=entry["description"],
            items=items,
        )
    # Items the sample files do not cover still need evidence to submit: reuse the first file.
    rest = tuple(i.id for i in rubric.items if i.evidence_required and i.id not in linked)
    if rest:
        first = evidence.files_of(session, cycle, district_id)[0]
        evidence.link_existing(session, lead, cycle, first.id, rest)


def _peer_ratings(
    session: Session,
    leads: dict[str, Actor],
    cycle: Cycle,
    rubric: Rubric,
    d: DemoDistrict,
    rng: random.Random,
) -> None:
    district_id = leads[d.code].district_id or 0
    reviewers = [leads[code] for code in _triad_of(d.code) if code != d.code]
    own = {
        r.item_id: r.level
        for r in ratings.ratings_of(session, cycle, district_id)
        if r.source == ratings.SELF
    }
    for index, item in enumerate(rubric.items):
        forced = DISAGREEMENTS.get((d.code, index))
        for n, reviewer in enumerate(reviewers):
            base = own.get(item.id) or 2
            level = (
                forced[n] if forced else max(1, min(rubric.top_level, base - rng.choice((0, 0, 1))))
            )
            data = ratings.RatingInput(
                level=level,
                narrative=f"[Synthetic demo text] The evidence for {item.title.lower()} shows "
                f"level {level} practice: {rubric.text(item.descriptors[level])}",
                suggestions="[Synthetic demo text] Share the sign-in sheets by school and "
                "add a short reflection after each meeting.",
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
    # Every reviewer submits its set; starting reconciliation stays an explicit step to try.
    for reviewer in reviewers:
        peer_sets.submit_peer_ratings(session, reviewer, cycle, rubric, district_id=district_id)


def _triad_of(code: str) -> tuple[str, ...]:
    return next(codes for codes in TRIADS.values() if code in codes)
