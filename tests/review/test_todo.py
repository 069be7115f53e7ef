"""The to-do list of each role on the demo network, as the domain builds it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from review import accounts, comments, cycles, reconcile
from review.access import Actor, Phase
from review.db import Database, District, User
from review.demo import load_demo
from review.rubrics import Catalogue
from review.settings import Settings
from review.todo import Task, TaskKind, todo

BEFORE_DRAFT_DEADLINE = date(2016, 2, 1)  # the demo's self-evaluations are due 2016-02-15
FLAGGED = "P2-INDEX-DATA"  # FHU's item rated 4 by ALV and 2 by CPU in the demo


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings]:
    path = tmp_path_factory.mktemp("todo") / "demo.db"
    settings = Settings.from_env({}, database_url=f"sqlite:///{path}", bcrypt_rounds=4)
    db = Database(settings.database_url)
    load_demo(db, settings)
    db.dispose()
    return path, settings


@pytest.fixture
def demo(demo_file: tuple[Path, Settings], tmp_path: Path) -> Iterator[tuple[Database, Settings]]:
    template, settings = demo_file
    shutil.copy(template, tmp_path / "demo.db")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    db = Database(url)
    yield db, settings.model_copy(update={"database_url": url})
    db.dispose()


def _actor(db: Database, email: str) -> Actor:
    with db.reading() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        return accounts.actor_for(user)


def _tasks(demo, email: str, today: date = BEFORE_DRAFT_DEADLINE) -> list[Task]:
    db, settings = demo
    with db.reading() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        rubric = cycles.cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
        return todo(s, _actor(db, email), cycle, rubric, today)


def _texts(demo, email: str, today: date = BEFORE_DRAFT_DEADLINE) -> list[str]:
    return [t.text for t in _tasks(demo, email, today)]


def _district_id(db: Database, code: str) -> int:
    with db.reading() as s:
        found = s.scalar(select(District.id).where(District.code == code))
        assert found is not None
        return found


def test_editor_sees_what_their_self_evaluation_still_lacks_and_the_days_left(demo):
    assert _tasks(demo, "lead@alv.example") == [
        Task(
            kind=TaskKind.SUBMIT,
            text="Complete your self-evaluation: 7 items without a level",
            page="self_evaluation",
            due=date(2016, 2, 15),
            days_left=14,
            district="ALV",
        )
    ]


def test_editor_and_reviewer_sees_both_lists_soonest_deadline_first(demo):
    assert _tasks(demo, "lead@bhu.example") == [
        Task(
            kind=TaskKind.SUBMIT,
            text="Complete your self-evaluation: 15 items without a level and 15 items "
            "without the evidence it needs",
            page="self_evaluation",
            due=date(2016, 2, 15),
            days_left=14,
            district="BHU",
        ),
        Task(
            kind=TaskKind.RATE,
            text="Rate Dunmore City Unified: 16 of 16 items not rated yet",
            page="peer_review",
            due=date(2016, 4, 15),
            days_left=74,
            district="DCU",
            item="P2-INDEX-DATA",
        ),
        # BHU reviews ECU, whose reconciliation the demo left half way.
        Task(
            kind=TaskKind.DECIDE,
            text="Reconcile Elm Creek Unified: 8 items waiting for your decision",
            page="reconciliation",
            district="ECU",
            item="P2-WALKTHROUGH",
        ),
    ]


def test_a_late_task_has_negative_days_left(demo):
    (task,) = _tasks(demo, "lead@alv.example", date(2016, 2, 20))
    assert (task.due, task.days_left) == (date(2016, 2, 15), -5)


def test_a_question_waits_for_the_district_and_its_answer_for_the_reviewer(demo):
    db, _ = demo
    asker, fhu = _actor(db, "lead@alv.example"), _actor(db, "lead@fhu.example")
    with db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        question = comments.ask_question(
            s, asker, cycle, district_id=_district_id(db, "FHU"), item_id=FLAGGED, body="Which?"
        )
        question_id = question.id
    assert _texts(demo, "lead@fhu.example") == [
        f"Answer Alder Valley Unified review lead (demo)'s question on {FLAGGED}"
    ]
    assert _texts(demo, "lead@alv.example") == [
        "Complete your self-evaluation: 7 items without a level"
    ]
    with db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        comments.answer_question(s, fhu, cycle, question_id=question_id, body="The survey.")
    assert _texts(demo, "lead@fhu.example") == []
    answer = _tasks(demo, "lead@alv.example")[-1]
    assert answer == Task(
        kind=TaskKind.ANSWER,
        text=f"Fairhaven Unified answered your question on {FLAGGED}",
        page="peer_review",
        district="FHU",
        item=FLAGGED,
    )
    # Only the reviewer who asked is told: the other reviewer of FHU did not ask.
    assert _texts(demo, "lead@cpu.example") == [
        "The review packet of Cedar Plains Unified is ready"
    ]


def _start_reconciliation(demo, code: str) -> None:
    db, settings = demo
    with db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        rubric = cycles.cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
        reconcile.start_reconciliation(
            s,
            _actor(db, "coordinator@core.example"),
            cycle,
            rubric,
            district_id=_district_id(db, code),
        )


def _choose(demo, email: str, code: str) -> str:
    """`email`'s district proposes a choice on the first item of `code` that needs one."""
    db, settings = demo
    actor = _actor(db, email)
    with db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        rubric = cycles.cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
        district_id = _district_id(db, code)
        entry = next(
            e
            for e in reconcile.queue(s, actor, cycle, rubric, district_id)
            if e.needs == reconcile.NEEDS_CHOICE
        )
        level = max(v for v in entry.peer_levels.values() if v is not None)
        request = reconcile.DecisionRequest(
            district_id=district_id,
            item_id=entry.item,
            method=reconcile.Method.CHOICE,
            level=level,
            rationale="The higher level is supported by the agendas.",
        )
        reconcile.decide(s, actor, cycle, rubric, request)
        return entry.item


