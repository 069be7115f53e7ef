"""`python -m review export packet|all`: review packets to a folder, whole or not at all."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sqlalchemy import select

from exports.finals import freeze_finals
from exports.packet import build_all, packet_for, staged, write_atomically
from review import accounts
from review.cycles import get_cycle, participants
from review.db import Database, User
from review.demo import COORDINATOR_EMAIL
from review.index.district import district_summaries
from review.index.models import DistrictSummary
from review.rubric_store import StoredRubrics
from review.rubrics import Catalogue
from review.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = commands.add_parser(
        "export", help="write review packets (ZIP with PDF, workbook, evidence and manifest)"
    )
    sub = export.add_subparsers(dest="export_command", required=True, parser_class=type(export))
    one = sub.add_parser("packet", help="one district's packet")
    one.add_argument("--cycle", required=True)
    one.add_argument("--district", required=True, metavar="CODE")
    one.add_argument("--out", required=True, type=Path, metavar="DIR")
    one.set_defaults(func=_packet)
    every = sub.add_parser("all", help="every district's packet for a cycle")
    every.add_argument("--cycle", required=True)
    every.add_argument("--out", required=True, type=Path, metavar="DIR")
    every.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="packets built at once (default: one per core)",
    )
    every.set_defaults(func=_all)


def after_demo(db: Database, settings: Settings) -> list[str]:
    """Keep the packets of the demo's final districts, as finalizing them in the app would."""
    with db.reading() as s:
        user = s.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
        coordinator = accounts.actor_for(user) if user is not None else None
    return [
        f"  kept packet {p.file_name} (SHA-256 {p.sha256[:16]}…)"
        for p in freeze_finals(db, settings, coordinator)
    ]


def _packet(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    summaries = _summaries(db, settings, args.cycle, [args.district])
    name, data = packet_for(
        db,
        Catalogue(settings.rubrics_dir, StoredRubrics(db)),
        cycle_name=args.cycle,
        district_code=args.district,
        index=summaries[args.district],
    )
    target = args.out / name
    write_atomically(target, data)
    print(f"wrote {target} ({len(data):,} bytes)")
    return 0


def _summaries(
    db: Database, settings: Settings, cycle_name: str, codes: list[str]
) -> dict[str, DistrictSummary | None]:
    with db.reading() as session:
        cycle = get_cycle(session, cycle_name)
    return district_summaries(db, settings.index_specs_dir, cycle, codes, details=False)


def _all(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    with db.reading() as session:
        codes = [d.code for d, _ in participants(session, get_cycle(session, args.cycle))]
    summaries = _summaries(db, settings, args.cycle, codes)
    db.dispose()
    with staged(args.out) as stage:
        packets = build_all(
            settings.database_url, settings.rubrics_dir, args.cycle, summaries, jobs=args.jobs
        )
        for done, (code, name, data) in enumerate(packets, start=1):
            (stage / name).write_bytes(data)
            _progress(done, len(codes), code)
    print(f"wrote {len(codes)} packet(s) to {args.out}")
    return 0


def _progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = width * done // total if total else width
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:8}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()
