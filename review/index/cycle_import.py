"""An index results file imported into a cycle: first what it will change, then exactly that.

The one path for index results, from the command line and the page alike:

1. read and validate the file (`review.index.importer`: every problem, by row and column);
2. `preview_import`: per district and year, the rows it will add, change and remove, against
   the cycle's results as they are now; nothing is written;
3. `apply_import`, only when the person confirms: works the change out again in its own
   transaction, refuses it if it is no longer the preview they saw (another import since), then
   writes it, moves the cycle's import count and audits who imported which file.

An import replaces only the (district, year) pairs its file has rows for, unless it is asked to
replace the whole cycle; the cycle's other results are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from review import audit
from review.access import Action, Actor, require
from review.db import Cycle
from review.errors import ConflictError, InvalidInput
from review.index._raw import Ints
from review.index.catalogue import SpecCatalogue
from review.index.importer import ImportProblems, Problem, ResultsFile
from review.index.spec import IndexSpec
from review.index.store import replace_results, stored_frame, stored_schools
from review.problems import escaped

__all__ = ["DistrictYearChange", "ImportPreview", "apply_import", "preview_import"]

AUDIT_ACTION = "import index results"
KEY = ("school_id", "year", "metric", "group")
TEXT = ("school_id", "school_name", "district_id", "school_type", "year", "metric", "group")
# What makes a stored row "changed" when the file has a row with its key.
COMPARED = ("school_name", "district_id", "school_type", "designation", "n", "value")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DistrictYearChange(_Frozen):
    """What an import does to one district's results of one school year."""

    district_id: str
    year: str
    added: int  # rows in the file whose school, year, metric and group the cycle does not have
    changed: int  # rows the cycle has, with another value, n, name, type or designation
    removed: int  # rows the cycle has that the file does not
    unchanged: int


class ImportPreview(_Frozen):
    """Everything an import will change, and what it was worked out against."""

    cycle: str
    file_name: str
    sha256: str
    rows: int
    replace_cycle: bool
    index_imports: int  # the cycle's import count the preview was made against
    changes: tuple[DistrictYearChange, ...]  # by district, then year
    kept: int  # rows of other districts and years, left as they are

    @property
    def added(self) -> int:
        return sum(c.added for c in self.changes)

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.changes)

    @property
    def removed(self) -> int:
        return sum(c.removed for c in self.changes)

    def summary(self) -> str:
        """One line: the totals, and what is left alone."""
        scope = (
            "replacing every district and year of the cycle"
            if self.replace_cycle
            else f"replacing {len(self.changes)} district-year(s); {self.kept} other row(s) kept"
        )
        return (
            f"{escaped(self.file_name, limit=200)} into cycle {self.cycle}: "
            f"{self.added} row(s) added, {self.changed} changed, {self.removed} removed "
            f"({scope})"
        )


def preview_import(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    file: ResultsFile,
    *,
    replace_cycle: bool,
    specs: SpecCatalogue,
) -> ImportPreview:
    """What importing `file` into `cycle` would add, change and remove; nothing is written.

    Raises:
        PermissionDenied: the actor may not set up cycles.
        ImportProblems: the file's rows disagree with results of the cycle it would keep
            (a school in another district, or of another type); each by row and column.
        InvalidInput: the cycle would have no results for its index spec's school year.
    """
    require(actor, Action.MANAGE_CYCLE)
    return _work_out(session, cycle, file, replace_cycle, specs).preview


def apply_import(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    file: ResultsFile,
    *,
    replace_cycle: bool,
    specs: SpecCatalogue,
    expected: ImportPreview | None = None,
) -> ImportPreview:
    """Import `file` into `cycle` in the caller's transaction, and audit it; all or nothing.

    Args:
        expected: the preview the person confirmed; the import is refused unless it would
            change exactly that. None (the command line's `--apply`): the change worked out
            here, in the same transaction, is the one shown.

    Returns:
        The preview of what was applied.

    Raises:
        ConflictError: the cycle's results changed since `expected` was made.
        (and whatever `preview_import` raises)
    """
    require(actor, Action.MANAGE_CYCLE)
    work = _work_out(session, cycle, file, replace_cycle, specs, network=True)
    preview = work.preview
    if expected is not None and preview != expected:
        raise ConflictError(
            f"Cycle {cycle.name}'s index results changed since the preview of "
            f"{escaped(file.name, limit=200)}; nothing was changed. Preview the file again.",
            current={},
        )
    replace_results(
        session,
        cycle,
        file.frame,
        scope=None if replace_cycle else {(c.district_id, c.year) for c in preview.changes},
        network=file.frame if work.network is None else work.network,
        specs=specs,
        expected_imports=preview.index_imports,
    )
    audit.record(
        session,
        actor,
        AUDIT_ACTION,
        "cycle",
        cycle.id,
        after={
            "file": file.name,
            "sha256": file.sha256,
            "rows": preview.rows,
            "replace_cycle": replace_cycle,
            "added": preview.added,
            "changed": preview.changed,
            "removed": preview.removed,
            "kept": preview.kept,
            "districts_years": [c.model_dump() for c in preview.changes],
        },
    )
    return preview


