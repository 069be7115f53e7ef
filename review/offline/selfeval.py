"""A district's self-evaluation done offline: download it, fill it in, see what it changes, apply.

Applying saves each edited item through `ratings.save_self_rating` with the version the row was
downloaded at, so an item someone saved since is refused with their text, exactly as on the
page. It applies what can be applied: every other edited item is saved, in one transaction,
and each refused item is reported (a conflict on one item does not cost the district the rest).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from review import audit, scope
from review.access import Action, Actor, Phase
from review.cycles import participation
from review.db import Cycle, District, Rating
from review.errors import ConflictError, InvalidInput
from review.evidence import files_of
from review.offline.workbook import (
    ITEM,
    ITEMS,
    LEVEL,
    NOT_APPLICABLE,
    NOT_RATED,
    FilledRow,
    FilledWorkbook,
    ItemRow,
    Meta,
    write_workbook,
)
from review.problems import FileProblems, Problem, escaped
from review.ratings import RatingInput, rating_dict, ratings_of, save_self_rating
from review.rubrics import Rubric

KIND = "self-evaluation"


class Status(StrEnum):
    CHANGE = "will change"
    REFUSED = "refused: saved by someone else since the download"
    SAME = "already saved as in the workbook"
    UNCHANGED = "not edited"


class ItemChange(BaseModel):
    """One item of an upload: what is saved now against what the workbook says."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str
    status: Status
    old_level: str
    new_level: str
    old_narrative: str
    new_narrative: str
    theirs: dict[str, object] | None = None  # the winner's rating, for a refused item


class OfflineImport(BaseModel):
    """What an upload changes (a preview) or changed (once applied)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file_name: str
    sha256: str
    district: str
    cycle: str
    applied: bool
    items: tuple[ItemChange, ...]

    def count(self, status: Status) -> int:
        return sum(1 for item in self.items if item.status == status)

    def summary(self) -> str:
        changes = self.count(Status.CHANGE)
        verb = "saved" if self.applied else "to save"
        return (
            f"{escaped(self.file_name, limit=200)}: district {self.district}, cycle {self.cycle}: "
            f"{changes} item{'s' if changes != 1 else ''} {verb}, "
            f"{self.count(Status.REFUSED)} refused (saved by someone else since the download), "
            f"{self.count(Status.SAME) + self.count(Status.UNCHANGED)} unchanged"
        )


def export_workbook(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    district_id: int,
    *,
    now: datetime | None = None,
) -> tuple[str, bytes]:
    """(file name, bytes) of a district's self-evaluation as an offline workbook."""
    scope.check(session, actor, cycle, Action.READ_DISTRICT, district_id)
    district = session.get(District, district_id)
    assert district is not None
    at = now or audit.now()
    own = {r.item_id: r for r in ratings_of(session, cycle, district_id, raters=[district_id])}
    linked: dict[str, list[str]] = {}
    for file in files_of(session, cycle, district_id):
        for item_id in file.items:
            linked.setdefault(item_id, []).append(file.file_name)
    rows = [
        ItemRow(
            item_id=item.id,
            title=item.title,
            prompt=rubric.text(item.prompt),
            descriptors=tuple(rubric.text(item.descriptors[level]) for level in rubric.levels),
            level=_level_text(rubric, own.get(item.id)),
            narrative=own[item.id].narrative if item.id in own else "",
            evidence="\n".join(linked.get(item.id, [])),
            version=own[item.id].row_version if item.id in own else None,
        )
        for item in rubric.items
    ]
    meta = Meta(
        kind=KIND,
        district=district.code,
        cycle=cycle.name,
        rubric=rubric.key,
        rubric_hash=cycle.rubric_hash,
        exported_at=at.isoformat(timespec="seconds"),
    )
    levels = [rubric.label(level) for level in rubric.levels]
    name = f"self-evaluation-{district.code}-{cycle.name}-{at:%Y%m%d-%H%M}.xlsx"
    return name, write_workbook(meta, levels, rows)


