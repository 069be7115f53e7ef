"""`python -m review triads import FILE --cycle NAME --as EMAIL [--apply]`.

A dry run by default: it prints which triads of the cycle the file adds, changes and removes;
`--apply` saves exactly that, audited, as the Cycle setup page's Apply does.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from review.access import Action
from review.cli import acting, add_as_option, problems_beside
from review.cycles import get_cycle
from review.db import Database
from review.roster import apply_triads, parse_triads, preview_triads
from review.settings import Settings

__all__ = ["register", "run_import"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `triads import` to the top-level parser."""
    group = subparsers.add_parser("triads", help="a cycle's triads from a CSV or XLSX file")
    commands = group.add_subparsers(dest="triads_command", required=True, parser_class=type(group))
    load = commands.add_parser(
        "import",
        help="show which triads a file (columns triad, district_code) adds, changes and "
        "removes; --apply replaces the cycle's triads with the file's",
    )
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument("--cycle", required=True, metavar="NAME", help="e.g. 2015-16")
    load.add_argument(
        "--apply",
        action="store_true",
        help="save the triads (without it, a dry run: the preview is printed, nothing changes)",
    )
    add_as_option(load)
    load.set_defaults(func=run_import)


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """Print what the file changes; with `--apply`, save it."""
    db = Database(settings.database_url)
    try:
        with problems_beside(args.file):
            data = args.file.read_bytes()
            triads = parse_triads(data, args.file.name)
        with db.session() if args.apply else db.reading() as session:
            actor = acting(session, args, Action.MANAGE_CYCLE)
            cycle = get_cycle(session, args.cycle)
            preview = preview_triads(session, actor, cycle, triads, args.file.name, data)
            if args.apply:
                preview = apply_triads(session, actor, cycle, triads, args.file.name, data, preview)
    finally:
        db.dispose()
    print("\n".join(preview.lines()))
    if not args.apply:
        print("dry run: nothing was saved; run again with --apply to save the triads")
    return 0
