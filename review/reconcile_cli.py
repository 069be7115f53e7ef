"""`python -m review discrepancies`: list the open flags of a cycle for coordinators' scripts."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from review.cycles import cycle_rubric, get_cycle, get_district, participation
from review.db import Cycle, Database
from review.errors import NotFound
from review.flags import Flag
from review.reconcile import open_flags
from review.rubric_store import StoredRubrics
from review.rubrics import Catalogue
from review.settings import Settings

COLUMNS = ("DISTRICT", "ITEM", "RULE", "LEVELS", "DETAIL")


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `discrepancies` command to the `python -m review` parser."""
    parser = commands.add_parser(
        "discrepancies",
        help="list open discrepancy flags (items without a reconciliation decision)",
        description="List the open flags of a cycle: district, item, rule, levels and detail.",
    )
    parser.add_argument("--cycle", required=True, metavar="NAME", help="the cycle, e.g. 2015-16")
    parser.add_argument("--district", metavar="CODE", help="only this district")
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="output (default: table)"
    )
    parser.set_defaults(func=discrepancies)


def discrepancies(args: argparse.Namespace, settings: Settings) -> int:
    """Print the open flags of `args.cycle` (optionally one district) as a table or JSON.

    Raises:
        NotFound: an unknown cycle, or a district that is not part of it.
    """
    db = Database(settings.database_url)
    try:
        with db.reading() as session:
            cycle = get_cycle(session, args.cycle)
            rubric = cycle_rubric(Catalogue(settings.rubrics_dir, StoredRubrics(db)), cycle)
            district_id = _district_id(session, cycle, args.district) if args.district else None
            flags = open_flags(session, cycle, rubric, district_id)
    finally:
        db.dispose()
    if args.format == "json":
        sys.stdout.write(format_json(flags))
    else:
        sys.stdout.write(format_table(flags, cycle_name=args.cycle, district=args.district))
    return 0


def _district_id(session: Session, cycle: Cycle, code: str) -> int:
    district = get_district(session, code)
    try:
        participation(session, cycle, district.id)
    except NotFound:
        raise NotFound(f"district {code} is not part of cycle {cycle.name}") from None
    return district.id


def format_table(flags: Sequence[Flag], *, cycle_name: str, district: str | None = None) -> str:
    """Flags as aligned columns with a count line; a sentence when there are none."""
    where = f"cycle {cycle_name}" + (f", district {district}" if district else "")
    if not flags:
        return f"No open flags in {where}.\n"
    rows = [COLUMNS] + [
        (f.district, f.item, f.rule, ", ".join(str(level) for level in f.levels), f.detail)
        for f in flags
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS) - 1)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        for row in rows
    ]
    noun = "open flag" if len(flags) == 1 else "open flags"
    return "\n".join(lines) + f"\n{len(flags)} {noun} in {where}.\n"


def format_json(flags: Sequence[Flag]) -> str:
    """Flags as a JSON list of {district, item, rule, levels, detail}."""
    return json.dumps([flag.model_dump(mode="json") for flag in flags], indent=2) + "\n"
