"""Pages read afresh on every rerun, with a fixed number of queries whatever the network size.

Nothing a page shows is kept from an earlier rerun except what is immutable or explicitly keyed
(a rubric version by its hash, index results by the cycle's import count), so a change made in
another session shows at the next rerun; and a page's queries are grouped, so their number
does not grow with the number of districts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from benchmarks._network import PAGE_VISITS, generated_network
from review import accounts, cycles
from review.db import Cycle, Database, IndexSummary, User
from review.index.catalogue import SpecCatalogue
from review.index.models import DistrictSummary
from review.index.store import load_results, save_results
from review.settings import PROJECT_ROOT
from tests.ui.conftest import APP
from ui.shell import PAGES

SPECS = SpecCatalogue(PROJECT_ROOT / "index_specs")
ALV_LATE = "Self-evaluation in draft was due 2016-02-15; Peer review was due 2016-04-15"


def _overdue(at: AppTest, code: str) -> str:
    table = at.dataframe[0].value
    return str(table[table["District"].str.startswith(code)]["Overdue"].iloc[0])


def test_a_deadline_the_coordinator_moves_shows_at_the_next_rerun_of_progress(app_as):
    progress = app_as("coordinator@core.example", "progress")
    assert _overdue(progress, "ALV") == ALV_LATE

    setup = app_as("coordinator@core.example", "setup")  # another browser of the coordinator
    next(t for t in setup.text_input if t.label == "Deadline: self-evaluation submitted").input(
        "2099-02-15"
    )
    next(b for b in setup.button if b.label == "Save deadlines and release").click().run()
    assert [s.value for s in setup.success] == ["Saved."]

    progress.run()
    assert progress.caption[0].value == (
        "Cycle 2015-16 · 16 items · deadlines: self-evaluation submitted 2099-02-15, "
        "peer ratings given 2016-04-15"
    )
    assert _overdue(progress, "ALV") == "Peer review was due 2016-04-15"


def test_deadlines_set_in_another_session_show_at_the_next_rerun_of_progress(app_as, demo_db):
    progress = app_as("coordinator@core.example", "progress")
    assert _overdue(progress, "ALV") == ALV_LATE

    with demo_db.session() as s:  # as the command line, or another server process, would
        coordinator = s.scalar(select(User).where(User.email == "coordinator@core.example"))
        cycle = cycles.get_cycle(s, "2015-16")
        cycles.update_cycle(
            s,
            accounts.actor_for(coordinator),
            cycle,
            expected_version=cycle.row_version,
            deadlines={
                "draft": "2099-02-15",
                "peer_review": "2099-04-15",
                "reconciliation": "2099-05-15",
            },
        )
    progress.run()
    assert progress.caption[0].value == (
        "Cycle 2015-16 · 16 items · deadlines: "
        "self-evaluation submitted 2099-02-15, peer ratings given 2099-04-15, "
        "reconciliation decided 2099-05-15"
    )
    codes = ("ALV", "BHU", "CPU", "DCU", "ECU", "FHU")
    assert {_overdue(progress, code) for code in codes} == {"–"}


def test_an_index_re_import_with_corrected_values_shows_at_the_next_rerun(app_as, demo_db):
    at = app_as("lead@fhu.example", "index_summary")
    assert {m.label: m.value for m in at.metric} == {
        "Priority schools": "14",
        "Focus schools": "36",
        "Reward schools": "33",
    }
    frame = load_results(demo_db, "2015-16")
    # The correction: one FHU school without a designation in 2015-16 was a priority school.
    school = frame[
        (frame["district_id"] == "FHU") & (frame["year"] == "2015-16") & frame["designation"].isna()
    ]["school_id"].iloc[0]
    corrected = frame.copy()
    rows = (corrected["school_id"] == school) & (corrected["year"] == "2015-16")
    corrected["designation"] = corrected["designation"].astype(object)
    corrected.loc[rows, "designation"] = "priority"
    save_results(demo_db, "2015-16", corrected, specs=SPECS)

    at.run()
    assert not at.error
    assert {m.label: m.value for m in at.metric} == {
        "Priority schools": "15",
        "Focus schools": "36",
        "Reward schools": "33",
    }


def _store_fhu_designations(demo_db: Database, imports: int, priority: int) -> None:
    """Store FHU's summary with another count of priority schools, under `imports`."""
    with demo_db.session() as s:
        text = s.scalar(select(IndexSummary.summary).where(IndexSummary.district_code == "FHU"))
        assert text is not None
        summary = DistrictSummary.model_validate_json(text)
        assert summary.designations is not None
        changed = summary.model_copy(
            update={"designations": {**summary.designations, "priority": priority}}
        )
        s.execute(
            update(IndexSummary)
            .where(IndexSummary.district_code == "FHU")
            .values(summary=changed.model_dump_json(), index_imports=imports)
        )


