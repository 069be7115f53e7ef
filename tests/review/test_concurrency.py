"""Saves under real concurrency: threads and processes, on SQLite and PostgreSQL.

Each writer pauses right after it has read the rating (`_slow_reads`), so the two always
overlap where a read-compare-write in Python would lose one of the saves.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from review import accounts, audit, cycles, evidence, ratings
from review.access import Actor, Phase
from review.db import Database, Rating
from review.errors import Busy, ConflictError, InvalidInput, PermissionDenied, ReviewError
from review.ratings import RatingInput
from review.rubrics import Catalogue

PAUSE = 0.3  # seconds a writer waits after reading the rating, holding its transaction


@contextmanager
def _slow_reads(db: Database, table: str = "FROM ratings") -> Iterator[None]:
    """Every SELECT of `table` is followed by a pause: writers overlap."""

    def pause(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and table in statement:
            time.sleep(PAUSE)

    event.listen(db.engine, "after_cursor_execute", pause)
    try:
        yield
    finally:
        event.remove(db.engine, "after_cursor_execute", pause)


def _race(*saves: Callable[[], object]) -> list[object]:
    """Run the saves in threads started together; each result or the exception raised."""
    results: list[object] = [None] * len(saves)
    start = threading.Barrier(len(saves))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = saves[i]()
        except Exception as exc:  # the outcome under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(saves))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _save_self(world: Any, text: str, expected: int | None) -> Callable[[], int]:
    def save() -> int:
        with world.db.session() as s:
            row = ratings.save_self_rating(
                s,
                world.leads["A"],
                world.cycle(s),
                world.rubric,
                district_id=world.district_id("A"),
                item_id="PDSA",
                data=RatingInput(level=2, narrative=text),
                expected_version=expected,
            )
            return row.row_version

    return save


def _stored(world: Any) -> Rating:
    with world.db.session() as s:
        district = world.district_id("A")
        row = ratings.find_rating(s, world.cycle(s), district, "PDSA", district)
        assert row is not None
        return row


def _saves_audited(world: Any) -> list[dict[str, Any]]:
    with world.db.session() as s:
        return [e.after for e in audit.events(s, entity="rating") if e.after]


def test_two_threads_saving_one_rating_from_one_version_exactly_one_wins(world):
    _save_self(world, "first", None)()
    with _slow_reads(world.db):
        results = _race(_save_self(world, "Ana's text", 1), _save_self(world, "Ben's text", 1))
    [won] = [r for r in results if isinstance(r, int)]
    [lost] = [r for r in results if isinstance(r, ConflictError)]
    winner = "Ana's text" if results[0] == 2 else "Ben's text"
    assert won == 2
    assert lost.current["narrative"] == winner
    assert lost.current["row_version"] == 2
    stored = _stored(world)
    assert (stored.narrative, stored.row_version) == (winner, 2)
    assert [(a["narrative"], a["row_version"]) for a in _saves_audited(world)] == [
        ("first", 1),
        (winner, 2),
    ]


def test_two_first_saves_of_one_item_exactly_one_wins_and_the_other_sees_its_text(world):
    with _slow_reads(world.db):
        results = _race(
            _save_self(world, "Ana's text", None), _save_self(world, "Ben's text", None)
        )
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "int"]
    [lost] = [r for r in results if isinstance(r, ConflictError)]
    winner = _stored(world)
    assert winner.row_version == 1
    assert lost.current["narrative"] == winner.narrative
    assert [a["narrative"] for a in _saves_audited(world)] == [winner.narrative]


def _process_save(
    url: str, rubrics_dir: str, actor: Actor, text: str, start: Any, out: Any
) -> None:
    db = Database(url)
    with _slow_reads(db):
        start.wait()
        try:
            with db.session() as s:
                cycle = cycles.get_cycle(s, "2015-16")
                rubric = Catalogue(__import__("pathlib").Path(rubrics_dir)).get("tiny", "v1")
                row = ratings.save_self_rating(
                    s,
                    actor,
                    cycle,
                    rubric,
                    district_id=actor.district_id or 0,
                    item_id="PDSA",
                    data=RatingInput(level=3, narrative=text),
                    expected_version=1,
                )
                out.put(("saved", text, row.row_version))
        except ConflictError as exc:
            out.put(("refused", text, exc.current["narrative"]))
        except Exception as exc:
            out.put(("error", text, repr(exc)))
    db.dispose()


def test_two_processes_saving_one_rating_from_one_version_exactly_one_wins(world):
    _save_self(world, "first", None)()
    spawn = multiprocessing.get_context("spawn")
    start, out = spawn.Barrier(2), spawn.Queue()
    url, root = world.settings.database_url, str(world.settings.rubrics_dir)
    workers = [
        spawn.Process(target=_process_save, args=(url, root, world.leads["A"], text, start, out))
        for text in ("from process one", "from process two")
    ]
    for w in workers:
        w.start()
    outcomes = sorted(out.get(timeout=120) for _ in workers)
    for w in workers:
        w.join(timeout=30)
    assert [o[0] for o in outcomes] == ["refused", "saved"], outcomes
    (_, loser_text, seen), (_, winner_text, version) = outcomes
    assert (seen, version) == (winner_text, 2)
    assert loser_text != winner_text
    assert (_stored(world).narrative, _stored(world).row_version) == (winner_text, 2)


def test_two_submissions_at_once_change_the_phase_once(world):
    _complete_but_unsubmitted(world)
    with world.db.session() as s:
        missing = ratings.missing_for_submission(
            s, world.coordinator, world.cycle(s), world.rubric, world.district_id("A")
        )
    assert missing == [], "the tiny rubric's submission must be complete for this test"

    submit = _submitter(world)

    with _slow_reads(world.db):
        results = _race(submit, submit)
    assert "submitted" in results
    [refused] = [r for r in results if r != "submitted"]
    assert isinstance(refused, InvalidInput | ConflictError), refused
    with world.db.session() as s:
        changes = [e for e in audit.events(s, entity="participation") if e.action == "change phase"]
        assert [(e.before, e.after) for e in changes] == [
            ({"phase": Phase.DRAFT.value}, {"phase": Phase.SELF_SUBMITTED.value})
        ]


def test_a_self_rating_saved_while_the_evaluation_is_submitted_is_refused_or_submitted(world):
    """Never a draft self-rating left behind a submitted self-evaluation."""
    _complete_but_unsubmitted(world)

    submit = _submitter(world)

    with _slow_reads(world.db):
        results = _race(submit, lambda: _save_item(world, "PDSA", 1))
    assert results[0] == "submitted"
    with world.db.session() as s:
        rows = ratings.ratings_of(s, world.cycle(s), world.district_id("A"))
        assert {r.item_id: r.status for r in rows} == {"ENGAGE": "submitted", "PDSA": "submitted"}
    if isinstance(results[1], InvalidInput):  # the save came second and was refused
        assert "submitted" in str(results[1])
    else:  # the save came first; the submission then included it
        assert results[1] == 2


def test_triads_changed_while_a_district_submits_never_undo_the_submission(world):
    """Either the submission wins and the triads are refused, or the triads win and the
    submission is refused: never a submitted district put back to draft by the new triads."""
    _complete_but_unsubmitted(world)

    def redefine() -> str:
        with world.db.session() as s:
            cycles.define_triads(
                s,
                world.coordinator,
                world.cycle(s),
                {"North": ["A", "B", "C"], "South": ["D", "E"]},
            )
        return "redefined"

    with _slow_reads(world.db, "FROM participations"):
        results = _race(redefine, _submitter(world))
    with world.db.session() as s:
        phase = cycles.participation(s, world.cycle(s), world.district_id("A")).phase
        submitted = [
            e
            for e in audit.events(s, entity="participation")
            if e.action == "change phase" and e.after == {"phase": Phase.SELF_SUBMITTED.value}
        ]
    if results[1] == "submitted":
        assert isinstance(results[0], InvalidInput), results
        assert "triads cannot change once a district has submitted" in str(results[0])
        assert (phase, len(submitted)) == (Phase.SELF_SUBMITTED, 1)
    else:
        assert results[0] == "redefined", results
        assert isinstance(results[1], ReviewError), results
        assert (phase, submitted) == (Phase.DRAFT, [])


def _submitter(world: Any) -> Callable[[], str]:
    def submit() -> str:
        with world.db.session() as s:
            ratings.submit_self_evaluation(
                s,
                world.leads["A"],
                world.cycle(s),
                world.rubric,
                district_id=world.district_id("A"),
            )
        return "submitted"

    return submit


def _complete_but_unsubmitted(world: Any) -> None:
    for item in ("ENGAGE", "PDSA"):
        _save_item(world, item, None)
    with world.db.session() as s:
        evidence.add_evidence(
            s,
            world.settings,
            world.leads["A"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            file_name="agenda.pdf",
            data=b"%PDF-1.4\n%synthetic\n",
            items=("ENGAGE",),
        )


def _save_item(world: Any, item: str, expected: int | None) -> int:
    with world.db.session() as s:
        return ratings.save_self_rating(
            s,
            world.leads["A"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            item_id=item,
            data=RatingInput(level=2, narrative=f"{item} text"),
            expected_version=expected,
        ).row_version


def _locked() -> OperationalError:
    return OperationalError("UPDATE ratings", {}, Exception("database is locked"))


def test_a_unit_of_work_that_meets_a_lock_is_run_again(db):
    calls = []

    def work(_session: Any) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _locked()
        return "done"

    assert db.write(work) == "done"
    assert len(calls) == 3


def test_a_lock_that_outlasts_every_retry_is_busy_and_nothing_is_saved(db):
    calls = []

    def work(_session: Any) -> None:
        calls.append(1)
        raise _locked()

    with pytest.raises(Busy, match="your text is still in the form"):
        db.write(work, attempts=3)
    assert len(calls) == 3


def test_other_faults_are_not_retried(db):
    calls = []

    def work(_session: Any) -> None:
        calls.append(1)
        raise ConflictError("lost", current={})

    with pytest.raises(ConflictError):
        db.write(work)
    assert len(calls) == 1


def test_an_sqlite_writer_waits_for_another_writer_instead_of_failing(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/wait.db")
    holder = db.engine.raw_connection()
    holder.driver_connection.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction
    threading.Timer(0.5, holder.driver_connection.execute, args=("COMMIT",)).start()
    began = time.monotonic()
    with db.session() as s:
        s.execute(select(1))
    assert time.monotonic() - began >= 0.4
    holder.close()
    db.dispose()


def test_parallel_guessing_tries_no_more_passwords_than_the_lock_allows(world):
    limit = world.settings.login_max_failures

    def guess(n: int) -> Callable[[], str]:
        def attempt() -> str:
            try:
                accounts.sign_in(world.db, world.settings, "lead@a.example", f"guess {n}")
            except PermissionDenied as refused:
                return "locked" if "Too many failed sign-ins" in str(refused) else "wrong"
            return "signed in"

        return attempt

    outcomes = _race(*(guess(n) for n in range(4 * limit)))
    assert Counter(outcomes) == {"wrong": limit, "locked": 3 * limit}
    with pytest.raises(PermissionDenied, match="locked for"):
        accounts.sign_in(world.db, world.settings, "lead@a.example", "password1")
    with world.db.reading() as s:
        assert [e.action for e in audit.events(s, entity="user")].count("lock account") == 1


def test_two_first_coordinators_at_once_only_one_is_made(db, settings, monkeypatch):
    """Both bootstraps count no account; hashing is slowed so both are past the count before
    either inserts. The count must hold the table, or both would be made."""
    slow_hash = accounts.hash_password

    def hash_slowly(password: str, rounds: int) -> str:
        time.sleep(0.5)
        return slow_hash(password, rounds)

    monkeypatch.setattr(accounts, "hash_password", hash_slowly)

    def bootstrap(email: str) -> Callable[[], object]:
        def run() -> object:
            with db.session() as s:
                return accounts.create_first_coordinator(
                    s, settings, email=email, name=None, password="password1"
                ).email

        return run

    results = _race(bootstrap("one@core.example"), bootstrap("two@core.example"))
    made = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert (len(made), len(refused)) == (1, 1), results
    with db.reading() as s:
        assert [a.email for a in accounts.list_accounts(s, _coordinator(s, made[0]))] == made


def _coordinator(session: Any, email: str) -> Actor:
    return accounts.actor_for(
        session.scalar(select(accounts.User).where(accounts.User.email == email))
    )