def test_reviewers_see_the_decisions_due_once_reconciliation_starts(demo):
    _start_reconciliation(demo, "FHU")
    decide = Task(
        kind=TaskKind.DECIDE,
        text="Reconcile Fairhaven Unified: 16 items waiting for your decision",
        page="reconciliation",
        district="FHU",
        item=FLAGGED,
    )
    assert _tasks(demo, "lead@alv.example") == [
        Task(
            kind=TaskKind.SUBMIT,
            text="Complete your self-evaluation: 7 items without a level",
            page="self_evaluation",
            due=date(2016, 2, 15),
            days_left=14,
            district="ALV",
        ),
        decide,
    ]
    cpu_packet = "The review packet of Cedar Plains Unified is ready"  # CPU is final
    assert [t.text for t in _tasks(demo, "lead@cpu.example")] == [decide.text, cpu_packet]
    assert _tasks(demo, "lead@cpu.example")[0] == decide
    assert _texts(demo, "coordinator@core.example") == [
        "Reconciliation of Elm Creek Unified: 4 open flags",
        "Reconciliation of Fairhaven Unified: 2 open flags",
        cpu_packet,
    ]


def test_a_proposal_waits_only_for_the_districts_yet_to_confirm_it(demo):
    _start_reconciliation(demo, "FHU")
    _choose(demo, "lead@cpu.example", "FHU")
    assert _texts(demo, "lead@cpu.example") == [
        "Reconcile Fairhaven Unified: 15 items waiting for your decision",
        "The review packet of Cedar Plains Unified is ready",
    ]
    assert _texts(demo, "lead@alv.example")[-1] == (
        "Reconcile Fairhaven Unified: 16 items waiting for your decision"
    )


def test_packets_of_final_districts_are_ready_for_observer_editor_and_coordinator(demo):
    db, _ = demo
    with db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        part = cycles.participation(s, cycle, _district_id(db, "ECU"))
        cycles.set_phase(s, _actor(db, "coordinator@core.example"), part, Phase.FINAL)
    ready = Task(
        kind=TaskKind.PACKET,
        text="The review packet of Elm Creek Unified is ready",
        page="packets",
        district="ECU",
    )
    cpu = Task(
        kind=TaskKind.PACKET,
        text="The review packet of Cedar Plains Unified is ready",
        page="packets",
        district="CPU",
    )
    assert _tasks(demo, "board@core.example") == [cpu, ready]
    assert _tasks(demo, "lead@ecu.example")[-1] == ready
    assert _tasks(demo, "coordinator@core.example") == [cpu, ready]
    assert ready not in _tasks(demo, "lead@dcu.example")


def test_coordinator_sees_every_overdue_phase(demo):
    assert _texts(demo, "coordinator@core.example", date(2016, 3, 1)) == [
        "Alder Valley Unified is late: Self-evaluation in draft was due 2016-02-15",
        "Birch Harbor Unified is late: Self-evaluation in draft was due 2016-02-15",
        "Reconciliation of Elm Creek Unified: 4 open flags",
        "The review packet of Cedar Plains Unified is ready",
    ]