def test_the_index_summary_page_shows_the_summary_its_import_stored(app_as, demo_db):
    _store_fhu_designations(demo_db, imports=1, priority=99)  # the demo imported once

    at = app_as("lead@fhu.example", "index_summary")

    assert not at.error
    assert at.metric[0].label == "Priority schools"
    assert at.metric[0].value == "99"  # read from the stored row, not computed


def test_a_summary_stored_by_an_earlier_import_is_never_shown(app_as, demo_db):
    _store_fhu_designations(demo_db, imports=0, priority=99)  # left behind by an older import

    at = app_as("lead@fhu.example", "index_summary")

    assert not at.error
    assert {m.label: m.value for m in at.metric} == {
        "Priority schools": "14",  # computed from the results of the current import
        "Focus schools": "36",
        "Reward schools": "33",
    }


def _context(at: AppTest) -> dict[str, str]:
    """The district's context: the first five figures (the item's measures follow)."""
    return {m.label: m.value for m in at.metric[:5]}


def test_a_districts_counts_follow_each_index_import_on_the_peer_review_page(app_as, demo_db):
    at = app_as("lead@ecu.example", "peer_review")
    at.selectbox(key="peer_district").set_value("DCU").run()
    assert _context(at) == {
        "Students": "79,700",
        "Schools": "64",
        "Priority schools": "10",
        "Focus schools": "8",
        "Reward schools": "0",
    }
    assert at.caption[1].value == "Schools from the cycle's index data for 2015-16."

    frame = load_results(demo_db, "2015-16")
    dcu = frame[frame["district_id"] == "DCU"]
    closed = dcu[dcu["designation"] == "priority"]["school_id"].iloc[0]
    kept = frame[~((frame["school_id"] == closed) & (frame["year"] == "2015-16"))]
    save_results(demo_db, "2015-16", kept, specs=SPECS)
    at.run()
    assert (_context(at)["Schools"], _context(at)["Priority schools"]) == ("63", "9")

    save_results(demo_db, "2015-16", frame[frame["district_id"] != "DCU"], specs=SPECS)
    at.run()
    assert _context(at) == {
        "Students": "79,700",
        "Schools": "not imported",
        "Priority schools": "not imported",
        "Focus schools": "not imported",
        "Reward schools": "not imported",
    }
    assert at.caption[1].value == (
        "Schools: the cycle's index data for this district is not imported yet."
    )


def test_an_index_import_counts_on_the_cycle(demo_db):
    with demo_db.session() as s:
        before = s.scalar(select(Cycle.index_imports).where(Cycle.name == "2015-16"))
    save_results(demo_db, "2015-16", load_results(demo_db, "2015-16"), specs=SPECS)
    with demo_db.session() as s:
        after = s.scalar(select(Cycle.index_imports).where(Cycle.name == "2015-16"))
    assert (before, after) == (1, 2)  # the demo imported once


# --- statements per rerun at 6 and at 60 districts -----------------------------------------

VISITS = PAGE_VISITS
SIZES = (6, 60)


@pytest.fixture(scope="module")
def networks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, Database]]:
    """Generated networks of 6 and of 60 districts (triads, ratings, evidence, index results)."""
    made: dict[int, Database] = {}
    for size in SIZES:
        folder: Path = tmp_path_factory.mktemp(f"network{size}")
        made[size], _ = generated_network(folder, size, index_spec="core-sqii@2015-16")
    yield made
    for db in made.values():
        db.dispose()


def _statements_of_a_rerun(db: Database, page: str, email: str) -> list[str]:
    """The SQL statements of one rerun of `page`, signed in as `email`, once warmed up."""
    folder = Path(db.url.removeprefix("sqlite:///")).parent
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVIEW_DATABASE_URL", db.url)
        patch.setenv("REVIEW_RUBRICS_DIR", str(folder / "rubrics"))
        at = AppTest.from_file(APP, default_timeout=120)
        with db.session() as s:
            user = s.scalar(select(User).where(User.email == email))
            at.session_state["actor"] = accounts.actor_for(user)
        at.run()
        at.switch_page(f"ui/pages/{page}.py").run()  # fills what is cached by key
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_):
            statements.append(statement)

        event.listen(Engine, "before_cursor_execute", record)
        try:
            at.run()
        finally:
            event.remove(Engine, "before_cursor_execute", record)
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    return statements


def test_every_page_is_visited():
    assert {page for page, _ in VISITS} == {spec.name for spec in PAGES}


@pytest.mark.parametrize(("page", "email"), VISITS, ids=[f"{p}-{e[:4]}" for p, e in VISITS])
def test_a_rerun_runs_as_many_statements_at_60_districts_as_at_6(networks, page, email):
    small, big = (_statements_of_a_rerun(networks[size], page, email) for size in SIZES)
    assert len(small) > 0
    grew = Counter(q.split("WHERE")[0] for q in big) - Counter(q.split("WHERE")[0] for q in small)
    assert len(big) == len(small), f"more statements at {SIZES[1]} districts: {dict(grew)}"
