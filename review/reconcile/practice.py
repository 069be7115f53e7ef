"""The practice library: items decided at the rubric's top level, to learn from.

It shows only what is released and decided: an item enters with a decision at the top level
(never on peer ratings alone), and the peers' notes come with it only once the cycle has
released peer ratings to the districts; draft peer ratings never (`review.ratings.shared`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from review.access import Action, Actor, require
from review.cycles import cycle_rubric
from review.db import Cycle
from review.errors import InvalidInput
from review.reconcile._network import (
    EvidenceSummary,
    Frozen,
    Network,
    Score,
    evidence_summaries,
    load,
)
from review.reconcile._network import texts as rating_texts
from review.rubrics import Catalogue, Item, Rubric

# District size bands: (name, label, lowest, highest enrollment). CORE districts run from
# about 11,000 to 650,000 students (design.md, "a district of 11,000 students and one of
# 650,000"); three bands keep a small district's peers recognisable.
SIZE_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("small", "under 25,000 students", 0, 24_999),
    ("medium", "25,000 to 100,000 students", 25_000, 100_000),
    ("large", "over 100,000 students", 100_001, None),
)


class PeerNote(Frozen):
    rater: str
    level: int | None
    rationale: str
    suggestions: str


class Practice(Frozen):
    """An item decided at the top level for a district, to learn from; `peer_notes` is empty
    until the cycle releases peer ratings."""

    cycle: str
    district: str
    district_name: str
    enrollment: int
    size_band: str
    item: str
    item_title: str
    level: int
    narrative: str
    decision_rationale: str
    peer_notes: tuple[PeerNote, ...]
    evidence: tuple[EvidenceSummary, ...]


def size_band(enrollment: int) -> str:
    """The name of the `SIZE_BANDS` entry an enrollment falls in."""
    for name, _, low, high in SIZE_BANDS:
        if enrollment >= low and (high is None or enrollment <= high):
            return name
    return SIZE_BANDS[0][0]


def practice_library(
    session: Session,
    actor: Actor,
    catalogue: Catalogue,
    cycle: Cycle | None = None,
    *,
    item_id: str | None = None,
    keyword: str | None = None,
    size_band: str | None = None,
) -> list[Practice]:
    """Items decided at the rubric's top level, with narrative, decision rationale, evidence
    and (once the cycle releases peer ratings) the peers' notes.

    Args:
        catalogue: where each cycle's pinned rubric is read from (for its top level).
        cycle: one cycle, or `None` for every cycle.
        item_id: only this item.
        keyword: only practices whose narrative, peer rationale or suggestions, decision
            rationale, or evidence file names and descriptions contain it (any case).
        size_band: only districts in this band (a name from `SIZE_BANDS`).

    Returns:
        Practices by cycle name, rubric order and district code.

    Raises:
        InvalidInput: an unknown size band.
    """
    require(actor, Action.READ_PRACTICE)
    bands = [name for name, *_ in SIZE_BANDS]
    if size_band is not None and size_band not in bands:
        raise InvalidInput(f"unknown size band {size_band!r} (choose from {', '.join(bands)})")
    chosen = [cycle] if cycle else list(session.scalars(select(Cycle).order_by(Cycle.name)))
    needle = (keyword or "").strip().casefold()
    found = []
    for one in chosen:
        for practice in _practices(session, one, cycle_rubric(catalogue, one), item_id):
            if size_band is not None and practice.size_band != size_band:
                continue
            if needle and needle not in _searchable(practice):
                continue
            found.append(practice)
    return found


def _practices(
    session: Session, cycle: Cycle, rubric: Rubric, item_id: str | None
) -> list[Practice]:
    network = load(session, cycle)
    items = [i for i in rubric.items if item_id is None or i.id == item_id]
    found = [
        (item, district_id)
        for item in items
        for district_id in sorted(network.districts, key=network.code)
        if _decided_at_top(network, rubric, item, district_id)
    ]
    ids = [r.id for item, d in found for r in _shown_ratings(network, d, item)]
    shown = rating_texts(session, ids)
    evidence = evidence_summaries(session, cycle, item_id=item_id)
    return [
        _practice(network, rubric, item, district_id, shown, evidence)
        for item, district_id in found
    ]


def _decided_at_top(network: Network, rubric: Rubric, item: Item, district_id: int) -> bool:
    decision = network.decisions.get((district_id, item.id))
    return decision is not None and decision.level == rubric.top_level


def _shown_ratings(network: Network, district_id: int, item: Item) -> list[Score]:
    """The self-rating, and the peer ratings once the cycle has released them."""
    own = network.self_rating(district_id, item.id)
    peers = list(network.peer_ratings(district_id, item.id)) if network.cycle.released else []
    return ([own] if own else []) + peers


def _practice(
    network: Network,
    rubric: Rubric,
    item: Item,
    district_id: int,
    shown: dict[int, tuple[str, str]],
    evidence: dict[tuple[int, str], tuple[EvidenceSummary, ...]],
) -> Practice:
    decision = network.decisions[district_id, item.id]
    district = network.districts[district_id]
    own = network.self_rating(district_id, item.id)
    return Practice(
        cycle=network.cycle.name,
        district=district.code,
        district_name=district.name,
        enrollment=district.enrollment,
        size_band=size_band(district.enrollment),
        item=item.id,
        item_title=item.title,
        level=rubric.top_level,
        narrative=shown[own.id][0] if own else "",
        decision_rationale=decision.rationale,
        peer_notes=tuple(
            PeerNote(
                rater=network.code(r.rater_district_id),
                level=r.level,
                rationale=shown[r.id][0],
                suggestions=shown[r.id][1],
            )
            for r in _shown_ratings(network, district_id, item)
            if r is not own
        ),
        evidence=evidence.get((district_id, item.id), ()),
    )


def _searchable(practice: Practice) -> str:
    parts = [practice.narrative, practice.decision_rationale]
    parts += [t for note in practice.peer_notes for t in (note.rationale, note.suggestions)]
    parts += [t for e in practice.evidence for t in (e.file_name, e.description)]
    return "\n".join(parts).casefold()
