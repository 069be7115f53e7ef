"""`python -m review backup|restore`: the whole database to one archive and back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from review.backup import Summary, backup, restore
from review.settings import Settings


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `backup` and `restore` commands to the `python -m review` parser."""
    save = commands.add_parser(
        "backup",
        help="write every table to one archive (people may keep working meanwhile)",
        description="Write every table, evidence file and the schema revision to one ZIP "
        "archive, read in one consistent snapshot. The same format for SQLite and PostgreSQL.",
    )
    save.add_argument("--out", required=True, type=Path, metavar="FILE", help="archive to write")
    _database_option(save)
    save.set_defaults(func=_backup)
    load = commands.add_parser(
        "restore",
        help="load an archive into an empty database",
        description="Check the archive whole, then load it into an empty database (SQLite or "
        "PostgreSQL) in one transaction and migrate it to this version's schema.",
    )
    load.add_argument("archive", type=Path, metavar="FILE", help="archive written by `backup`")
    _database_option(load)
    load.set_defaults(func=_restore)


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database", metavar="URL", help="SQLAlchemy URL (default: REVIEW_DATABASE_URL)"
    )


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    summary = backup(args.database or settings.database_url, args.out)
    sys.stdout.write(f"wrote {args.out}: {_counts(summary)}, revision {summary.revision}\n")
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    summary = restore(args.database or settings.database_url, args.archive)
    upgraded = f", upgraded to {summary.upgraded_to}" if summary.upgraded_to else ""
    sys.stdout.write(
        f"restored {args.archive}: {_counts(summary)}, revision {summary.revision}{upgraded}\n"
    )
    return 0


def _counts(summary: Summary) -> str:
    rows = sum(summary.rows.values())
    return f"{rows:,} rows in {len(summary.rows)} tables, {summary.blobs} evidence file(s)"
