"""`rubric export` and `rubric import`: rubric versions to and from Excel workbooks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from review import rubric_store
from review.access import Action
from review.backup import atomic_file
from review.cli import acting, add_as_option
from review.db import Database
from review.errors import InvalidInput
from review.rubric_import import preview_import
from review.rubric_workbook import LIMITS, write_workbook
from review.rubrics import Catalogue, dump_yaml
from review.settings import Settings
from review.workbook_checks import WorkbookProblems, problems_csv, shown


def register(sub: argparse._SubParsersAction[Any]) -> None:
    export = sub.add_parser(
        "export", help="write any version (file or database) as a workbook or a YAML file"
    )
    export.add_argument("key", metavar="ID@VERSION")
    out = export.add_mutually_exclusive_group(required=True)
    out.add_argument("--xlsx", type=Path, metavar="FILE", help="an Excel workbook to edit")
    out.add_argument("--yaml", type=Path, metavar="FILE", help="a rubric file")
    export.set_defaults(func=_export)
    load = sub.add_parser(
        "import", help="check an edited workbook, show its changes, publish it with --apply"
    )
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument("--version", required=True, metavar="ID@VERSION", help="the new version")
    load.add_argument("--apply", action="store_true", help="publish it (default: a dry run)")
    add_as_option(load)
    load.set_defaults(func=_import)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        rubric = _catalogue(settings, db).get_key(args.key)
    finally:
        db.dispose()
    target: Path = args.xlsx or args.yaml
    data = write_workbook(rubric) if args.xlsx else dump_yaml(rubric).encode("utf-8")
    _write_whole(target, data)
    print(f"wrote {rubric.key} to {target} ({len(rubric.items)} items)")
    return 0


def _write_whole(target: Path, data: bytes) -> None:
    with atomic_file(target) as out:
        out.write(data)


def _import(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.file
    if path.stat().st_size > LIMITS.file_bytes:
        raise InvalidInput(
            f"{path}: the file is {path.stat().st_size:,} bytes; a rubric workbook may be at "
            f"most {LIMITS.file_bytes:,}"
        )
    db = Database(settings.database_url)
    try:
        with db.reading() as session:
            acting(session, args, Action.MANAGE_CYCLE)
        catalogue = _catalogue(settings, db)
        try:
            preview = preview_import(catalogue, path.read_bytes(), args.version)
        except WorkbookProblems as exc:
            return _report_problems(path, exc)
        print(f"{preview.based_on.key} -> {preview.rubric.key}: {len(preview.changes)} change(s)")
        for change in preview.changes:
            print(f"  {change.kind:11} {change.item:24} {shown(change.detail, 100)}")
        if not args.apply:
            print(f"dry run: nothing published; add --apply to publish {preview.rubric.key}")
            return 0
        with db.session() as session:
            actor = acting(session, args, Action.MANAGE_CYCLE)
            digest = rubric_store.publish(
                session, actor, catalogue, preview.rubric, based_on=preview.based_on.key
            )
    finally:
        db.dispose()
    print(f"published {preview.rubric.key} sha256 {digest}")
    return 0


def _report_problems(path: Path, exc: WorkbookProblems) -> int:
    """One line on stderr; the full list in a CSV beside the workbook when there are more."""
    line = f"error: {path}: {exc}"
    if len(exc.problems) > 1:
        listing = path.with_name(path.name + ".problems.csv")
        _write_whole(listing, problems_csv(exc.problems).encode("utf-8"))
        line += f"; every problem is listed in {listing}"
    print(line, file=sys.stderr)
    return 1


def _catalogue(settings: Settings, db: Database) -> Catalogue:
    return Catalogue(settings.rubrics_dir, rubric_store.StoredRubrics(db))
