"""A district's self-evaluation done offline: download it, fill it in, see what it changes, apply.

Who may export and import it is decided here; what an upload changes and how it is applied
(each edited item saved compare-and-set on its downloaded version, through
`ratings.save_self_rating`, as on the page) is `imports`', the same for peer ratings.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from review import audit, scope
from review.access import Action, Actor, Phase
from review.cycles import participation
from review.db import Cycle, District
from review.errors import InvalidInput
from review.evidence import files_of
from review.offline import imports
from review.offline.imports import ItemChange, OfflineImport, Status
from review.offline.workbook import SELF_EVALUATION, FilledWorkbook
from review.ratings import RatingInput, save_self_rating
from review.rubrics import Rubric

__all__ = [
    "ItemChange",
    "OfflineImport",
    "Status",
    "apply_import",
    "export_workbook",
    "preview_import",
]

KIND = SELF_EVALUATION.kind


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
    target = _target(session, actor, cycle, rubric, district_id)
    at = now or audit.now()
    own = target.own(session, cycle)
    linked: dict[str, list[str]] = {}
    for file in files_of(session, cycle, district_id):
        for item_id in file.items:
            linked.setdefault(item_id, []).append(file.file_name)
    rows = [
        imports.item_row(
            rubric,
            item.id,
            own.get(item.id),
            texts=(own[item.id].narrative if item.id in own else "",),
            shown=("\n".join(linked.get(item.id, [])),),
        )
        for item in rubric.items
    ]
    code = target.district.code
    name = f"self-evaluation-{code}-{cycle.name}-{at:%Y%m%d-%H%M}.xlsx"
    exported = at.isoformat(timespec="seconds")
    return name, imports.workbook_bytes(target, cycle, rubric, rows, exported)


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
    target = _checked(session, actor, cycle, rubric, district_id)
    return imports.plan(session, cycle, rubric, target, workbook, applied=False)


def apply_import(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    district_id: int,
    workbook: FilledWorkbook,
) -> OfflineImport:
    """Save every edited item nobody saved since the download; report the others.

    Each save is audited by `save_self_rating`; one more event records the import with the
    file's SHA-256. Raises as `preview_import`.
    """
    target = _checked(session, actor, cycle, rubric, district_id)
    return imports.apply(session, actor, cycle, rubric, target, workbook)


def _checked(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int
) -> imports.Target:
    scope.check(session, actor, cycle, Action.EDIT_SELF, district_id)
    target = _target(session, actor, cycle, rubric, district_id)
    if participation(session, cycle, district_id).phase != Phase.DRAFT:
        raise InvalidInput(
            f"the self-evaluation of {target.district.code} in {cycle.name} is submitted and "
            "can no longer change; nothing was saved"
        )
    return target


def _target(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int
) -> imports.Target:
    district = session.get(District, district_id)
    assert district is not None  # `scope.check` found it in the cycle

    def save(s: Session, item_id: str, data: RatingInput, expected: int | None) -> object:
        return save_self_rating(
            s,
            actor,
            cycle,
            rubric,
            district_id=district_id,
            item_id=item_id,
            data=data,
            expected_version=expected,
        )

    return imports.Target(
        layout=SELF_EVALUATION,
        district=district,
        rater_id=district_id,
        rater_code="",
        action="import offline self-evaluation",
        save=save,
    )
