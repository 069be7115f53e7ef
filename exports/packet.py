"""The ZIP packet: PDF, workbook, evidence files under safe unique names, and a manifest."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from exports.excel import render_xlsx
from exports.pdf import render_pdf
from exports.report import Report, build_report
from review import packets, scope
from review.access import Action, Actor
from review.cycles import get_cycle, get_district
from review.db import Blob, Database, Evidence
from review.evidence import sanitize_name
from review.index.models import DistrictSummary
from review.packets import Packet
from review.rubric_store import StoredRubrics
from review.rubrics import Catalogue

# Fixed entry dates keep the archive identical for identical data.
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)


def packet_name(report: Report) -> str:
    return f"{sanitize_name(report.district_code)}-{sanitize_name(report.cycle)}-packet"


def evidence_path(index: int, file_name: str) -> str:
    """A unique, safe name inside the archive (numbered, so equal names cannot collide)."""
    return f"evidence/{index:03d}-{sanitize_name(file_name)}"


def build_packet(
    session: Session,
    catalogue: Catalogue,
    *,
    cycle_name: str,
    district_code: str,
    index: DistrictSummary | None = None,
    reader: Actor | None = None,
) -> tuple[Report, bytes]:
    """The report and the bytes of its ZIP packet (with the index summary when given).

    `reader` is the person asking in the app, checked like any read; the operator's command
    line passes none.
    """
    if reader is not None:
        cycle = get_cycle(session, cycle_name)
        scope.check(
            session, reader, cycle, Action.READ_FINAL, get_district(session, district_code).id
        )
    report = build_report(
        session, catalogue, cycle_name=cycle_name, district_code=district_code, index=index
    )
    name = packet_name(report)
    files: list[tuple[str, bytes]] = [
        (f"{name}.pdf", render_pdf(report)),
        (f"{name}.xlsx", render_xlsx(report)),
    ]
    for number, row in enumerate(report.evidence, start=1):
        evidence = session.get(Evidence, row.evidence_id)
        blob = session.get(Blob, row.sha256)
        assert evidence is not None and blob is not None
        files.append((evidence_path(number, row.file_name), blob.data))
    return report, _zip(report, files)


def freeze(
    db: Database,
    catalogue: Catalogue,
    *,
    cycle_name: str,
    district_code: str,
    index: DistrictSummary | None,
    actor: Actor | None,
) -> Packet | None:
    """The kept packet of a final district's current finalization, built and kept now if it is
    not yet; None when the district is not final. `actor` is who asked (None: the operator)."""
    with db.reading() as s:
        cycle = get_cycle(s, cycle_name)
        district_id = get_district(s, district_code).id
        if actor is not None:
            scope.check(s, actor, cycle, Action.READ_FINAL, district_id)
        version = packets.current_version(s, cycle, district_id)
        if version is None:
            return None
        kept = packets.kept(s, cycle, district_id, version=version)
        if kept:
            return kept[0]
        report, data = build_packet(
            s, catalogue, cycle_name=cycle_name, district_code=district_code, index=index
        )
    name = f"{packet_name(report)}-v{version}.zip"
    db.write(
        lambda s: packets.store(
            s,
            actor,
            get_cycle(s, cycle_name),
            district_id,
            version=version,
            file_name=name,
            data=data,
        )
    )
    with db.reading() as s:
        return packets.kept(s, get_cycle(s, cycle_name), district_id, version=version)[0]


def packet_for(
    db: Database,
    catalogue: Catalogue,
    *,
    cycle_name: str,
    district_code: str,
    index: DistrictSummary | None,
) -> tuple[str, bytes]:
    """The operator's packet of a district: the kept one when it is final, else a draft."""
    kept = freeze(
        db, catalogue, cycle_name=cycle_name, district_code=district_code, index=index, actor=None
    )
    with db.reading() as s:
        if kept is not None:
            return kept.file_name, packets.stored_bytes(s, kept.sha256)
        report, data = build_packet(
            s, catalogue, cycle_name=cycle_name, district_code=district_code, index=index
        )
    return f"{packet_name(report)}.zip", data


