"""The packet as a record: per-item questions, discussion, evidence and context measures, the
summary in prose, the definitions page and the sign-off block, as plain data."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from exports.trail import ANONYMOUS, Audience
from review import carry, comments, reconcile
from review import ratings as rating_store
from review.access import PHASE_LABELS, Phase
from review.backup import as_utc
from review.db import Comment, Cycle, Rating, User
from review.figures import per_thousand
from review.flags import (
    NETWORK_OUTLIER,
    PEER_DISAGREEMENT,
    SELF_ABOVE_PEERS,
    SELF_PEER_GAP,
    UNSUPPORTED,
)
from review.reconcile.decisions import Method
from review.rubrics import WRITTEN_FOR_PRODUCT, Item, Rubric

if TYPE_CHECKING:
    from exports.report import EvidenceRow, ItemSection, PrincipleStatus


@dataclass(frozen=True)
class Note:
    """A question, an answer or a message of the reconciliation discussion."""

    kind: str  # question | answer | discussion
    author: str
    at: datetime  # UTC
    body: str


@dataclass(frozen=True)
class ContextFigure:
    label: str
    count: int | None  # None: not reported
    per_thousand: Decimal | None  # per 1,000 students, to one decimal


def notes_by_item(
    session: Session, cycle: Cycle, audience: Audience
) -> dict[str, tuple[Note, ...]]:
    """Questions and answers (which the district reads and answers in the app), and the
    reconciliation discussion once peer ratings are shown (it is about them)."""
    districts = dict(
        session.execute(
            select(Comment.id, User.district_id)
            .join(User, User.id == Comment.author_id)
            .where(Comment.cycle_id == cycle.id, Comment.district_id == audience.district_id)
        ).all()
    )
    found: dict[str, list[Note]] = {}
    for m in comments.messages_of(session, cycle, audience.district_id):
        if m.kind == "discussion" and not audience.peers_shown:
            continue
        author = _author(m.author, districts.get(m.id), audience)
        found.setdefault(m.item_id, []).append(Note(m.kind, author, as_utc(m.at), m.body))
    return {item: tuple(notes) for item, notes in found.items()}


def _author(name: str, district: int | None, audience: Audience) -> str:
    if audience.final or district is None or district == audience.district_id:
        return name
    return audience.names.get(district, ANONYMOUS)


def evidence_by_item(files: tuple[EvidenceRow, ...]) -> dict[str, tuple[str, ...]]:
    """Each item's evidence as "file name (SHA-256 …)", in the evidence index's order."""
    found: dict[str, list[str]] = {}
    for f in files:
        for item in f.items:
            found.setdefault(item, []).append(f"{f.file_name} (SHA-256 {f.sha256[:12]}…)")
    return {item: tuple(names) for item, names in found.items()}


def context_figures(
    rubric: Rubric, item_id: str, self_row: Rating | None, enrollment: int
) -> tuple[ContextFigure, ...]:
    """The item's context measures as the district reported them, per 1,000 students."""
    values = dict(self_row.context_values) if self_row else {}
    return tuple(
        ContextFigure(m.label, values.get(m.id), per_thousand(values.get(m.id), enrollment))
        for m in rubric.item(item_id).context_measures
    )


def wording(rubric: Rubric, item: Item) -> tuple[tuple[int, str], ...]:
    """Whose words each descriptor is, by level ("Quoted from …", "Written for this product");
    empty when the version does not record it."""
    return tuple(
        (level, words)
        for level in rubric.levels
        if (words := rubric.provenance(item, level)) is not None
    )


def wording_lines(item: ItemSection) -> tuple[str, ...]:
    """An item's wording grouped by provenance, e.g. "Levels 1 and 4: Quoted from …"."""
    groups: dict[str, list[int]] = {}
    for level, words in item.wording:
        groups.setdefault(words, []).append(level)
    return tuple(f"{_levels_phrase(levels)}: {words}" for words, levels in groups.items())


def _levels_phrase(levels: list[int]) -> str:
    if len(levels) == 1:
        return f"Level {levels[0]}"
    return f"Levels {', '.join(str(n) for n in levels[:-1])} and {levels[-1]}"