@dataclass(frozen=True)
class _Work:
    preview: ImportPreview
    network: pd.DataFrame | None  # the cycle's results after the import (when asked for)


def _work_out(
    session: Session,
    cycle: Cycle,
    file: ResultsFile,
    replace_cycle: bool,
    specs: SpecCatalogue,
    *,
    network: bool = False,
) -> _Work:
    session.refresh(cycle)  # the import count and spec as they are in this transaction
    imports = cycle.index_imports
    pairs = None if replace_cycle else _pairs(file.frame)
    # Only the rows the import replaces are read for the preview; of the others, one row per
    # school and year (to check the file against them) unless the whole network is needed.
    kept = stored_schools(session, cycle.id, excluding=pairs) if pairs is not None else None
    if kept is not None:
        _refuse_conflicts(file, kept)
    new, old = _aligned(file.frame, stored_frame(session, cycle.id, only=pairs))
    changes = _changes(new, old)
    years = {str(y) for y in file.frame["year"].unique()}
    if kept is not None:
        years |= set(kept["year"])
    if cycle.index_spec:
        _require_year(years, specs.get_key(cycle.index_spec), file.name)
    preview = ImportPreview(
        cycle=cycle.name,
        file_name=file.name,
        sha256=file.sha256,
        rows=len(file.frame),
        replace_cycle=replace_cycle,
        index_imports=imports,
        changes=changes,
        kept=0 if kept is None else int(kept["rows"].sum()),
    )
    after = None
    if network:
        others = stored_frame(session, cycle.id, excluding=pairs or ()) if pairs else None
        after = file.frame if others is None else _network(*_aligned(file.frame, others))
    return _Work(preview, after)


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    """The (district, year) pairs a file has rows for."""
    found = frame.groupby(["district_id", "year"], observed=True).size().index
    return {(str(d), str(y)) for d, y in found}


@dataclass(frozen=True)
class _Codes:
    """The file's rows and the stored rows as integer codes over shared categories."""

    codes: dict[str, Ints]
    categories: dict[str, pd.Index]
    n: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.n)

    def key(self, columns: tuple[str, ...]) -> Ints:
        key = np.zeros(len(self), dtype=np.int64)
        for column in columns:
            key = key * (len(self.categories[column]) + 1) + (self.codes[column] + 1)
        return key


def _aligned(new: pd.DataFrame, old: pd.DataFrame) -> tuple[_Codes, _Codes]:
    """Both frames' text columns recoded over the union of their categories."""
    codes: tuple[dict[str, Ints], dict[str, Ints]] = ({}, {})
    categories: dict[str, pd.Index] = {}
    for column in (*TEXT, "designation"):
        a = _categorical(new, column)
        b = _categorical(old, column)
        union = a.cat.categories.union(b.cat.categories)
        categories[column] = union
        for side, frame_column in zip(codes, (a, b), strict=True):
            side[column] = frame_column.cat.set_categories(union).cat.codes.to_numpy(np.int64)
    return (
        _Codes(codes[0], categories, _ints(new["n"]), _floats(new["value"])),
        _Codes(codes[1], categories, _ints(old["n"]), _floats(old["value"])),
    )