def preview_import(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    district_id: int,
    workbook: FilledWorkbook,
) -> OfflineImport:
    """What applying `workbook` would change, item by item; nothing is written.

    Raises:
        PermissionDenied: the actor may not edit this district's self-evaluation.
        InvalidInput: a workbook of another district, cycle or rubric version, or a
            self-evaluation already submitted.
        FileProblems: rows naming unknown items or levels (each with its row and column).
    """
    return _plan(session, actor, cycle, rubric, district_id, workbook, applied=False)


def apply_import(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    district_id: int,
    workbook: FilledWorkbook,
) -> OfflineImport:
    """Save every edited item nobody saved since the download; report the others.

    Each save is compare-and-set on the row's downloaded version (in its own savepoint), and
    audited by `save_self_rating`; one more event records the import with the file's SHA-256.
    Raises as `preview_import`.
    """
    planned = _plan(session, actor, cycle, rubric, district_id, workbook, applied=True)
    rows = {row.item_id: row for row in workbook.rows}
    own = _own(session, cycle, district_id)
    items = []
    for change in planned.items:
        if change.status == Status.CHANGE:
            change = _save(session, actor, cycle, rubric, district_id, rows, own, change)
        items.append(change)
    done = planned.model_copy(update={"items": tuple(items)})
    audit.record(
        session,
        actor,
        "import offline self-evaluation",
        "participation",
        participation(session, cycle, district_id).id,
        after={
            "file": workbook.file_name,
            "sha256": workbook.sha256,
            "exported_at": workbook.meta.exported_at,
            "saved": [i.item_id for i in items if i.status == Status.CHANGE],
            "refused": [i.item_id for i in items if i.status == Status.REFUSED],
        },
    )
    return done


def _save(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    district_id: int,
    rows: dict[str, FilledRow],
    own: dict[str, Rating],
    change: ItemChange,
) -> ItemChange:
    row, current = rows[change.item_id], own.get(change.item_id)
    level, not_applicable = _parse_level(rubric, change.item_id, row)
    data = RatingInput(
        level=level,
        not_applicable=not_applicable,
        narrative=row.narrative,
        # The workbook has neither: they stay as saved at the version it was downloaded at.
        suggestions=current.suggestions if current else "",
        context_values=dict(current.context_values) if current else {},
    )
    try:
        with session.begin_nested():
            save_self_rating(
                session,
                actor,
                cycle,
                rubric,
                district_id=district_id,
                item_id=change.item_id,
                data=data,
                expected_version=row.version,
            )
    except ConflictError as exc:
        return change.model_copy(update={"status": Status.REFUSED, "theirs": exc.current})
    return change


def _plan(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    district_id: int,
    workbook: FilledWorkbook,
    *,
    applied: bool,
) -> OfflineImport:
    scope.check(session, actor, cycle, Action.EDIT_SELF, district_id)
    district = session.get(District, district_id)
    assert district is not None
    _check_whose(workbook, district, cycle, rubric)
    if participation(session, cycle, district_id).phase != Phase.DRAFT:
        raise InvalidInput(
            f"the self-evaluation of {district.code} in {cycle.name} is submitted and can no "
            "longer change; nothing was saved"
        )
    _check_rows(workbook, rubric)
    own = _own(session, cycle, district_id)
    return OfflineImport(
        file_name=workbook.file_name,
        sha256=workbook.sha256,
        district=district.code,
        cycle=cycle.name,
        applied=applied,
        items=tuple(_change(rubric, row, own.get(row.item_id)) for row in workbook.rows),
    )


def _own(session: Session, cycle: Cycle, district_id: int) -> dict[str, Rating]:
    return {r.item_id: r for r in ratings_of(session, cycle, district_id, raters=[district_id])}