def summary(
    rubric: Rubric,
    principles: tuple[PrincipleStatus, ...],
    items: tuple[ItemSection, ...],
    next_steps: tuple[str, ...],
    changes: str,
) -> tuple[str, ...]:
    """The one-page summary: paragraphs of prose, each built from the data."""
    return (
        *(_principle_sentence(p, items) for p in principles),
        _strengths_sentence(rubric, items),
        _next_steps_sentence(items, next_steps),
        changes,
    )


def _principle_sentence(principle: PrincipleStatus, items: tuple[ItemSection, ...]) -> str:
    mine = [i for i in items if i.principle == principle.principle]
    counts = Counter(_level_phrase(i) for i in mine)
    parts = [f"{n} {_items(n)} {phrase}" for phrase, n in sorted(counts.items())]
    return (
        f"{principle.principle} {principle.title}: {principle.status} "
        f"({len(mine)} {_items(len(mine))}: {', '.join(parts)})."
    )


def _items(count: int) -> str:
    return "item" if count == 1 else "items"


def _level_phrase(item: ItemSection) -> str:
    if item.decision and item.decision.not_applicable:
        return "not applicable"
    return "without a final level" if item.final_level is None else f"at level {item.final_level}"


def _strengths_sentence(rubric: Rubric, items: tuple[ItemSection, ...]) -> str:
    top = rubric.top_level
    label = next(s.label for s in rubric.scale if s.level == top)
    best = [f"{i.item_id} {i.title}" for i in items if i.final_level == top]
    if not best:
        return f"Strengths: no item has been decided at the top level ({top} {label})."
    return f"Strengths: decided at the top level ({top} {label}): {'; '.join(best)}."


def _next_steps_sentence(items: tuple[ItemSection, ...], next_steps: tuple[str, ...]) -> str:
    if next_steps:
        return f"Next steps: {'; '.join(next_steps)}."
    decided = [i for i in items if i.final_level is not None]
    if not decided:
        return "Next steps: none yet, as no item has a final level."
    low = min(i.final_level for i in decided if i.final_level is not None)
    names = "; ".join(f"{i.item_id} {i.title}" for i in decided if i.final_level == low)
    return f"Next steps: every item meets; the lowest final level ({low}) is that of {names}."


def changes_since(
    session: Session, cycle: Cycle, rubric: Rubric, district_id: int, items: tuple[ItemSection, ...]
) -> str:
    """What changed since the previous cycle, item by item (through the rubric's crosswalk):
    final levels where both cycles have one, otherwise submitted self-ratings."""
    earlier = carry.previous_cycle(session, cycle)
    if earlier is None:
        return "Since the previous cycle: there is no earlier cycle to compare with."
    before = _levels(session, earlier, district_id, final=True)
    before_self = _levels(session, earlier, district_id, final=False)
    moves: list[str] = []
    same = 0
    for item in items:
        old_ids = carry.previous_item_ids(rubric, item.item_id)
        now, then = item.final_level, _first(before, old_ids)
        if now is None or then is None:
            now, then = item.self_level, _first(before_self, old_ids)
        if now is None or then is None:
            continue
        if now == then:
            same += 1
        else:
            moves.append(f"{item.item_id} {'up' if now > then else 'down'} from {then} to {now}")
    if not moves and not same:
        return f"Since {earlier.name}: no item has a level in both cycles to compare."
    changed = "; ".join(moves) if moves else "no level changed"
    return f"Since {earlier.name}: {changed}; {same} unchanged."


def _levels(session: Session, cycle: Cycle, district_id: int, *, final: bool) -> dict[str, int]:
    if final:
        return {
            d.item: d.level
            for d in reconcile.decisions_of(session, cycle, district_id)
            if d.level is not None
        }
    return {
        r.item_id: r.level
        for r in rating_store.ratings_of(session, cycle, district_id)
        if r.source == rating_store.SELF and r.status == "submitted" and r.level is not None
    }


def _first(levels: dict[str, int], item_ids: list[str]) -> int | None:
    return next((levels[i] for i in item_ids if i in levels), None)


