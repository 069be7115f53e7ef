"""`python -m review selfeval export|import`: a self-evaluation as an offline workbook."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from review import accounts
from review.access import Action, Actor, refusal
from review.cli import add_as_option, problems_beside
from review.cycles import cycle_rubric, get_cycle, get_district
from review.db import Database
from review.offline.selfeval import (
    ItemChange,
    OfflineImport,
    Status,
    apply_import,
    export_workbook,
    preview_import,
)
from review.offline.workbook import read_workbook
from review.problems import escaped
from review.rubrics import Catalogue
from review.settings import Settings

__all__ = ["register", "run_export", "run_import"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `selfeval export` and `selfeval import` to the top-level parser."""
    group = subparsers.add_parser("selfeval", help="a self-evaluation as an offline workbook")
    commands = group.add_subparsers(
        dest="selfeval_command", required=True, parser_class=type(group)
    )
    export = commands.add_parser("export", help="write a district's self-evaluation workbook")
    export.add_argument("--cycle", required=True, metavar="NAME", help="e.g. 2015-16")
    export.add_argument("--district", required=True, metavar="CODE")
    export.add_argument("--xlsx", required=True, type=Path, metavar="FILE")
    add_as_option(export)
    export.set_defaults(func=run_export)
    load = commands.add_parser(
        "import",
        help="show what a filled-in workbook changes; --apply saves it (items saved by someone "
        "else since the download are refused and listed)",
    )
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument(
        "--apply",
        action="store_true",
        help="save the changes (without it, a dry run: the preview is printed, nothing changes)",
    )
    add_as_option(load)
    load.set_defaults(func=run_import)


def _account(session: Session, args: argparse.Namespace) -> Actor:
    """The `--as` account, if it exists, is active and has a role.

    Which district it may read or edit is decided by the domain (`scope.check`), as on the page.
    """
    return accounts.command_line_actor(session, args.as_email, Action.READ_PRACTICE)


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the workbook of `--district` in `--cycle` to `--xlsx` (whole, or not at all)."""
    db = Database(settings.database_url)
    try:
        with db.reading() as session:
            actor = _account(session, args)
            cycle = get_cycle(session, args.cycle)
            rubric = cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
            district = get_district(session, args.district)
            _, data = export_workbook(session, actor, cycle, rubric, district.id)
    finally:
        db.dispose()
    partial = args.xlsx.with_name(f".{args.xlsx.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, args.xlsx)
    print(
        f"wrote {escaped(args.xlsx, limit=300)}: self-evaluation of {district.code} in cycle "
        f"{cycle.name}, {len(rubric.items)} items (rubric {rubric.key})"
    )
    return 0


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """Print what the workbook changes; with `--apply`, save it. Exit 1 if an item was refused."""
    db = Database(settings.database_url)
    try:
        with problems_beside(args.file):
            workbook = read_workbook(args.file.read_bytes(), args.file.name)
            with db.session() if args.apply else db.reading() as session:
                actor = _account(session, args)
                if actor.district_id is None:
                    raise refusal(actor, Action.EDIT_SELF)
                cycle = get_cycle(session, workbook.meta.cycle)
                rubric = cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
                work = apply_import if args.apply else preview_import
                done = work(session, actor, cycle, rubric, actor.district_id, workbook)
    finally:
        db.dispose()
    print("\n".join(preview_lines(done)))
    if not args.apply:
        print("dry run: nothing was saved; run again with --apply to save the changes")
        return 0
    return 1 if done.count(Status.REFUSED) else 0


def preview_lines(result: OfflineImport) -> list[str]:
    """The summary, then one line per item that changes or is refused (with their text)."""
    lines = [result.summary()]
    for item in result.items:
        if item.status in (Status.CHANGE, Status.REFUSED):
            lines.append(f"  {item.item_id:12} {item.status}: {_difference(item)}")
    return lines


def _difference(item: ItemChange) -> str:
    parts = []
    if item.old_level != item.new_level:
        parts.append(f"level {item.old_level} -> {item.new_level}")
    if item.old_narrative != item.new_narrative:
        parts.append(
            f"narrative '{escaped(item.old_narrative, limit=60)}' -> "
            f"'{escaped(item.new_narrative, limit=60)}'"
        )
    if item.status == Status.REFUSED and item.theirs is not None:
        parts.append(
            f"their version {item.theirs.get('row_version')}: level "
            f"{item.theirs.get('level') or 'not rated'}, narrative "
            f"'{escaped(item.theirs.get('narrative', ''), limit=200)}'"
        )
    return "; ".join(parts) or "no difference"
