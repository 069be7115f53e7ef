"""A network to measure on: the demo, or a generated one of any size (shared by benchmarks)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import yaml
from sqlalchemy import insert, update

from review import accounts, audit, cycles, evidence
from review.access import Phase, Role
from review.db import Database, Participation, Rating
from review.demo import INDEX_YEARS, SAMPLE_EVIDENCE, load_demo
from review.index.catalogue import SpecCatalogue
from review.index.demo_data import generate_results
from review.index.importer import check_results
from review.index.store import store_results
from review.rubrics import Catalogue
from review.settings import Settings

DISTRICTS, ITEMS, TRIAD_SIZE = 60, 40, 3  # 20 triads: a self rating + 2 peer ratings per item
EVIDENCE_FILES = (
    "stakeholder_meeting_agenda.pdf",
    "parent_meeting_signin.csv",
    "climate_survey_summary.xlsx",
)
SEED = 2016


def demo_network(folder: Path) -> tuple[Database, Settings]:
    url = f"sqlite:///{folder / 'demo.db'}"
    settings = Settings.from_env({}, database_url=url, bcrypt_rounds=4)
    db = Database(url)
    load_demo(db, settings)
    return db, settings


def write_rubric(folder: Path, items: int = ITEMS) -> Path:
    """The benchmark rubric (`bench@v1`, `items` items) as a rubrics folder under `folder`."""
    rubrics = folder / "rubrics"
    (rubrics / "bench").mkdir(parents=True)
    (rubrics / "bench" / "v1.yaml").write_text(
        yaml.safe_dump(_rubric_yaml(items), sort_keys=False), encoding="utf-8"
    )
    return rubrics


def _rubric_yaml(items: int) -> dict[str, object]:
    principles = [{"id": f"P{p}", "title": f"Principle {p}"} for p in range(1, 6)]
    return {
        "id": "bench",
        "version": "v1",
        "title": "Benchmark rubric",
        "school_year": "2015-16",
        "scale": [
            {"level": 1, "label": "Not started", "meaning": "Nothing done yet."},
            {"level": 2, "label": "Beginning", "meaning": "Some steps taken."},
            {"level": 3, "label": "Implementing", "meaning": "Mostly in place."},
            {"level": 4, "label": "Fully implemented", "meaning": "Fully in place."},
        ],
        "compliance": {"meets": 3, "partially_meets": 2},
        "settings": {"pdsa_cycles_per_year": 3},
        "principles": principles,
        "items": [
            {
                "id": f"P{i // 8 + 1}-ITEM-{i + 1:02d}",
                "principle": f"P{i // 8 + 1}",
                "title": f"Requirement {i + 1} of the network rubric",
                "prompt": "Did the district carry out this requirement for every school, "
                "with records of what was done and who took part?",
                "descriptors": {
                    1: "No evidence that the district attempted this requirement.",
                    2: "Some activity, limited in reach, frequency or quality.",
                    3: "In place for most schools and carried out as planned.",
                    4: "Consistent for all schools; results are used to improve.",
                },
                "exemplars": {2: "Agendas for some schools but no sign-in sheets."},
                "evidence_expectations": ["Agendas", "Sign-in sheets", "Minutes"],
                "evidence_required": i % 5 != 4,
                "allow_not_applicable": i % 10 == 9,
                "context_measures": (
                    [{"id": "parents_reached", "label": "Parents reached"}] if i % 8 == 0 else []
                ),
            }
            for i in range(items)
        ],
    }


def generated_network(
    folder: Path,
    districts: int = DISTRICTS,
    *,
    index_spec: str | None = None,
    students: Callable[[int], int] = lambda n: 5_000 + 1_000 * n,
) -> tuple[Database, Settings]:
    """Districts in triads of 3, 40 items, a self and two peer ratings each, evidence.

    With `index_spec`, the cycle also gets three years of synthetic index results.
    """
    rubrics = write_rubric(folder)
    url = f"sqlite:///{folder / 'network.db'}"
    settings = Settings.from_env({}, database_url=url, rubrics_dir=rubrics, bcrypt_rounds=4)
    db = Database(url)
    catalogue = Catalogue(rubrics)
    rubric = catalogue.get("bench", "v1")
    rng = random.Random(SEED)
    codes = [f"D{n:03d}" for n in range(1, districts + 1)]
    with db.session() as s:
        coordinator = accounts.create_first_coordinator(
            s,
            settings,
            email="coordinator@bench.example",
            name="Coordinator",
            password="benchmark-password",
        )
        for n, code in enumerate(codes):
            cycles.save_district(
                s,
                coordinator,
                code=code,
                name=f"District {code}",
                enrollment=students(n),
            )
        leads = {
            code: accounts.actor_for(
                accounts.create_user(
                    s,
                    settings,
                    email=f"lead@{code.lower()}.example",
                    name=f"Lead of {code}",
                    roles=[Role.DISTRICT_EDITOR, Role.PEER_REVIEWER],
                    district_code=code,
                    password="benchmark-password",
                    by=coordinator,
                )
            )
            for code in codes
        }
        cycle = cycles.create_cycle(
            s, coordinator, catalogue, name="2015-16", rubric_key="bench@v1", index_spec=index_spec
        )
        triads = {
            f"Triad {t + 1:02d}": codes[t * TRIAD_SIZE : (t + 1) * TRIAD_SIZE]
            for t in range(districts // TRIAD_SIZE)
        }
        cycles.define_triads(s, coordinator, cycle, triads)
        ids = {code: leads[code].district_id or 0 for code in codes}
        item_ids = [i.id for i in rubric.items]
        for code in codes:  # every file linked to the first item, and to a share of the rest
            for k, name in enumerate(EVIDENCE_FILES):
                evidence.add_evidence(
                    s,
                    settings,
                    leads[code],
                    cycle,
                    rubric,
                    district_id=ids[code],
                    file_name=name,
                    data=(SAMPLE_EVIDENCE / name).read_bytes(),
                    description=f"{name} of {code}",
                    items=(item_ids[0], *item_ids[1 + k :: len(EVIDENCE_FILES)]),
                )
        now = audit.now()
        rows = []
        for members in triads.values():
            for code in members:
                for item in rubric.items:
                    for rater in members:  # the district itself, then its two peers
                        own = rater == code
                        level = rng.randint(1, 4)
                        rows.append(
                            {
                                "cycle_id": cycle.id,
                                "district_id": ids[code],
                                "item_id": item.id,
                                "rater_district_id": ids[rater],
                                "source": "self" if own else "peer",
                                "level": level,
                                "not_applicable": False,
                                "narrative": f"Level {level}: " + "evidence text " * 20,
                                "suggestions": "" if own else "Share sign-in sheets by school.",
                                "context_values": {"parents_reached": 120}
                                if own and item.context_measures
                                else {},
                                # Peer sets submitted: drafts would count in no flag.
                                "status": "submitted",
                                "row_version": 1,
                                "updated_by": leads[rater].user_id,
                                "updated_at": now,
                            }
                        )
        s.execute(insert(Rating), rows)
        s.execute(
            update(Participation)
            .where(Participation.cycle_id == cycle.id)
            .values(phase=Phase.PEER_REVIEW.value)
        )
        if index_spec:
            frame = generate_results(
                [(c, students(n)) for n, c in enumerate(codes)], INDEX_YEARS, seed=SEED
            )
            specs = SpecCatalogue(settings.index_specs_dir)
            store_results(s, cycle, check_results(frame), specs=specs)
    return db, settings


# Every page of the navigation, as the person of a generated network who uses it (both, where
# both do): what the page benchmark times and the fresh-reads test counts statements of.
LEAD, COORDINATOR = "lead@d001.example", "coordinator@bench.example"
PAGE_VISITS: tuple[tuple[str, str], ...] = (
    ("home", LEAD),
    ("home", COORDINATOR),
    ("self_evaluation", LEAD),
    ("peer_review", LEAD),
    ("reconciliation", LEAD),
    ("reconciliation", COORDINATOR),
    ("practice", LEAD),
    ("progress", COORDINATOR),
    ("calibration", COORDINATOR),
    ("index_summary", LEAD),
    ("index_summary", COORDINATOR),
    ("setup", COORDINATOR),
    ("rubrics", COORDINATOR),
    ("packets", COORDINATOR),
)
