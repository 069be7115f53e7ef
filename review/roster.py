"""Districts and triads uploaded as CSV or XLSX, validated row by row before anything is saved.

A districts file is previewed (which districts it adds and changes), and so is a triads file
or typed triads (which triads of the cycle it adds, changes and removes); each is saved only on
confirmation, exactly as previewed, and audited with the file's SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from itertools import islice
from typing import cast

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from review import audit
from review.access import Action, Actor, require
from review.cycles import check_triads, define_triads, triads_of
from review.db import Cycle, District, Triad
from review.errors import ConflictError, InvalidInput
from review.limits import DISTRICTS_UPLOAD, TRIADS_UPLOAD, FileLimits, column_lengths
from review.problems import FileProblems, Problem, escaped

DISTRICT_COLUMNS = ("code", "name", "enrollment")
# Columns of older district files. Their figures now come from each cycle's index import, so a
# file that still has them is loaded with them ignored (and says so), not refused: the rest
# of the file is as good as before, and asking a coordinator to delete columns gains nothing.
RETIRED_COLUMNS = ("school_count", "priority_count", "focus_count", "reward_count")
TRIAD_COLUMNS = ("triad", "district_code")
# The text columns each file must fill, as long as the database columns they are stored in.
DISTRICT_LENGTHS = column_lengths(cast(Table, District.__table__), {"code": "code", "name": "name"})
TRIAD_LENGTHS = {
    **column_lengths(cast(Table, Triad.__table__), {"triad": "name"}),
    **column_lengths(cast(Table, District.__table__), {"district_code": "code"}),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DistrictRow(_Frozen):
    code: str
    name: str
    enrollment: int


class DistrictFile(_Frozen):
    """The districts of an uploaded file, and the retired columns it had (ignored)."""

    file_name: str
    districts: tuple[DistrictRow, ...]
    ignored: tuple[str, ...] = ()

    @property
    def note(self) -> str | None:
        """What was ignored and why, for the coordinator who uploaded the file."""
        if not self.ignored:
            return None
        columns = ", ".join(self.ignored)
        return (
            f"{self.file_name}: column(s) {columns} ignored: a district's schools and its "
            "priority/focus/reward counts now come from each cycle's imported index data."
        )


def read_table(data: bytes, file_name: str, limits: FileLimits) -> list[list[str]]:
    """Rows of text cells from a CSV or the first sheet of an XLSX file, within `limits`.

    Raises:
        InvalidInput: an unreadable file or one over `limits` (`FileProblems` at the first row
            past the limit).
    """
    limits.check_size(len(data), file_name)
    name = escaped(file_name, limit=200)
    if file_name.lower().endswith(".xlsx"):
        rows = _xlsx_rows(data, name, limits.max_rows)
    elif file_name.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(f"{name}: not UTF-8 text; save it as CSV UTF-8") from None
        rows = list(islice(csv.reader(io.StringIO(text)), limits.max_rows + 2))
    else:
        raise InvalidInput(f"{name}: upload a .csv or .xlsx file")
    if len(rows) > limits.max_rows + 1:  # the header, then at most max_rows
        raise FileProblems(
            file_name, [Problem(limits.max_rows + 2, "", limits.too_many_rows())], what="saved"
        )
    return rows


def _xlsx_rows(data: bytes, name: str, max_rows: int) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        # Read-only sheets inflate as they are read, so damage can surface while iterating.
        try:
            sheet = workbook.worksheets[0].iter_rows(values_only=True)
            return [[_cell(v) for v in row] for row in islice(sheet, max_rows + 2)]
        finally:
            workbook.close()
    except Exception:  # openpyxl and zipfile raise many types for a damaged file
        raise InvalidInput(f"{name}: not a readable Excel workbook") from None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _records(
    rows: list[list[str]], required: Sequence[str], optional: Sequence[str], file_name: str
) -> list[tuple[int, dict[str, str]]]:
    body = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if not body:
        raise InvalidInput(f"{file_name}: the file is empty")
    header_row, header = body[0]
    names = [h.strip().lower() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise InvalidInput(
            f"{escaped(file_name, limit=200)}: row {header_row}: missing column(s) "
            f"{', '.join(missing)}"
            f" (expected {', '.join(required)})"
        )
    keep = set(required) | set(optional)
    return [
        (
            n,
            {
                name: (row[i].strip() if i < len(row) else "")
                for i, name in enumerate(names)
                if name in keep
            },
        )
        for n, row in body[1:]
    ]


def parse_districts(data: bytes, file_name: str) -> DistrictFile:
    """District rows; every problem is reported with its row and column.

    Retired count columns (`RETIRED_COLUMNS`) are ignored, values and all, and named in the
    result's `note`.

    Raises:
        FileProblems: every problem, by row and column; nothing is saved.
    """
    rows = read_table(data, file_name, DISTRICTS_UPLOAD)
    problems: list[Problem] = []
    result: list[DistrictRow] = []
    seen: dict[str, int] = {}
    for n, rec in _records(rows, DISTRICT_COLUMNS, (), file_name):
        problems += _blank_or_long(n, rec, DISTRICT_LENGTHS)
        if rec["code"] in seen:
            problems.append(
                Problem(n, "code", f"'{escaped(rec['code'])}' repeats row {seen[rec['code']]}")
            )
        seen.setdefault(rec["code"], n)
        text = rec["enrollment"]
        number = text.replace(",", "")
        if not number.isdigit():
            problems.append(
                Problem(n, "enrollment", f"'{escaped(text)}' is not a whole number ≥ 0")
            )
            continue
        result.append(DistrictRow(code=rec["code"], name=rec["name"], enrollment=int(number)))
    _raise(problems, file_name)
    header = next(r for r in rows if any(c.strip() for c in r))  # `_records` found it
    names = {h.strip().lower() for h in header}
    return DistrictFile(
        file_name=file_name,
        districts=tuple(result),
        ignored=tuple(c for c in RETIRED_COLUMNS if c in names),
    )


def parse_triads(data: bytes, file_name: str) -> dict[str, list[str]]:
    """Triad name -> district codes, from rows of (triad, district_code).

    Raises:
        FileProblems: every problem, by row and column; nothing is saved.
    """
    problems: list[Problem] = []
    triads: dict[str, list[str]] = {}
    rows = read_table(data, file_name, TRIADS_UPLOAD)
    for n, rec in _records(rows, TRIAD_COLUMNS, (), file_name):
        found = _blank_or_long(n, rec, TRIAD_LENGTHS)
        problems += found
        if not found:
            triads.setdefault(rec["triad"], []).append(rec["district_code"])
    _raise(problems, file_name)
    return triads


def _blank_or_long(row: int, record: dict[str, str], lengths: dict[str, int]) -> list[Problem]:
    """Each required text cell of `record` that is empty or longer than its column."""
    problems = []
    for column, limit in lengths.items():
        text = record[column]
        if not text:
            problems.append(Problem(row, column, "empty"))
        elif len(text) > limit:
            problems.append(
                Problem(
                    row,
                    column,
                    f"{len(text):,} characters, more than the {limit} this column holds "
                    f"('{escaped(text, limit=40)}')",
                )
            )
    return problems


def parse_triad_text(text: str) -> dict[str, list[str]]:
    """Triads typed one per line as `Name: CODE, CODE, CODE`."""
    triads: dict[str, list[str]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, codes = line.partition(":")
        if not sep or not name.strip():
            raise InvalidInput(f"line {n}: write it as `Triad name: CODE, CODE, CODE`")
        triads[name.strip()] = [c.strip() for c in codes.split(",") if c.strip()]
    return triads


def _raise(problems: list[Problem], file_name: str) -> None:
    if problems:
        raise FileProblems(file_name, problems, what="saved")


class DistrictChange(_Frozen):
    """One district of a file that differs from what is stored (`before` None: a new one)."""

    code: str
    before: DistrictRow | None
    after: DistrictRow


class DistrictsPreview(_Frozen):
    """What importing a districts file will add and change; districts not in it stay."""

    file_name: str
    sha256: str
    changes: tuple[DistrictChange, ...]  # by code
    unchanged: int

    @property
    def added(self) -> int:
        return sum(1 for c in self.changes if c.before is None)

    @property
    def changed(self) -> int:
        return len(self.changes) - self.added

    def summary(self) -> str:
        return (
            f"{escaped(self.file_name, limit=200)}: {self.added} district(s) added, "
            f"{self.changed} changed, {self.unchanged} unchanged"
        )


def preview_districts(
    session: Session, actor: Actor, parsed: DistrictFile, data: bytes
) -> DistrictsPreview:
    """What saving the districts of `parsed` (read from `data`) would add and change."""
    require(actor, Action.MANAGE_CYCLE)
    stored = {
        d.code: DistrictRow(code=d.code, name=d.name, enrollment=d.enrollment)
        for d in session.scalars(select(District))
    }
    changes = [
        DistrictChange(code=row.code, before=stored.get(row.code), after=row)
        for row in sorted(parsed.districts, key=lambda r: r.code)
        if stored.get(row.code) != row
    ]
    return DistrictsPreview(
        file_name=parsed.file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        changes=tuple(changes),
        unchanged=len(parsed.districts) - len(changes),
    )


def apply_districts(
    session: Session, actor: Actor, parsed: DistrictFile, data: bytes, expected: DistrictsPreview
) -> DistrictsPreview:
    """Save exactly the changes of `expected`, in the caller's transaction, and audit the file.

    Raises:
        ConflictError: the stored districts changed since the preview; nothing is saved.
    """
    from review.cycles import save_district  # cycles is the writer of districts

    preview = preview_districts(session, actor, parsed, data)
    if preview != expected:
        raise ConflictError(
            f"The districts changed since the preview of {escaped(parsed.file_name, limit=200)};"
            " nothing was saved. Preview the file again.",
            current={},
        )
    for change in preview.changes:
        save_district(session, actor, **change.after.model_dump())
    audit.record(
        session,
        actor,
        "import districts",
        "districts",
        parsed.file_name,
        after={
            "file": parsed.file_name,
            "sha256": preview.sha256,
            "added": preview.added,
            "changed": preview.changed,
            "unchanged": preview.unchanged,
        },
    )
    return preview


class TriadChange(_Frozen):
    """One triad that a triads file adds, changes or removes (its district codes, by code)."""

    name: str
    before: tuple[str, ...]  # () for a triad the file adds
    after: tuple[str, ...]  # () for a triad the file removes (it is not in the file)


class TriadsPreview(_Frozen):
    """What importing triads changes in a cycle: the file's triads replace all of the cycle's,
    so a triad not in the file is removed (and its districts leave the cycle)."""

    source: str  # the file name, or `TYPED` for triads typed on the page
    sha256: str
    cycle: str
    changes: tuple[TriadChange, ...]  # by triad name
    unchanged: int
    applied: bool = False

    @property
    def added(self) -> int:
        return sum(1 for c in self.changes if not c.before)

    @property
    def removed(self) -> int:
        return sum(1 for c in self.changes if not c.after)

    @property
    def changed(self) -> int:
        return len(self.changes) - self.added - self.removed

    def summary(self) -> str:
        if self.applied:
            counts = f"{self.added} added, {self.changed} changed, {self.removed} removed"
        else:
            counts = f"{self.added} to add, {self.changed} to change, {self.removed} to remove"
        return (
            f"{escaped(self.source, limit=200)}: cycle {self.cycle}: triads {counts}, "
            f"{self.unchanged} unchanged"
        )

    def lines(self) -> list[str]:
        """The summary, then one line per triad added, changed or removed."""
        found = [self.summary()]
        for change in self.changes:
            name = escaped(change.name)
            before, after = ", ".join(change.before), ", ".join(change.after)
            if not change.before:
                found.append(f"  add     {name}: {after}")
            elif not change.after:
                found.append(f"  remove  {name}: {before}")
            else:
                found.append(f"  change  {name}: {before} -> {after}")
        return found


TYPED = "typed triads"


def preview_triads(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    triads: Mapping[str, Sequence[str]],
    source: str,
    data: bytes,
) -> TriadsPreview:
    """What replacing the triads of `cycle` with `triads` (read from `data`) would change.

    Raises:
        InvalidInput: triads `cycles.define_triads` would refuse (every unknown code named),
            or a cycle in which a district has submitted.
    """
    require(actor, Action.MANAGE_CYCLE)
    check_triads(session, cycle, triads)
    codes = {code for members in triads.values() for code in members}
    known = set(session.scalars(select(District.code).where(District.code.in_(codes))))
    unknown = sorted(codes - known)
    if unknown:
        raise InvalidInput(
            f"{escaped(source, limit=200)}: no district with code "
            f"{', '.join(repr(escaped(c)) for c in unknown)}; add it on the Districts tab "
            "first. Nothing was saved."
        )
    stored = {t.name: tuple(sorted(t.districts)) for t in triads_of(session, cycle)}
    wanted = {name.strip(): tuple(sorted(members)) for name, members in triads.items()}
    changes = [
        TriadChange(name=name, before=stored.get(name, ()), after=wanted.get(name, ()))
        for name in sorted(set(stored) | set(wanted))
        if stored.get(name) != wanted.get(name)
    ]
    return TriadsPreview(
        source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        cycle=cycle.name,
        changes=tuple(changes),
        unchanged=sum(1 for name in wanted if stored.get(name) == wanted[name]),
    )


def apply_triads(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    triads: Mapping[str, Sequence[str]],
    source: str,
    data: bytes,
    expected: TriadsPreview,
) -> TriadsPreview:
    """Replace the cycle's triads exactly as `expected` previewed, and audit the import.

    Raises:
        ConflictError: the cycle's triads changed since the preview; nothing is saved.
        InvalidInput: as `preview_triads`.
    """
    preview = preview_triads(session, actor, cycle, triads, source, data)
    if preview != expected:
        raise ConflictError(
            f"The triads of cycle {cycle.name} changed since the preview of "
            f"{escaped(source, limit=200)}; nothing was saved. Preview it again.",
            current={},
        )
    if preview.changes:  # an unchanged cycle keeps its rows as they are
        define_triads(session, actor, cycle, triads)
    audit.record(
        session,
        actor,
        "import triads",
        "cycle",
        cycle.name,
        after={
            "file": source,
            "sha256": preview.sha256,
            "added": preview.added,
            "changed": preview.changed,
            "removed": preview.removed,
            "unchanged": preview.unchanged,
        },
    )
    return preview.model_copy(update={"applied": True})
