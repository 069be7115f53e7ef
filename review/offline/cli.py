"""`python -m review selfeval|peer export|import`: ratings as an offline workbook.

`selfeval` is a district's self-evaluation; `peer` is the `--as` account's district's ratings
of a district it reviews. Both import the same way: a dry run by default, `--apply` to save.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from review import accounts
from review.access import Action, Actor, refusal
from review.cli import add_as_option, problems_beside
from review.cycles import cycle_rubric, get_cycle, get_district
from review.db import Cycle, Database, District
from review.offline import peer, selfeval
from review.offline.imports import ItemChange, OfflineImport, Status
from review.offline.workbook import (
    PEER_RATING,
    SELF_EVALUATION,
    FilledWorkbook,
    Layout,
    read_workbook,
)
from review.problems import escaped
from review.rubrics import Catalogue, Rubric
from review.settings import Settings

__all__ = ["register", "run_export", "run_import"]

Export = Callable[[Session, Actor, Cycle, Rubric, int], tuple[str, bytes]]
Import = Callable[[Session, Actor, Cycle, Rubric, int, FilledWorkbook], OfflineImport]


@dataclass(frozen=True)
class _Kind:
    """One kind of offline workbook on the command line."""

    command: str
    layout: Layout
    export: Export
    preview: Import
    apply: Import
    what: str  # the workbook, in the line `export` prints


_KINDS = (
    _Kind(
        "selfeval",
        SELF_EVALUATION,
        selfeval.export_workbook,
        selfeval.preview_import,
        selfeval.apply_import,
        "self-evaluation of {district}",
    ),
    _Kind(
        "peer",
        PEER_RATING,
        peer.export_workbook,
        peer.preview_import,
        peer.apply_import,
        "ratings of {district} by {rater}",
    ),
)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `selfeval export|import` and `peer export|import` to the top-level parser."""
    for kind in _KINDS:
        _register(subparsers, kind)


def _register(subparsers: argparse._SubParsersAction[Any], kind: _Kind) -> None:
    peer_ratings = kind.layout is PEER_RATING
    group = subparsers.add_parser(
        kind.command,
        help="your district's peer ratings of a district it reviews, as an offline workbook"
        if peer_ratings
        else "a self-evaluation as an offline workbook",
    )
    commands = group.add_subparsers(
        dest=f"{kind.command}_command", required=True, parser_class=type(group)
    )
    export = commands.add_parser(
        "export",
        help="write your district's ratings of a district it reviews"
        if peer_ratings
        else "write a district's self-evaluation workbook",
    )
    export.add_argument("--cycle", required=True, metavar="NAME", help="e.g. 2015-16")
    export.add_argument(
        "--district",
        required=True,
        metavar="CODE",
        help="the district rated" if peer_ratings else "the district",
    )
    export.add_argument("--xlsx", required=True, type=Path, metavar="FILE")
    add_as_option(export)
    export.set_defaults(func=partial(run_export, kind=kind))
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
    load.set_defaults(func=partial(run_import, kind=kind))


def _account(session: Session, args: argparse.Namespace) -> Actor:
    """The `--as` account, if it exists, is active and has a role.

    Which district it may read or edit is decided by the domain (`scope.check`), as on the page.
    """
    return accounts.command_line_actor(session, args.as_email, Action.READ_PRACTICE)


def run_export(args: argparse.Namespace, settings: Settings, kind: _Kind = _KINDS[0]) -> int:
    """Write the workbook of `--district` in `--cycle` to `--xlsx` (whole, or not at all)."""
    db = Database(settings.database_url)
    try:
        with db.reading() as session:
            actor = _account(session, args)
            cycle = get_cycle(session, args.cycle)
            rubric = cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
            district = get_district(session, args.district)
            _, data = kind.export(session, actor, cycle, rubric, district.id)
            own = session.get(District, actor.district_id) if actor.district_id else None
            rater = own.code if own is not None else ""
    finally:
        db.dispose()
    written = args.xlsx.with_name(f".{args.xlsx.name}.partial")
    written.write_bytes(data)
    os.replace(written, args.xlsx)
    what = kind.what.format(district=district.code, rater=rater)
    print(
        f"wrote {escaped(args.xlsx, limit=300)}: {what} in cycle "
        f"{cycle.name}, {len(rubric.items)} items (rubric {rubric.key})"
    )
    return 0


def run_import(args: argparse.Namespace, settings: Settings, kind: _Kind = _KINDS[0]) -> int:
    """Print what the workbook changes; with `--apply`, save it. Exit 1 if an item was refused."""
    db = Database(settings.database_url)
    try:
        with problems_beside(args.file):
            workbook = read_workbook(args.file.read_bytes(), args.file.name, kind.layout)
            with db.session() if args.apply else db.reading() as session:
                actor = _account(session, args)
                if actor.district_id is None:
                    raise refusal(actor, Action.EDIT_SELF)
                cycle = get_cycle(session, workbook.meta.cycle)
                rubric = cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
                # A self-evaluation is the actor's own district's; peer ratings name theirs.
                district_id = (
                    get_district(session, workbook.meta.district).id
                    if kind.layout is PEER_RATING
                    else actor.district_id
                )
                work = kind.apply if args.apply else kind.preview
                done = work(session, actor, cycle, rubric, district_id, workbook)
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
            lines.append(f"  {item.item_id:12} {item.status}: {_difference(item, result.texts)}")
    return lines


def _difference(item: ItemChange, texts: tuple[str, ...]) -> str:
    parts = []
    if item.old_level != item.new_level:
        parts.append(f"level {item.old_level} -> {item.new_level}")
    for name, old, new in zip(texts, item.old_texts, item.new_texts, strict=True):
        if old != new:
            parts.append(f"{name.lower()} '{escaped(old, limit=60)}' -> '{escaped(new, limit=60)}'")
    if item.status == Status.REFUSED and item.theirs is not None:
        parts.append(
            f"their version {item.theirs.get('row_version')}: level "
            f"{item.theirs.get('level') or 'not rated'}, narrative "
            f"'{escaped(item.theirs.get('narrative', ''), limit=200)}'"
        )
    return "; ".join(parts) or "no difference"
