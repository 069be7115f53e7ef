"""`python -m review index ...`: district summaries from a results file, imports into a cycle."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from review import audit
from review.access import Action
from review.cli import acting, add_as_option, problems_beside
from review.db import Database
from review.index.catalogue import SpecCatalogue, content_hash
from review.problems import escaped
from review.settings import Settings

if TYPE_CHECKING:
    from review.index.cycle_import import ImportPreview
    from review.index.models import SchoolCounts

# pandas and pyarrow load inside the handlers: other commands should not wait for them.

__all__ = ["register", "run_import", "run_publish", "run_specs", "run_summary"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the `index` command and its subcommands to the top-level parser."""
    index = subparsers.add_parser("index", help="index specs, results import, district summaries")
    # The dispatcher's parser class, so a bad argument is reported the same way everywhere.
    commands = index.add_subparsers(dest="index_command", required=True, parser_class=type(index))
    summary = commands.add_parser("summary", help="print district summaries of a results file")
    summary.add_argument("--spec", required=True, metavar="ID@VERSION", help="core-sqii@2016-17")
    summary.add_argument("--data", required=True, type=Path, metavar="FILE", help=".csv or .xlsx")
    summary.add_argument("--district", metavar="ID", help="one district (default: every one)")
    summary.add_argument("--year", help="school year to summarise (default: the spec's)")
    summary.add_argument("--format", choices=["table", "json"], default="table")
    summary.add_argument(
        "--details", action="store_true", help="json: include each school's metrics by group"
    )
    summary.set_defaults(func=run_summary)
    load = commands.add_parser(
        "import",
        help="show what a results file changes in a cycle; --apply imports it (all or nothing)",
    )
    load.add_argument("--cycle", required=True, metavar="NAME", help="e.g. 2015-16")
    load.add_argument("--data", required=True, type=Path, metavar="FILE", help=".csv or .xlsx")
    load.add_argument(
        "--apply",
        action="store_true",
        help="import the file (without it, a dry run: the preview is printed, nothing changes)",
    )
    load.add_argument(
        "--replace-cycle",
        action="store_true",
        help="replace every district and year of the cycle (default: only the file's districts "
        "and years are replaced; the cycle's other results are kept)",
    )
    add_as_option(load)
    load.set_defaults(func=run_import)
    commands.add_parser("specs", help="list index specs and their status").set_defaults(
        func=run_specs
    )
    publish = commands.add_parser("publish", help="record a spec version's hash for good")
    publish.add_argument("key", metavar="ID@VERSION")
    add_as_option(publish)
    publish.set_defaults(func=run_publish)


def run_summary(args: argparse.Namespace, settings: Settings) -> int:
    """Print one district's summary, or every district's, as text tables or JSON."""
    from review.index._text import render_summary
    from review.index.compute import compute_index
    from review.index.importer import read_results
    from review.index.models import DistrictSummary
    from review.index.summary import summarise_district, summarise_network

    spec = SpecCatalogue(settings.index_specs_dir).get_key(args.spec)
    results = compute_index(read_results(args.data), spec)
    details = args.format == "json" and args.details
    summaries: tuple[DistrictSummary, ...]
    if args.district:
        summaries = (summarise_district(results, args.district, year=args.year, details=details),)
    else:
        summaries = summarise_network(results, year=args.year, details=details)
    if args.format == "json":
        exclude = None if details else {"details"}
        print(json.dumps([s.model_dump(mode="json", exclude=exclude) for s in summaries], indent=2))
    else:
        print("\n\n".join(render_summary(s) for s in summaries))
    return 0


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """Print what a results file would add, change and remove in a cycle; with `--apply`,
    import exactly that (all or nothing, audited)."""
    from review.cycles import participants
    from review.index.counts import school_counts
    from review.index.cycle_import import apply_import, preview_import
    from review.index.importer import read_results_file
    from review.index.store import find_cycle

    catalogue = SpecCatalogue(settings.index_specs_dir)
    db = Database(settings.database_url)
    try:
        with problems_beside(args.data):
            file = read_results_file(args.data)
            # A dry run reads; an import writes, and works the change out again inside its
            # own transaction so that what it applies is what it prints.
            with db.session() if args.apply else db.reading() as session:
                actor = acting(session, args, Action.MANAGE_CYCLE)
                cycle = find_cycle(session, args.cycle)
                work = apply_import if args.apply else preview_import
                preview = work(
                    session, actor, cycle, file, replace_cycle=args.replace_cycle, specs=catalogue
                )
                spec = cycle.index_spec
                counts = school_counts(session, cycle.id) if args.apply else {}
                taking_part = [d.code for d, _ in participants(session, cycle)]
    finally:
        db.dispose()
    print("\n".join(_preview_lines(preview)))
    if not args.apply:
        print("dry run: nothing was changed; run again with --apply to import the file")
        return 0
    frame = file.frame
    schools = frame["school_id"].nunique()
    districts = frame["district_id"].nunique()
    years = ", ".join(str(y) for y in frame["year"].cat.categories)
    against = f" (index spec {spec})" if spec else " (the cycle has no index spec yet)"
    print(
        f"imported {preview.rows} rows for {schools} schools in {districts} districts, "
        f"years {years}, into cycle {args.cycle}{against}"
    )
    print("\n".join(_count_lines(counts, taking_part)))
    return 0


def _preview_lines(preview: ImportPreview) -> list[str]:
    """The preview's one-line summary, then a row per district and year."""
    from review.index._text import table

    rows = [
        [escaped(c.district_id), c.year, c.added, c.changed, c.removed, c.unchanged]
        for c in preview.changes
    ]
    headers = ["District", "Year", "Added", "Changed", "Removed", "Unchanged"]
    return [preview.summary(), *("  " + line for line in table(headers, rows).splitlines())]


def _count_lines(counts: dict[str, SchoolCounts], taking_part: list[str]) -> list[str]:
    """Each district's schools as the app now shows them, and the cycle's districts the data
    leaves out (shown as "not imported", so a coordinator sees a missing district at once)."""
    if not counts:
        return []
    year = next(iter(counts.values())).year
    lines = [f"schools in {year}, as each district's context shows them:"]
    for code, c in sorted(counts.items()):
        designated = (
            ", ".join(f"{name} {n}" for name, n in c.designations.items())
            if c.designations is not None
            else "no designations in the data"
        )
        lines.append(f"  {escaped(code):8} {c.schools:5} schools; {designated}")
    missing = [code for code in taking_part if code not in counts]
    if missing:
        named = ", ".join(escaped(code) for code in missing)
        lines.append(f"districts of the cycle with no schools in {year}: {named}")
    return lines


def run_specs(args: argparse.Namespace, settings: Settings) -> int:
    """List every spec version with its publication state."""
    catalogue = SpecCatalogue(settings.index_specs_dir)
    published = catalogue.published()
    for spec in catalogue.all():
        state = "published" if spec.key in published else "draft"
        print(f"{spec.key:24} {state:9} {content_hash(spec)[:12]}  {spec.title}")
    return 0


def run_publish(args: argparse.Namespace, settings: Settings) -> int:
    """Record a spec version's content hash; the version can then never change."""
    catalogue = SpecCatalogue(settings.index_specs_dir)
    spec = catalogue.get_key(args.key)
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            actor = acting(session, args, Action.MANAGE_CYCLE)
            digest = catalogue.publish(spec)
            audit.record(
                session,
                actor,
                "publish index spec",
                "index_spec",
                spec.key,
                after={"sha256": digest},
            )
    finally:
        db.dispose()
    print(f"published {spec.key} sha256 {digest}")
    return 0
