"""Command line: `python -m review ...` for what coordinators script."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import NoReturn

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from review import accounts, audit
from review.access import Action, Actor
from review.db import Database
from review.demo import PASSWORD, DemoReport, load_demo
from review.errors import InvalidInput, ReviewError
from review.problems import FileProblems, escaped, problems_csv, problems_path
from review.rubric_store import StoredRubrics
from review.rubrics import Catalogue, diff
from review.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr, never a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m review", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    demo = commands.add_parser("demo", help="load the fictional demo network into the database")
    demo.set_defaults(func=_demo)
    init = commands.add_parser(
        "init", help="create the first coordinator account (only on a database with no accounts)"
    )
    init.add_argument("--coordinator", required=True, metavar="EMAIL")
    init.add_argument("--name", help="the coordinator's name (default: the e-mail's first part)")
    init.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of asking",
    )
    init.set_defaults(func=_init)
    _rubric_commands(commands)
    for register in _plugins():
        register(commands)
    return parser


def _rubric_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    rubric = commands.add_parser("rubric", help="list, check, diff and publish rubric files")
    sub = rubric.add_subparsers(dest="rubric_command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="list rubric versions and their status").set_defaults(
        func=_rubric_list
    )
    check = sub.add_parser("check", help="validate rubric files (exit 1 if any is bad)")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.set_defaults(func=_rubric_check)
    compare = sub.add_parser("diff", help="what changed between two versions")
    compare.add_argument("old", metavar="ID@VERSION")
    compare.add_argument("new", metavar="ID@VERSION")
    compare.set_defaults(func=_rubric_diff)
    publish = sub.add_parser("publish", help="record a new version's hash; it never changes again")
    publish.add_argument("key", metavar="ID@VERSION")
    add_as_option(publish)
    publish.set_defaults(func=_rubric_publish)
    from review import rubric_cli  # the workbook commands live beside their domain

    rubric_cli.register(sub)


def add_as_option(parser: argparse.ArgumentParser) -> None:
    """`--as EMAIL`, required by every command that changes review data."""
    parser.add_argument(
        "--as",
        dest="as_email",
        required=True,
        metavar="EMAIL",
        help="the account doing this: checked like the same action in the app, and audited",
    )


def acting(session: Session, args: argparse.Namespace, action: Action) -> Actor:
    """The account `--as` names, allowed to do `action` (else PermissionDenied: exit 2)."""
    return accounts.command_line_actor(session, getattr(args, "as_email", None), action)


@contextmanager
def problems_beside(source: Path) -> Iterator[None]:
    """Turn a refused file's problems into one line, with the full list written beside it.

    The line says how many problems and the first (row and column); when there are more, all
    of them go to `FILE.problems.csv` and the line says so. A list left by an earlier run of
    the same file is removed, so the one beside it is always this run's.

    Raises:
        InvalidInput: the one line, for `main` to print.
    """
    listed = problems_path(source)
    listed.unlink(missing_ok=True)
    try:
        yield
    except FileProblems as exc:
        if len(exc.problems) <= 1:
            raise InvalidInput(str(exc)) from None
        listed.write_bytes(problems_csv(exc.problems))
        raise InvalidInput(
            f"{exc} (all {len(exc.problems)} listed in {escaped(listed, limit=300)})"
        ) from None


def _plugins() -> list[Callable[[argparse._SubParsersAction[_Parser]], None]]:
    """Command groups that live beside their domain (index, discrepancies, export, selfeval,
    peer, triads)."""
    return [module.register for module in _plugin_modules()]


def _plugin_modules() -> list[ModuleType]:
    found = []
    for module in (
        "review.index.cli",
        "review.reconcile_cli",
        "exports.cli",
        "review.backup_cli",
        "review.offline.cli",
        "review.roster_cli",
    ):
        try:
            imported = __import__(module, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue
            raise
        found.append(imported)
    return found


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    report = load_demo(db, settings)
    # What the loaded network leads to beyond the domain (the packets of its final districts),
    # done by the plugins, which review/ never imports by name.
    after = [
        line
        for module in _plugin_modules()
        if hasattr(module, "after_demo")
        for line in module.after_demo(db, settings)
    ]
    db.dispose()
    where = _safe_url(settings.database_url)
    if report.created:
        print(f"Demo network loaded into {where}")
    else:
        print(f"Demo network already in {where}; nothing changed")
    for table in ("districts", "cycles", "users", "ratings", "evidence", "index_results"):
        print(f"  {table:14} {report.counts.get(table, 0)}")
    print(*demo_plan(report), sep="\n")
    if after:
        print(
            "Packets of the final districts (frozen, as finalizing keeps them):", *after, sep="\n"
        )
    return 0


def demo_plan(report: DemoReport) -> list[str]:
    """The demo accounts, each lead with the districts it rates, then the triads."""
    rates = {
        code: [other for other in triad.districts if code in triad.reviewers[other]]
        for triad in report.triads
        for code in triad.districts
    }
    lines = [f"Demo accounts (synthetic; password for all: {PASSWORD}):"]
    for email, roles, code in report.accounts:
        if code in rates:
            roles = f"district editor of {code}, peer reviewer of {', '.join(rates[code])}"
        lines.append(f"  {email:26} {roles}")
    lines.append(
        f"Who reviews whom in cycle {report.cycle} (each district rates the others of its triad):"
    )
    for triad in report.triads:
        members = ", ".join(f"{code} {name}" for code, name in triad.districts.items())
        lines.append(f"  {triad.name}: {members}")
    return lines


def _safe_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest


def _rubric_list(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        catalogue = Catalogue(settings.rubrics_dir, StoredRubrics(db))
        published = catalogue.published()
        for rubric in catalogue.all():
            state = "published" if rubric.key in published else "draft"
            print(f"{rubric.key:24} {state:9} {len(rubric.items):3} items  {rubric.title}")
    finally:
        db.dispose()
    return 0


def _rubric_check(args: argparse.Namespace, settings: Settings) -> int:
    catalogue = Catalogue(settings.rubrics_dir)
    failed = 0
    for path in args.files:
        try:
            rubric = catalogue.check(path)
        except ReviewError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
        else:
            print(f"ok: {path} ({rubric.key}, {len(rubric.items)} items)")
    return 1 if failed else 0


def _rubric_diff(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        catalogue = Catalogue(settings.rubrics_dir, StoredRubrics(db))
        old, new = catalogue.get_key(args.old), catalogue.get_key(args.new)
    finally:
        db.dispose()
    changes = diff(old, new)
    print(f"{old.key} -> {new.key}: {len(changes)} change(s)")
    for change in changes:
        print(f"  {change.kind:11} {change.item:24} {change.detail}")
    return 0


def _rubric_publish(args: argparse.Namespace, settings: Settings) -> int:
    catalogue = Catalogue(settings.rubrics_dir)
    rubric = catalogue.get_key(args.key)
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            actor = acting(session, args, Action.MANAGE_CYCLE)
            digest = catalogue.publish(rubric)
            audit.record(
                session, actor, "publish rubric", "rubric", rubric.key, after={"sha256": digest}
            )
    finally:
        db.dispose()
    print(f"published {rubric.key} sha256 {digest}")
    return 0


def _init(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        # Refused before the password is asked for, and again (atomically) when it is stored.
        with db.reading() as session:
            accounts.refuse_if_accounts(session)
        password = _password(args.password_stdin)
        with db.session() as session:
            actor = accounts.create_first_coordinator(
                session, settings, email=args.coordinator, name=args.name, password=password
            )
    finally:
        db.dispose()
    print(f"created coordinator {actor.email} ({actor.name}) in {_safe_url(settings.database_url)}")
    return 0


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password for the coordinator: ")
    if getpass.getpass("Same password again: ") != password:
        raise InvalidInput("the two passwords differ; nothing was created")
    return password


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        func: Handler = args.func
        return func(args, settings)
    except ReviewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # settings from the environment
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # files and folders named on the command line
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(
            f"error: the database could not be used: {exc.__class__.__name__}: "
            f"{str(exc.orig if hasattr(exc, 'orig') else exc).splitlines()[0]}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