def _check_whose(
    workbook: FilledWorkbook, district: District, cycle: Cycle, rubric: Rubric
) -> None:
    meta, name = workbook.meta, escaped(workbook.file_name, limit=200)
    if meta.kind != KIND:
        raise InvalidInput(f"{name} is a {escaped(meta.kind)} workbook, not a self-evaluation")
    if meta.district != district.code:
        raise InvalidInput(
            f"{name} is the self-evaluation of district {escaped(meta.district)}, not of "
            f"{district.code}; download {district.code}'s own workbook. Nothing was saved."
        )
    if meta.cycle != cycle.name:
        raise InvalidInput(
            f"{name} is from cycle {escaped(meta.cycle)}, not {cycle.name}; download this "
            "cycle's workbook. Nothing was saved."
        )
    if meta.rubric != rubric.key or meta.rubric_hash != cycle.rubric_hash:
        raise InvalidInput(
            f"{name} was written for rubric {escaped(meta.rubric)} "
            f"({escaped(meta.rubric_hash[:12])}…), but cycle {cycle.name} uses "
            f"{rubric.key} ({cycle.rubric_hash[:12]}…); download the workbook again. "
            "Nothing was saved."
        )


def _check_rows(workbook: FilledWorkbook, rubric: Rubric) -> None:
    known = {item.id for item in rubric.items}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row in workbook.rows:
        if row.item_id not in known:
            problems.append(Problem(row.row, ITEM, f"'{escaped(row.item_id)}' is not an item"))
            continue
        if row.item_id in seen:
            problems.append(Problem(row.row, ITEM, f"item repeats row {seen[row.item_id]}"))
        seen.setdefault(row.item_id, row.row)
        try:
            _parse_level(rubric, row.item_id, row)
        except InvalidInput as exc:
            problems.append(Problem(row.row, LEVEL, str(exc)))
    if problems:
        raise FileProblems(f"{workbook.file_name}, sheet {ITEMS}", problems, what="saved")


def _change(rubric: Rubric, row: FilledRow, current: Rating | None) -> ItemChange:
    level, not_applicable = _parse_level(rubric, row.item_id, row)
    new_level = _choice(rubric, level, not_applicable)
    old_level = _level_text(rubric, current) or NOT_RATED
    old_narrative = current.narrative if current else ""
    same = (new_level, row.narrative) == (old_level, old_narrative)
    if not row.edited or same:
        status = Status.UNCHANGED if not row.edited else Status.SAME
    elif (current.row_version if current else None) != row.version:
        status = Status.REFUSED
    else:
        status = Status.CHANGE
    return ItemChange(
        item_id=row.item_id,
        status=status,
        old_level=old_level,
        new_level=new_level,
        old_narrative=old_narrative,
        new_narrative=row.narrative,
        theirs=rating_dict(current) if status == Status.REFUSED and current else None,
    )


def _parse_level(rubric: Rubric, item_id: str, row: FilledRow) -> tuple[int | None, bool]:
    """(level, not applicable) from a Level cell: a label from the list, or just its number."""
    value = row.level
    text = "" if value is None else str(value).strip()
    if text in ("", NOT_RATED):
        return None, False
    if text.lower() == NOT_APPLICABLE.lower():
        if not rubric.item(item_id).allow_not_applicable:
            raise InvalidInput(f"'{NOT_APPLICABLE}' is not allowed for item {item_id}")
        return None, True
    number = text.split(" ", 1)[0]
    if isinstance(value, float) and value.is_integer():
        number = str(int(value))
    if number.isdigit() and int(number) in rubric.levels:
        return int(number), False
    choices = ", ".join(rubric.label(level) for level in rubric.levels)
    raise InvalidInput(
        f"'{escaped(text)}' is not a level: choose one of {choices}, or leave it empty"
    )


def _choice(rubric: Rubric, level: int | None, not_applicable: bool) -> str:
    if not_applicable:
        return NOT_APPLICABLE
    return NOT_RATED if level is None else rubric.label(level)


def _level_text(rubric: Rubric, row: Rating | None) -> str:
    """The Level cell of a saved rating ("" when not rated)."""
    if row is None or (row.level is None and not row.not_applicable):
        return ""
    return _choice(rubric, row.level, row.not_applicable)
