"""A reviewer's peer ratings of an assigned district done offline: download, fill in, apply.

The workbook holds the reviewer district's own ratings (level, rationale, suggestions), with
the district's self-rating and narrative beside each item as the reviewer may read them.
Applying saves edited items as draft peer ratings through `ratings.save_peer_rating`, the
page's compare-and-set save (`imports`); the set is still submitted through `peer_sets`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from review import audit, scope
from review.access import Action, Actor, Phase
from review.cycles import participation
from review.db import Cycle, District
from review.errors import InvalidInput, PermissionDenied
from review.offline import imports
from review.offline.imports import OfflineImport
from review.offline.workbook import PEER_RATING, FilledWorkbook
from review.ratings import RatingInput, is_submitted, read_ratings, save_peer_rating
from review.rubrics import Rubric

__all__ = ["apply_import", "export_workbook", "preview_import"]

_OPEN = (Phase.SELF_SUBMITTED, Phase.PEER_REVIEW)


def export_workbook(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    district_id: int,
    *,
    now: datetime | None = None,
) -> tuple[str, bytes]:
    """(file name, bytes) of the actor's district's ratings of `district_id` as a workbook.

    Raises:
        PermissionDenied: the district is not one the actor's district reviews.
    """
    target = _target(session, actor, cycle, rubric, district_id)
    at = now or audit.now()
    own = target.own(session, cycle)
    theirs = {
        r.item_id: r for r in read_ratings(session, actor, cycle, district_id, raters=[district_id])
    }
    rows = [
        imports.item_row(
            rubric,
            item.id,
            own.get(item.id),
            texts=(
                own[item.id].narrative if item.id in own else "",
                own[item.id].suggestions if item.id in own else "",
            ),
            shown=(
                imports.level_text(rubric, theirs.get(item.id)) or "Not rated",
                theirs[item.id].narrative if item.id in theirs else "",
            ),
        )
        for item in rubric.items
    ]
    code, rater = target.district.code, target.rater_code
    name = f"peer-ratings-{code}-by-{rater}-{cycle.name}-{at:%Y%m%d-%H%M}.xlsx"
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
        PermissionDenied: the district is not one the actor's district reviews.
        InvalidInput: a workbook of another district, reviewer, cycle or rubric version; a
            district not open for peer rating (its self-evaluation not submitted, or its
            reconciliation started); or a set of ratings already submitted.
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
    """Save every edited item nobody saved since the download, as a draft; report the others.

    Each save is audited by `save_peer_rating`; one more event records the import with the
    file's SHA-256. Raises as `preview_import`.
    """
    target = _checked(session, actor, cycle, rubric, district_id)
    return imports.apply(session, actor, cycle, rubric, target, workbook)


def _checked(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int
) -> imports.Target:
    target = _target(session, actor, cycle, rubric, district_id)
    code = target.district.code
    phase = participation(session, cycle, district_id).phase
    if phase not in _OPEN:
        why = (
            "its self-evaluation is not submitted yet"
            if phase == Phase.DRAFT
            else "its reconciliation has started, and the peer ratings are locked"
        )
        raise InvalidInput(
            f"Your ratings of {code} in {cycle.name} cannot change: {why}. Nothing was saved."
        )
    if is_submitted(session, cycle, district_id, target.rater_id):
        raise InvalidInput(
            f"Your district's ratings of {code} are submitted; withdraw them on the Rate a "
            "district page to change them (possible until reconciliation starts). Nothing "
            "was saved."
        )
    return target


def _target(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int
) -> imports.Target:
    district = session.get(District, district_id)
    code = district.code if district is not None else str(district_id)
    if district is None or not scope.allowed(session, actor, cycle, Action.RATE_PEER, district_id):
        raise PermissionDenied(
            f"{actor.name} may not rate district {code} in cycle {cycle.name}: it is not a "
            "district their district is assigned to review. Nothing was saved."
        )
    assert actor.district_id is not None  # RATE_PEER is only ever allowed to a district
    rater = session.get(District, actor.district_id)
    assert rater is not None

    def save(s: Session, item_id: str, data: RatingInput, expected: int | None) -> object:
        return save_peer_rating(
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
        layout=PEER_RATING,
        district=district,
        rater_id=rater.id,
        rater_code=rater.code,
        action="import offline peer ratings",
        save=save,
    )
