"""Whether saves hold under concurrency: nothing lost, nothing stale, no lock errors shown.

Run: python benchmarks/concurrency_benchmark.py [--seconds 30] [--backend sqlite|postgres|both]
         [--postgres-url URL] [--writers 1,10,50]

Each writer is a process of its own (forkserver, with the project preloaded so that 200 of
them share most of their memory) that opens its own `review.db.Database(url)` and, until
--seconds have passed, saves draft self-ratings through `review.ratings.save_self_rating` the
way a person does with no think time: it opens the rating (reads its version, in a reading
unit of work), saves from that version as a page does (`Database.write`, which runs the unit
of work again after a lock or serialization failure and answers `Busy` only after its last
attempt), and takes the answer as it comes. Every save writes a unique token
(`w<writer>-<n>`) into the narrative. Three writers in four have ten ratings of their own
district; the other quarter are editors of one district who all write the same ten ratings.
A network is fresh for each run and no rating exists before it, so the first save of each row
inserts it. An answer is
acknowledged (the saved row's version), refused (ConflictError) or an error (its class and
the first line of its message; "lock" errors are those about locks, deadlocks, busy databases
and serialization failures).

After a run, an acknowledged save is lost when another acknowledged save got the same (row,
version) (each of them counts: none of their authors can tell whether theirs is the one the
row held), when it was the row's last acknowledged save and the row's final text is not its
text, or when the audit trail does not hold its (row, version, text) exactly once. A version
went backwards when a row ends below a version that was acknowledged, when an acknowledged
version is not above the one it was saved from, or when a read that began after a save was
acknowledged saw an older version (time.monotonic is one clock for all processes on Linux).
A save reported as refused or failed whose text is in the audit trail was committed all the
same ("committed though reported failed"). Latency is that of every save attempt, from
opening its unit of work to its commit or error; saves/s counts acknowledged saves.

Runs: SQLite (a file in a temporary folder) with 50 writers; PostgreSQL with 1, 10, 50 and
200, each run in a scratch database created beside the one --postgres-url (or the environment
variable REVIEW_BENCH_POSTGRES_URL) names and dropped after it (the user needs CREATEDB;
PostgreSQL 13 or later). Each writer holds one connection (its engine's pool never needs a
second), so a run needs as many free connections as it has writers, plus one: the default
max_connections of 100 is too few for 200, and such a run is skipped with a note saying so.
To run it, raise the limit and restart the server, e.g.
`psql "$URL" -c 'ALTER SYSTEM SET max_connections = 300'` then `pg_ctl -D <data dir> restart`.
Targets: 0 lost saves and 0 lock errors shown to a writer in every run; on PostgreSQL, 50
writers acknowledge at least 3x the saves per second of 1 writer in the same run of this
script. Prints figures; exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import bisect
import multiprocessing
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.context import ForkServerContext
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from review import accounts, cycles  # noqa: E402
from review.access import Actor, Role  # noqa: E402
from review.db import AuditEvent, Cycle, Database, Rating, User  # noqa: E402
from review.errors import ConflictError  # noqa: E402
from review.ratings import RatingInput, find_rating, save_self_rating  # noqa: E402
from review.rubrics import Catalogue, Rubric  # noqa: E402
from review.settings import Settings  # noqa: E402

SQLITE_WRITERS = (50,)
POSTGRES_WRITERS = (1, 10, 50, 200)
ROWS = 10  # ratings each writer of its own district writes; also the ten the contenders share
CONTENDING = 4  # one writer in this many writes the shared ratings
TARGET_SCALING, SCALING_FROM, SCALING_TO = 3.0, 1, 50
CYCLE = "2015-16"
PASSWORD = "benchmark-password"
FILLER = "evidence text " * 20
LOCK = re.compile(r"lock|busy|serializ", re.IGNORECASE)  # also deadlock, could not serialize
SETUP_SECONDS = 600  # for every writer to open its database, before the clock starts
ACK, REFUSED, ERROR = "acknowledged", "refused", "error"
# Imported once in the forkserver, so that writers start fast and share these modules' memory
# (Python 3.11's forkserver cannot preload "__main__" itself). benchmarks._network is imported
# only where the network is built: it brings pandas, which writers do not need.
PRELOAD = [
    "review.accounts",
    "review.cycles",
    "review.db",
    "review.ratings",
    "review.settings",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "psycopg",
    "alembic.command",
    "alembic.config",
    "alembic.runtime.migration",
]

Key = tuple[int, str]  # (district id, item id): one self-rating


def narrative(token: str) -> str:
    return f"{token}: {FILLER}"


# --- the writers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """What one writer needs: plain values only, so that it crosses to the process as is."""

    writer: int
    url: str
    rubrics: str
    email: str
    district_id: int
    items: tuple[str, ...]
    seconds: float


class Save(NamedTuple):
    """One save attempt as its writer saw it (times from time.monotonic)."""

    writer: int
    token: str
    key: Key
    outcome: str
    read_version: int | None  # what the fresh read found (None: no row yet, or it failed)
    version: int | None  # the acknowledged version
    error: str
    read_at: float
    latency: float | None  # None when the read before it failed
    ended: float


@dataclass(frozen=True)
class Report:
    writer: int
    started: float
    saves: list[Save]
    failure: str = ""


def write(task: Task, ready: Barrier, results: Queue[Report]) -> None:
    """A writer process: open the database, wait for the others, save until time is up."""
    started, saves, waiting = 0.0, list[Save](), True
    try:
        db = Database(task.url)
        with db.session() as s:
            actor = accounts.actor_for(
                s.scalars(select(User).where(User.email == task.email)).one()
            )
            cycle = cycles.get_cycle(s, CYCLE)
        rubric = cycles.cycle_rubric(Catalogue(Path(task.rubrics)), cycle)
        ready.wait()
        waiting, started = False, time.monotonic()
        _save_until(db, task, actor, cycle, rubric, started + task.seconds, saves)
        db.dispose()
    except BaseException as exc:  # the run is reported as failed, not hung
        if waiting:
            ready.abort()
        results.put(Report(task.writer, started, saves, failure=label(exc)))
        return
    results.put(Report(task.writer, started, saves))


def _save_until(
    db: Database,
    task: Task,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    deadline: float,
    saves: list[Save],
) -> None:
    rng = random.Random(task.writer)
    district, n = task.district_id, 0
    while time.monotonic() < deadline:
        item = rng.choice(task.items)
        token, key = f"w{task.writer}-{n}", (district, item)
        n += 1
        read_at = time.monotonic()
        try:  # a person opens the rating: the version their save starts from
            with db.reading() as s:
                row = find_rating(s, cycle, district, item, district)
                expected = None if row is None else row.row_version
        except Exception as exc:
            ended = time.monotonic()
            error = "reading: " + label(exc)
            saves.append(
                Save(task.writer, token, key, ERROR, None, None, error, read_at, None, ended)
            )
            continue
        data = RatingInput(level=rng.randint(1, 4), narrative=narrative(token))
        start = time.monotonic()
        version, error = None, ""
        try:  # as a page saves: one unit of work, run again after a lock (`Database.write`)
            version = db.write(partial(_save, actor, cycle, rubric, district, item, data, expected))
            outcome = ACK
        except ConflictError:
            outcome = REFUSED
        except Exception as exc:
            outcome, error = ERROR, label(exc)
        ended = time.monotonic()
        saves.append(
            Save(
                task.writer,
                token,
                key,
                outcome,
                expected,
                version,
                error,
                read_at,
                ended - start,
                ended,
            )
        )


def _save(
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    district: int,
    item: str,
    data: RatingInput,
    expected: int | None,
    session: Session,
) -> int:
    return save_self_rating(
        session,
        actor,
        cycle,
        rubric,
        district_id=district,
        item_id=item,
        data=data,
        expected_version=expected,
    ).row_version


def label(exc: BaseException) -> str:
    """An error as its class and the first line of its message (SQL and parameters left out)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:120]