def _zip(report: Report, files: list[tuple[str, bytes]]) -> bytes:
    manifest = {
        "district": report.district_code,
        "cycle": report.cycle,
        "rubric": report.rubric_key,
        "rubric_sha256": report.rubric_hash,
        "files": [
            {"path": path, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for path, data in files
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in [*files, ("manifest.json", json.dumps(manifest, indent=2).encode())]:
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


# Unfinished output is named for its writer, host and process, so that a later run can tell a
# leftover of a run that was killed (`kill -9`, power loss) from one still being written.
_PARTIAL = re.compile(r"^\.partial-([0-9a-f]{8})-(\d+)-")


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _partial_prefix() -> str:
    return f".partial-{_host_tag()}-{os.getpid()}-"


def remove_stale_partials(folder: Path) -> list[Path]:
    """Delete unfinished output in `folder` whose writing process is gone; return what went.

    Age says nothing about ownership (a long export is old and alive), so the test is whether
    the owning process still exists. Only names from this host are judged: a process id means
    nothing on another machine sharing the folder, which cleans its own leftovers. A reused
    process id keeps a leftover until that process ends too: it waits, it is not lost.
    """
    removed = []
    host = _host_tag()
    for path in sorted(folder.glob(".partial-*")):
        match = _PARTIAL.match(path.name)
        if match is None or match[1] != host or _alive(int(match[2])):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def write_atomically(target: Path, data: bytes) -> None:
    """Write a file so that it either appears whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(target.parent)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=_partial_prefix())
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def staged(out_dir: Path) -> Iterator[Path]:
    """A staging folder whose files move into `out_dir` only if the whole block succeeds."""
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(out_dir)
    stage = Path(tempfile.mkdtemp(dir=out_dir, prefix=_partial_prefix()))
    try:
        yield stage
        for path in sorted(stage.iterdir()):
            os.replace(path, out_dir / path.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def bundle(packets: list[tuple[str, bytes]]) -> bytes:
    """Several packets in one ZIP, for a single download of all districts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in packets:
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), data)
    return buffer.getvalue()


def _worker_packet(
    database_url: str, rubrics_dir: str, cycle_name: str, code: str, index: DistrictSummary | None
) -> tuple[str, str, bytes]:
    db = _worker_database(database_url)
    name, data = packet_for(
        db,
        Catalogue(Path(rubrics_dir), StoredRubrics(db)),  # versions published from workbooks too
        cycle_name=cycle_name,
        district_code=code,
        index=index,
    )
    return code, name, data


_DATABASES: dict[str, Database] = {}


def _worker_database(url: str) -> Database:
    # One engine per worker process, opened on first use (engines must not cross a fork).
    if url not in _DATABASES:
        _DATABASES[url] = Database(url)
    return _DATABASES[url]


def _die_with_parent(parent: int) -> None:
    """Make this worker end soon after the process that started it ends, however it ended.

    Workers share the pool's pipes with each other, so when the parent is killed (`kill -9`)
    nothing closes them: a worker sending its packet blocks for ever on a full pipe nobody
    reads, and the other waits for ever on the queue's lock (seen with `export all --jobs 2`).
    A watching thread is used rather than Linux's PR_SET_PDEATHSIG, which fires when the
    *thread* that started the worker ends, not its process, and exists on Linux only.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCH_SECONDS)
        os._exit(1)  # the parent is gone: nobody will read what this worker would send

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


_WATCH_SECONDS = 0.2


def build_all(
    database_url: str,
    rubrics_dir: Path,
    cycle_name: str,
    summaries: dict[str, DistrictSummary | None],
    *,
    jobs: int,
) -> Iterator[tuple[str, str, bytes]]:
    """Every district's packet as (code, file name, bytes), built by `jobs` processes.

    Packets come back in completion order; the first failure is raised.
    """
    if jobs <= 1:
        for code, index in summaries.items():
            yield _worker_packet(database_url, str(rubrics_dir), cycle_name, code, index)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        futures = [
            pool.submit(_worker_packet, database_url, str(rubrics_dir), cycle_name, code, index)
            for code, index in summaries.items()
        ]
        try:
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