def _categorical(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:  # a file without designations
        return pd.Series(pd.Categorical([None] * len(frame), categories=pd.Index([], dtype=str)))
    values = frame[column]
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("category")
    return values.cat.rename_categories([str(c) for c in values.cat.categories])


def _ints(column: pd.Series) -> npt.NDArray[np.int64]:
    return np.asarray(column.to_numpy(), dtype=np.int64)


def _floats(column: pd.Series) -> npt.NDArray[np.float64]:
    return np.asarray(column.to_numpy(), dtype=np.float64)


def _refuse_conflicts(file: ResultsFile, kept: pd.DataFrame) -> None:
    """A school of the file that the kept results place in another district or type.

    Both would stand after the import, and the cycle's results must give each school one
    district and one type; the person either imports the other district-year too or replaces
    the whole cycle.
    """
    if kept.empty:
        return
    frame = file.frame
    codes = frame["school_id"].cat.codes.to_numpy()
    _, first = np.unique(codes, return_index=True)
    schools = pd.DataFrame(
        {
            "position": first,
            "school_id": frame["school_id"].to_numpy()[first].astype(str),
            "district_id": frame["district_id"].to_numpy()[first].astype(str),
            "school_type": frame["school_type"].to_numpy()[first].astype(str),
        }
    )
    earliest = kept.sort_values("year").drop_duplicates("school_id")
    both = schools.merge(earliest, on="school_id", suffixes=("", "_kept"))
    problems = []
    for row in both.itertuples(index=False):
        for column, what in (("district_id", "in district"), ("school_type", "a school of type")):
            theirs = getattr(row, f"{column}_kept")
            if getattr(row, column) == theirs:
                continue
            problems.append(
                Problem(
                    file.row_of(int(row.position)),
                    column,
                    f"school {escaped(row.school_id)} is {what} '{escaped(theirs)}' in the "
                    f"cycle's {escaped(row.year)} results, which this file does not replace: "
                    "include that district and year in the file, or replace the whole cycle",
                )
            )
    if problems:
        raise ImportProblems(file.name, sorted(problems, key=lambda p: (p.row, p.column)))


def _changes(new: _Codes, old: _Codes) -> tuple[DistrictYearChange, ...]:
    """Per district and year: the file's rows added, changed and unchanged, the stored rows
    (all of them replaced) the file no longer has."""
    found = pd.Index(old.key(KEY)).get_indexer(new.key(KEY))  # unique per cycle
    matched = found >= 0
    stored = found[matched]
    same = np.ones(len(stored), dtype=bool)
    for column in COMPARED:
        if column == "n":
            same &= new.n[matched] == old.n[stored]
        elif column == "value":
            same &= new.value[matched] == old.value[stored]
        else:
            same &= new.codes[column][matched] == old.codes[column][stored]
    removed = np.ones(len(old), dtype=bool)
    removed[stored] = False
    pairs = ("district_id", "year")
    years = len(new.categories["year"]) + 1
    size = (len(new.categories["district_id"]) + 1) * years
    new_pair, old_pair = new.key(pairs), old.key(pairs)
    added = np.bincount(new_pair[~matched], minlength=size)
    changed = np.bincount(new_pair[matched][~same], minlength=size)
    unchanged = np.bincount(new_pair[matched][same], minlength=size)
    gone = np.bincount(old_pair[removed], minlength=size)
    changes = []
    for pair in np.unique(np.concatenate((new_pair, old_pair))).tolist():
        district, year = divmod(pair, years)
        changes.append(
            DistrictYearChange(
                district_id=str(new.categories["district_id"][district - 1]),
                year=str(new.categories["year"][year - 1]),
                added=int(added[pair]),
                changed=int(changed[pair]),
                removed=int(gone[pair]),
                unchanged=int(unchanged[pair]),
            )
        )
    return tuple(sorted(changes, key=lambda c: (c.district_id, c.year)))


def _network(new: _Codes, old: _Codes) -> pd.DataFrame:
    """The cycle's results after the import: the kept stored rows (`old`), then the file's."""
    data: dict[str, object] = {}
    for column in TEXT:
        codes = np.concatenate((old.codes[column], new.codes[column]))
        # Only what is in use: a year the import removed must not linger as a trend year.
        data[column] = pd.Categorical.from_codes(
            codes, categories=new.categories[column]
        ).remove_unused_categories()
    data["n"] = np.concatenate((old.n, new.n))
    data["value"] = np.concatenate((old.value, new.value))
    designation = np.concatenate((old.codes["designation"], new.codes["designation"]))
    if (designation >= 0).any():
        data["designation"] = pd.Categorical.from_codes(
            designation, categories=new.categories["designation"]
        )
    return pd.DataFrame(data)


def _require_year(after: set[str], spec: IndexSpec, file_name: str) -> None:
    years = sorted(after)
    if spec.school_year not in years:
        raise InvalidInput(
            f"{escaped(file_name, limit=200)}: no results for {spec.school_year}, the school "
            f"year of {spec.key} (years in the cycle after this import: "
            f"{', '.join(years) or 'none'}); nothing was imported"
        )