METHODS = {
    Method.AGREEMENT: "every peer gave the same level, and the reviewers confirmed it",
    Method.CHOICE: "the peers gave adjacent levels and agreed on one of them",
    Method.CONSENSUS: "the peers agreed a level with a written rationale, confirmed by every "
    "reviewing district",
    Method.ADJUDICATION: "the peers could not agree; a coordinator decided as a third reader, "
    "with a rationale",
}


PHASES = {
    Phase.DRAFT: "the district is writing its self-evaluation",
    Phase.SELF_SUBMITTED: "the district has submitted its self-evaluation",
    Phase.PEER_REVIEW: "the other districts of its triad rate it",
    Phase.RECONCILIATION: "flags and differing peer levels are settled, item by item",
    Phase.FINAL: "every item has a final level; the packet is kept as it was finalized",
}


Terms = tuple[tuple[str, str], ...]


def definitions(rubric: Rubric, cycle: Cycle) -> tuple[tuple[str, Terms], ...]:
    """The definitions page: levels, compliance status, flags, methods of decision, phases."""
    t = reconcile.thresholds(cycle)
    c = rubric.compliance
    flags = {
        PEER_DISAGREEMENT: f"the peer levels differ by {t.peer_spread} or more",
        SELF_PEER_GAP: f"the self-rating is {t.self_peer_gap} or more levels from the median "
        "peer level",
        SELF_ABOVE_PEERS: "the self-rating is above every peer level",
        UNSUPPORTED: f"a rating at level {rubric.top_level - t.unsupported_below_top} or above "
        "with no evidence linked",
        NETWORK_OUTLIER: f"the peer level is {t.network_outlier_gap} or more levels from the "
        "network's median for the item",
    }
    return (
        ("Levels", tuple((f"{s.level} {s.label}", s.meaning) for s in rubric.scale)),
        (
            "Compliance status",
            (
                ("meets", f"final level {c.meets} or above"),
                ("partially meets", _between(c.partially_meets, c.meets - 1)),
                ("does not meet", f"final level below {c.partially_meets}"),
                (
                    "not rated",
                    "no final level yet (an optional item without one does not count towards "
                    "its principle's or the district's status)",
                ),
                ("not applicable", "decided not applicable; not counted"),
            ),
        ),
        ("Flags", tuple((reconcile.RULE_LABELS[rule], text) for rule, text in flags.items())),
        ("Methods of decision", tuple((m.value, text) for m, text in METHODS.items())),
        ("Phases", tuple((PHASE_LABELS[p], text) for p, text in PHASES.items())),
        ("Rubric wording", rubric_wording(rubric)),
    )


def rubric_wording(rubric: Rubric) -> Terms:
    """Whose words the rubric is, the sources it quotes, and what its version corrects."""
    terms: list[tuple[str, str]] = []
    if rubric.corrects:
        terms.append((f"Rubric {rubric.key}", rubric.corrects.summary))
    if not rubric.provenance_recorded:
        return (
            *terms,
            (
                "Descriptors",
                f"Rubric {rubric.key} does not record which descriptors are quoted from a source.",
            ),
        )
    terms += [
        (f"Quoted from {s.short}", f"The descriptor is this source's words, verbatim: {s.citation}")
        for s in rubric.sources
    ]
    terms.append(
        (
            WRITTEN_FOR_PRODUCT,
            "The descriptor (like every prompt) was written for this review tool; it is not a "
            "source's wording.",
        )
    )
    return tuple(terms)


def _between(low: int, high: int) -> str:
    return f"final level {low}" if low == high else f"final level {low} to {high}"


def sign_off(
    district_name: str, reviewers: tuple[str, ...], finalized_by: str | None
) -> tuple[tuple[str, str], ...]:
    """The sign-off block of a final packet: role and name (blank where the packet cannot
    know who signs); the signature and date lines are left to fill in."""
    return (
        (f"District review lead, {district_name}", ""),
        *((f"Reviewing district {code}", "") for code in reviewers),
        ("Coordinator (finalized the review)", finalized_by or ""),
    )
