"""What an offline workbook changes, item by item, and applying it: one path for every kind.

A `Target` says whose ratings a workbook holds (a district's self-evaluation, or one reviewer
district's peer ratings of a district) and how one of them is saved; `selfeval` and `peer`
build it after checking who may do what. Applying saves each edited item through the same
compare-and-set save as the page, with the version the row was downloaded at, so an item
someone saved since is refused with their text. It applies what can be applied: every other
edited item is saved, in one transaction, and each refused item is reported (a conflict on
one item does not cost the rater the rest).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from review import audit
from review.access import Actor
from review.cycles import participation
from review.db import Cycle, District, Rating
from review.errors import ConflictError, InvalidInput
from review.offline.workbook import (
    ITEM,
    ITEMS,
    LEVEL,
    NOT_APPLICABLE,
    NOT_RATED,
    FilledRow,
    FilledWorkbook,
    ItemRow,
    Layout,
    Meta,
    write_workbook,
)
from review.problems import FileProblems, Problem, escaped
from review.ratings import RatingInput, rating_dict, ratings_of
from review.rubrics import Rubric

# Saves one item: (session, item id, what to save, the version it was downloaded at).
Save = Callable[[Session, str, RatingInput, "int | None"], object]


class Status(StrEnum):
    CHANGE = "will change"
    REFUSED = "refused: saved by someone else since the download"
    SAME = "already saved as in the workbook"
    UNCHANGED = "not edited"


class ItemChange(BaseModel):
    """One item of an upload: what is saved now against what the workbook says.

    `old_texts` and `new_texts` hold one text per `Layout.texts` (the first is the narrative,
    or a reviewer's rationale).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str
    status: Status
    old_level: str
    new_level: str
    old_texts: tuple[str, ...]
    new_texts: tuple[str, ...]
    theirs: dict[str, object] | None = None  # the winner's rating, for a refused item

    @property
    def old_narrative(self) -> str:
        return self.old_texts[0]

    @property
    def new_narrative(self) -> str:
        return self.new_texts[0]


class OfflineImport(BaseModel):
    """What an upload changes (a preview) or changed (once applied)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file_name: str
    sha256: str
    district: str
    rater: str = ""  # the reviewer district of peer ratings; "" for a self-evaluation
    cycle: str
    texts: tuple[str, ...]  # the names of the text columns (`Layout.texts`)
    applied: bool
    items: tuple[ItemChange, ...]

    def count(self, status: Status) -> int:
        return sum(1 for item in self.items if item.status == status)

    def summary(self) -> str:
        changes = self.count(Status.CHANGE)
        verb = "saved" if self.applied else "to save"
        whose = f"district {self.district}"
        if self.rater:
            whose += f" rated by {self.rater}"
        return (
            f"{escaped(self.file_name, limit=200)}: {whose}, cycle {self.cycle}: "
            f"{changes} item{'s' if changes != 1 else ''} {verb}, "
            f"{self.count(Status.REFUSED)} refused (saved by someone else since the download), "
            f"{self.count(Status.SAME) + self.count(Status.UNCHANGED)} unchanged"
        )


@dataclass(frozen=True)
class Target:
    """Whose ratings a workbook holds, and how one of them is saved."""

    layout: Layout
    district: District  # the district rated
    rater_id: int  # the rater district: the district itself for a self-evaluation
    rater_code: str  # "" for a self-evaluation (written to the About sheet only for peers)
    action: str  # the audit event of an applied import
    save: Save

    def own(self, session: Session, cycle: Cycle) -> dict[str, Rating]:
        """The rater's ratings of the district by item, its unsubmitted drafts included."""
        rows = ratings_of(
            session, cycle, self.district.id, raters=[self.rater_id], drafts_of=self.rater_id
        )
        return {r.item_id: r for r in rows}


def workbook_bytes(
    target: Target,
    cycle: Cycle,
    rubric: Rubric,
    rows: Sequence[ItemRow],
    exported_at: str,
) -> bytes:
    """The workbook of `rows`, saying whose it is on its About sheet."""
    meta = Meta(
        kind=target.layout.kind,
        district=target.district.code,
        cycle=cycle.name,
        rubric=rubric.key,
        rubric_hash=cycle.rubric_hash,
        exported_at=exported_at,
        rater=target.rater_code,
    )
    levels = [rubric.label(level) for level in rubric.levels]
    return write_workbook(
        target.layout,
        meta,
        levels,
        rows,
        not_applicable=any(item.allow_not_applicable for item in rubric.items),
    )


def item_row(
    rubric: Rubric,
    item_id: str,
    own: Rating | None,
    texts: tuple[str, ...],
    shown: tuple[str, ...],
) -> ItemRow:
    """One item of a workbook: the rubric's words, and the rater's rating as saved now."""
    item = rubric.item(item_id)
    return ItemRow(
        item_id=item.id,
        title=item.title,
        prompt=rubric.text(item.prompt),
        descriptors=tuple(rubric.text(item.descriptors[level]) for level in rubric.levels),
        level=level_text(rubric, own),
        texts=texts,
        shown=shown,
        version=own.row_version if own else None,
    )


def plan(
    session: Session,
    cycle: Cycle,
    rubric: Rubric,
    target: Target,
    workbook: FilledWorkbook,
    *,
    applied: bool,
) -> OfflineImport:
    """What `workbook` changes for `target`, once the caller has checked who may import it.

    Raises:
        InvalidInput: a workbook of another district, rater, cycle or rubric version.
        FileProblems: rows naming unknown items or levels (each with its row and column).
    """
    check_whose(workbook, target, cycle, rubric)
    _check_rows(workbook, rubric)
    own = target.own(session, cycle)
    return OfflineImport(
        file_name=workbook.file_name,
        sha256=workbook.sha256,
        district=target.district.code,
        rater=target.rater_code,
        cycle=cycle.name,
        texts=target.layout.texts,
        applied=applied,
        items=tuple(_change(rubric, row, own.get(row.item_id)) for row in workbook.rows),
    )


def apply(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    target: Target,
    workbook: FilledWorkbook,
) -> OfflineImport:
    """Save every edited item nobody saved since the download; report the others.

    Each save is compare-and-set on the row's downloaded version (in its own savepoint) and
    audited by the save; one more event records the import with the file's SHA-256.
    Raises as `plan`.
    """
    planned = plan(session, cycle, rubric, target, workbook, applied=True)
    rows = {row.item_id: row for row in workbook.rows}
    own = target.own(session, cycle)
    items = []
    for change in planned.items:
        if change.status == Status.CHANGE:
            change = _save(session, rubric, target, rows[change.item_id], own, change)
        items.append(change)
    audit.record(
        session,
        actor,
        target.action,
        "participation",
        participation(session, cycle, target.district.id).id,
        after={
            "file": workbook.file_name,
            "sha256": workbook.sha256,
            "exported_at": workbook.meta.exported_at,
            **({"rater": target.rater_code} if target.rater_code else {}),
            "saved": [i.item_id for i in items if i.status == Status.CHANGE],
            "refused": [i.item_id for i in items if i.status == Status.REFUSED],
        },
    )
    return planned.model_copy(update={"items": tuple(items)})


def _save(
    session: Session,
    rubric: Rubric,
    target: Target,
    row: FilledRow,
    own: Mapping[str, Rating],
    change: ItemChange,
) -> ItemChange:
    current = own.get(change.item_id)
    level, not_applicable = parse_level(rubric, change.item_id, row)
    texts = dict(zip(("narrative", "suggestions"), row.texts, strict=False))
    data = RatingInput(
        level=level,
        not_applicable=not_applicable,
        narrative=texts["narrative"],
        # What the workbook has no column for stays as saved at the downloaded version.
        suggestions=texts.get("suggestions", current.suggestions if current else ""),
        context_values=dict(current.context_values) if current else {},
    )
    try:
        with session.begin_nested():
            target.save(session, change.item_id, data, row.version)
    except ConflictError as exc:
        return change.model_copy(update={"status": Status.REFUSED, "theirs": exc.current})
    return change


def check_whose(workbook: FilledWorkbook, target: Target, cycle: Cycle, rubric: Rubric) -> None:
    """Refuse a workbook written for another district, rater, cycle or rubric version."""
    meta, name, code = workbook.meta, escaped(workbook.file_name, limit=200), target.district.code
    layout = target.layout
    if meta.kind != layout.kind:
        raise InvalidInput(
            f"{name} is a {escaped(meta.kind)} workbook, not a {layout.kind} workbook"
        )
    if meta.district != code:
        raise InvalidInput(
            f"{name} {layout.holds} district {escaped(meta.district)}, not of {code}; "
            f"download {code}'s own workbook. Nothing was saved."
        )
    if meta.rater != target.rater_code:
        raise InvalidInput(
            f"{name} holds the ratings of {code} by {escaped(meta.rater)}, not by "
            f"{target.rater_code}; download your own workbook. Nothing was saved."
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
            parse_level(rubric, row.item_id, row)
        except InvalidInput as exc:
            problems.append(Problem(row.row, LEVEL, str(exc)))
    if problems:
        raise FileProblems(f"{workbook.file_name}, sheet {ITEMS}", problems, what="saved")


def _change(rubric: Rubric, row: FilledRow, current: Rating | None) -> ItemChange:
    level, not_applicable = parse_level(rubric, row.item_id, row)
    new_level = _choice(rubric, level, not_applicable)
    old_level = level_text(rubric, current) or NOT_RATED
    old_texts = _texts(current, len(row.texts))
    same = (new_level, row.texts) == (old_level, old_texts)
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
        old_texts=old_texts,
        new_texts=row.texts,
        theirs=rating_dict(current) if status == Status.REFUSED and current else None,
    )


def _texts(row: Rating | None, count: int) -> tuple[str, ...]:
    """A saved rating's texts in the order of a layout's text columns."""
    saved = (row.narrative, row.suggestions) if row else ("", "")
    return saved[:count]


def parse_level(rubric: Rubric, item_id: str, row: FilledRow) -> tuple[int | None, bool]:
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


def level_text(rubric: Rubric, row: Rating | None) -> str:
    """The Level cell of a saved rating ("" when not rated)."""
    if row is None or (row.level is None and not row.not_applicable):
        return ""
    return _choice(rubric, row.level, row.not_applicable)