# --- a fresh network -------------------------------------------------------------------------


def build_network(url: str, rubrics: Path, writers: int, seconds: float) -> list[Task]:
    """Districts in draft, an editor per writer, and each writer's task.

    Writers 0 .. writers/4-1 are editors of D000 and share its first ten items; each other
    writer edits the first ten items of a district of its own.
    """
    from benchmarks._network import TRIAD_SIZE

    contenders = writers // CONTENDING
    count = -(-(writers - contenders + 1) // TRIAD_SIZE) * TRIAD_SIZE
    codes = [f"D{n:03d}" for n in range(count)]
    settings = Settings.from_env({}, database_url=url, rubrics_dir=rubrics, bcrypt_rounds=4)
    catalogue = Catalogue(rubrics)
    db = Database(url)
    try:
        with db.session() as s:
            coordinator = accounts.create_first_coordinator(
                s,
                settings,
                email="coordinator@bench.example",
                name="Coordinator",
                password=PASSWORD,
            )
            for n, code in enumerate(codes):
                cycles.save_district(
                    s,
                    coordinator,
                    code=code,
                    name=f"District {code}",
                    enrollment=5_000 + 1_000 * n,
                )
            cycle = cycles.create_cycle(
                s, coordinator, catalogue, name=CYCLE, rubric_key="bench@v1"
            )
            triads = {
                f"Triad {t + 1:03d}": codes[t * TRIAD_SIZE : (t + 1) * TRIAD_SIZE]
                for t in range(count // TRIAD_SIZE)
            }
            cycles.define_triads(s, coordinator, cycle, triads)
            items = tuple(i.id for i in cycles.cycle_rubric(catalogue, cycle).items[:ROWS])
            tasks = []
            for w in range(writers):
                code = codes[0] if w < contenders else codes[w - contenders + 1]
                email = f"writer{w}@{code.lower()}.example"
                editor = accounts.create_user(
                    s,
                    settings,
                    email=email,
                    name=f"Writer {w}",
                    roles=[Role.DISTRICT_EDITOR],
                    district_code=code,
                    password=PASSWORD,
                    by=coordinator,
                )
                assert editor.district_id is not None
                tasks.append(Task(w, url, str(rubrics), email, editor.district_id, items, seconds))
    finally:
        db.dispose()
    return tasks


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server `url` names; dropped afterwards."""
    base = make_url(url)
    name = f"review_concurrency_{secrets.token_hex(4)}"  # hex: safe to write into the SQL
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def free_connections(url: str) -> int:
    """How many more client connections the PostgreSQL server at `url` accepts now."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            free = conn.exec_driver_sql(
                "SELECT current_setting('max_connections')::int"
                " - current_setting('superuser_reserved_connections')::int"
                " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
            ).scalar_one()
    finally:
        engine.dispose()
    return int(free)


# --- a run -----------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    writers: int
    acknowledged: int = 0
    refused: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    why_lost: Counter[str] = field(default_factory=Counter)
    backwards: Counter[str] = field(default_factory=Counter)
    committed_though_failed: int = 0
    p50: float = 0.0
    p95: float = 0.0
    per_second: float = 0.0
    failures: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def lock_errors(self) -> int:
        return sum(n for what, n in self.errors.items() if LOCK.search(what))


def run(context: ForkServerContext, backend: str, url: str, tasks: list[Task]) -> Result:
    """Start every writer, let them loose together, and judge what they were told."""
    ready = context.Barrier(len(tasks) + 1)
    results: Queue[Report] = context.Queue()
    processes = [context.Process(target=write, args=(t, ready, results)) for t in tasks]
    for process in processes:
        process.start()
    with suppress(threading.BrokenBarrierError):  # a writer could not start: its report says why
        ready.wait(timeout=SETUP_SECONDS)
    seconds = tasks[0].seconds
    reports = [results.get(timeout=seconds + SETUP_SECONDS) for _ in tasks]
    for process in processes:
        process.join()
    db = Database(url)
    try:
        return judge(db, backend, reports)
    finally:
        db.dispose()


def judge(db: Database, backend: str, reports: list[Report]) -> Result:
    result = Result(backend, len(reports))
    result.failures = [f"writer {r.writer}: {r.failure}" for r in reports if r.failure]
    saves = [s for r in reports for s in r.saves]
    acks = [s for s in saves if s.outcome == ACK]
    result.acknowledged = len(acks)
    result.refused = sum(s.outcome == REFUSED for s in saves)
    result.errors = Counter(s.error for s in saves if s.outcome == ERROR)
    latencies = sorted(s.latency for s in saves if s.latency is not None)
    if latencies:
        result.p50 = statistics.median(latencies)
        result.p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    starts = [r.started for r in reports if r.started]
    if starts and saves:
        result.per_second = len(acks) / (max(s.ended for s in saves) - min(starts))

    with db.session() as s:
        final = {
            (r.district_id, r.item_id): (str(r.id), r.row_version, r.narrative)
            for r in s.scalars(select(Rating))
        }
        audited = Counter(
            (entity_id, (after or {}).get("row_version"), (after or {}).get("narrative"))
            for entity_id, after in s.execute(
                select(AuditEvent.entity_id, AuditEvent.after).where(AuditEvent.entity == "rating")
            )
        )
    lost: dict[str, str] = {}  # token -> the first reason found

    by_version: defaultdict[tuple[Key, int | None], list[Save]] = defaultdict(list)
    for save in acks:
        by_version[save.key, save.version].append(save)
    for group in by_version.values():
        if len(group) > 1:
            for save in group:
                lost.setdefault(save.token, "another save was acknowledged as the same version")

    by_row: defaultdict[Key, list[Save]] = defaultdict(list)
    for save in acks:
        by_row[save.key].append(save)
    for key, row_acks in by_row.items():
        last = max(save.version or 0 for save in row_acks)
        row_id, version, text = final.get(key, ("", 0, ""))
        if version < last:
            result.backwards["a row ends below an acknowledged version"] += 1
        for save in row_acks:
            if save.version == last and version <= last and text != narrative(save.token):
                lost.setdefault(save.token, "the row's final text is not the last saved")
            if audited[row_id, save.version, narrative(save.token)] != 1:
                lost.setdefault(save.token, "the audit trail does not hold it exactly once")
            if (save.version or 0) <= (save.read_version or 0):
                result.backwards["acknowledged at or below the version it started from"] += 1

    result.backwards["a read saw a version older than one acknowledged"] = stale_reads(saves)
    result.backwards = +result.backwards  # drop the zeros
    result.lost = len(lost)
    result.why_lost = Counter(lost.values())
    not_acked = {narrative(s.token) for s in saves if s.outcome != ACK}
    result.committed_though_failed = sum(
        n for (_, _, text), n in audited.items() if text in not_acked
    )
    return result


def stale_reads(saves: Sequence[Save]) -> int:
    """Reads that began after a save of their row was acknowledged, yet saw an older version."""
    acked: defaultdict[Key, list[tuple[float, int]]] = defaultdict(list)
    for save in saves:
        if save.outcome == ACK and save.version is not None:
            acked[save.key].append((save.ended, save.version))
    highest: dict[Key, tuple[list[float], list[int]]] = {}
    for key, events in acked.items():
        events.sort()
        ends, running, top = [], [], 0
        for ended, version in events:
            top = max(top, version)
            ends.append(ended)
            running.append(top)
        highest[key] = (ends, running)
    stale = 0
    for save in saves:
        if save.latency is None or save.key not in highest:
            continue  # the read failed, or nothing of the row was acknowledged
        ends, running = highest[save.key]
        before = bisect.bisect_left(ends, save.read_at)
        if before and (save.read_version or 0) < running[before - 1]:
            stale += 1
    return stale


# --- main ------------------------------------------------------------------------------------


def measure(
    context: ForkServerContext,
    backend: str,
    url: str,
    rubrics: Path,
    writers: int,
    seconds: float,
) -> Result:
    start = time.perf_counter()
    tasks = build_network(url, rubrics, writers, seconds)
    print(
        f"  {backend}, {writers} writers: network built in {time.perf_counter() - start:.1f} s,"
        f" running {seconds:g} s ...",
        flush=True,
    )
    return run(context, backend, url, tasks)


def postgres_runs(
    context: ForkServerContext,
    url: str,
    rubrics: Path,
    writers: Sequence[int],
    seconds: float,
) -> list[Result]:
    results = []
    for n in writers:
        free = free_connections(url)
        if n + 1 > free:
            print(
                f"  postgresql, {n} writers: skipped, the server accepts {free} more connections"
                f" and the run needs {n + 1} (raise max_connections: see the docstring)"
            )
            results.append(Result("postgresql", n, note="skipped"))
            continue
        with scratch_database(url) as scratch:
            results.append(measure(context, "postgresql", scratch, rubrics, n, seconds))
    return results


def table(results: Sequence[Result]) -> None:
    print(
        f"\n  {'backend':<11}{'writers':>8}{'acknowledged':>14}{'refused':>9}{'errors':>8}"
        f"{'lost':>7}{'backwards':>11}{'p50 ms':>9}{'p95 ms':>9}{'saves/s':>9}"
    )
    for r in results:
        if r.note:
            print(f"  {r.backend:<11}{r.writers:>8}   {r.note}")
            continue
        print(
            f"  {r.backend:<11}{r.writers:>8}{r.acknowledged:>14}{r.refused:>9}"
            f"{sum(r.errors.values()):>8}{r.lost:>7}{sum(r.backwards.values()):>11}"
            f"{r.p50 * 1000:>9.1f}{r.p95 * 1000:>9.1f}{r.per_second:>9.1f}"
        )
        details = [
            *(f"error x{n}: {what}" for what, n in r.errors.most_common()),
            *(f"lost x{n}: {why}" for why, n in r.why_lost.most_common()),
            *(f"backwards x{n}: {why}" for why, n in r.backwards.most_common()),
            *(
                [f"committed though reported failed: {r.committed_though_failed}"]
                * bool(r.committed_though_failed)
            ),
            *(f"FAILED {failure}" for failure in r.failures[:3]),
        ]
        for line in details:
            print(f"  {'':<19}{line}")


def targets(results: Sequence[Result]) -> None:
    measured = [r for r in results if not r.note]
    where = ", ".join

    def verdict(bad: Sequence[Result]) -> str:
        if not measured:
            return "not measured (no run)"
        return "met" if not bad else "MISSED in " + where(f"{r.backend}/{r.writers}" for r in bad)

    print("\ntargets:")
    print(f"  0 lost saves in every run: {verdict([r for r in measured if r.lost])}")
    print(f"  0 lock errors shown to a writer: {verdict([r for r in measured if r.lock_errors])}")
    pg = {r.writers: r for r in measured if r.backend == "postgresql"}
    if SCALING_FROM in pg and SCALING_TO in pg and pg[SCALING_FROM].per_second:
        ratio = pg[SCALING_TO].per_second / pg[SCALING_FROM].per_second
        print(
            f"  PostgreSQL saves/s at {SCALING_TO} writers >= {TARGET_SCALING:g}x {SCALING_FROM}:"
            f" {ratio:.1f}x -> {'met' if ratio >= TARGET_SCALING else 'MISSED'}"
        )
    else:
        print(
            f"  PostgreSQL saves/s at {SCALING_TO} writers >= {TARGET_SCALING:g}x {SCALING_FROM}:"
            f" not measured (needs PostgreSQL runs with {SCALING_FROM} and {SCALING_TO} writers)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each run")
    parser.add_argument(
        "--writers",
        type=lambda text: [int(n) for n in text.split(",")],
        help="writer counts to run, e.g. 1,10,50 (default: 50 on SQLite, 1,10,50,200 on PG)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("REVIEW_BENCH_POSTGRES_URL"),
        help="a PostgreSQL server to create scratch databases on "
        "(default: $REVIEW_BENCH_POSTGRES_URL)",
    )
    args = parser.parse_args()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}; runs of {args.seconds:g} s")
    results: list[Result] = []
    from benchmarks._network import write_rubric

    with tempfile.TemporaryDirectory(prefix="concurrency-bench-") as tmp:
        folder = Path(tmp)
        rubrics = write_rubric(folder)
        if args.backend in ("sqlite", "both"):
            for n in args.writers or SQLITE_WRITERS:
                url = f"sqlite:///{folder / f'sqlite-{n}.db'}"
                results.append(measure(context, "sqlite", url, rubrics, n, args.seconds))
        if args.backend in ("postgres", "both"):
            if args.postgres_url:
                writers = args.writers or POSTGRES_WRITERS
                results += postgres_runs(context, args.postgres_url, rubrics, writers, args.seconds)
            else:
                print("  postgresql: skipped, no --postgres-url or REVIEW_BENCH_POSTGRES_URL")
    table(results)
    targets(results)


if __name__ == "__main__":
    main()
