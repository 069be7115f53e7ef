"""The review packet as plain rows and sections, built from the database; renderers only draw.

Everything a packet shows is decided here, so the PDF, the workbook and the app agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exports import record
from exports.record import ContextFigure, Note
from exports.trail import Audience, AuditRow, audit_rows, finalized
from review import evidence as evidence_store
from review import figures, reconcile, scope
from review import ratings as rating_store
from review.access import PHASE_LABELS, Action, Actor, Phase, Role
from review.cycles import get_cycle, get_district, participation, pinned_rubric
from review.db import AuditEvent, Cycle, District, Evidence, Rating, User
from review.index.counts import district_figures, school_counts
from review.index.models import DistrictSummary
from review.rubrics import Catalogue, Rubric, content_hash


@dataclass(frozen=True)
class PeerEntry:
    reviewer: str  # reviewing district's code
    level: int | None
    rationale: str
    suggestions: str


@dataclass(frozen=True)
class Decision:
    level: int | None
    not_applicable: bool
    method: str
    rationale: str
    decided_by: str
    decided_at: datetime  # UTC


@dataclass(frozen=True)
class ItemSection:
    item_id: str
    principle: str
    title: str
    prompt: str
    descriptors: tuple[tuple[int, str, str], ...]  # level, label, text
    self_level: int | None
    self_not_applicable: bool
    self_narrative: str
    peers: tuple[PeerEntry, ...]
    flags: tuple[str, ...]
    decision: Decision | None
    final_level: int | None
    status: str  # meets | partially meets | does not meet | not rated
    notes: tuple[Note, ...] = ()  # questions, answers and discussion, oldest first
    evidence_files: tuple[str, ...] = ()
    context: tuple[ContextFigure, ...] = ()
    required: bool = True  # an optional item without a final level does not count
    # Whose words each descriptor is (level, "Quoted from …" or "Written for this product");
    # empty when the rubric version does not record it.
    wording: tuple[tuple[int, str], ...] = ()
    source_note: str = ""


@dataclass(frozen=True)
class PrincipleStatus:
    principle: str
    title: str
    status: str
    items: tuple[tuple[str, str, int | None, str], ...]  # id, title, final level, status


@dataclass(frozen=True)
class EvidenceRow:
    file_name: str
    description: str
    items: tuple[str, ...]
    sha256: str
    size: int
    media_type: str
    evidence_id: int


@dataclass(frozen=True)
class IndexTable:
    title: str
    header: tuple[str, ...]
    # Figures are Decimals at their precision (review.figures), written alike everywhere.
    rows: tuple[tuple[str | int | Decimal | None, ...], ...]
    sheet: str = ""  # the workbook's sheet name (at most 31 characters)
    # How a table too wide for a page is printed: as these narrower tables, on landscape pages.
    parts: tuple[IndexTable, ...] = ()


@dataclass(frozen=True)
class Report:
    district_code: str
    district_name: str
    enrollment: int
    # Counted from the cycle's index data for `counts_year`; None where it is not imported.
    school_count: int | None
    designations: tuple[tuple[str, int | None], ...]
    counts_year: str | None
    cycle: str
    phase: str
    rubric_key: str
    rubric_title: str
    rubric_hash: str
    index_spec: str | None
    overall_status: str
    principles: tuple[PrincipleStatus, ...]
    strengths: tuple[str, ...]
    next_steps: tuple[str, ...]
    items: tuple[ItemSection, ...]
    evidence: tuple[EvidenceRow, ...]
    index_tables: tuple[IndexTable, ...] = ()
    index_chart: tuple[tuple[str, tuple[int, int, int]], ...] = ()  # metric, band counts
    index_bands: tuple[str, ...] = ()  # the chart's legend: each band's name and levels
    # Audited events per action, and each event (oldest first), as the reader may see them.
    audit: tuple[tuple[str, int], ...] = field(default_factory=tuple)
    audit_rows: tuple[AuditRow, ...] = ()
    summary: tuple[str, ...] = ()  # the one-page summary, paragraph by paragraph
    definitions: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    finalized: tuple[datetime, str] | None = None  # when and by whom it was made final
    sign_off: tuple[tuple[str, str], ...] = ()  # role, name; final packets only
    # The latest change of any kind the packet shows (UTC): the PDF's date, the cover's "as of".
    as_of: datetime | None = None
    final: bool = False
    # For a packet that is not final: what is still open, one plain sentence each.
    unsettled: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return f"Peer review packet — {self.district_name} — {self.cycle}"


def build_report(
    session: Session,
    catalogue: Catalogue,
    *,
    cycle_name: str,
    district_code: str,
    index: DistrictSummary | None = None,
) -> Report:
    """Every section of one district's packet for one cycle, as plain data.

    Args:
        index: the district's index summary for the cycle, when the cycle has index results.
    """
    cycle = get_cycle(session, cycle_name)
    rubric = pinned_rubric(catalogue, cycle.rubric_id, cycle.rubric_version, cycle.rubric_hash)
    district = get_district(session, district_code)
    phase = participation(session, cycle, district.id).phase
    final = phase == Phase.FINAL
    audience = reader(district.id)
    # What the app shows the district itself (`read_ratings`, `scope`): peer ratings once the
    # cycle releases them.
    peers_shown = scope.allowed(session, audience, cycle, Action.READ_PEER_RATINGS, district.id)
    rows = [
        r for r in rating_store.read_ratings(session, audience, cycle, district.id) if _given(r)
    ]
    codes = _reviewer_names(session, rows, final)
    files = evidence_store.files_of(session, cycle, district.id)
    decisions = _decisions(session, cycle, district.id)
    # Flags are read from the peer ratings ("Peers rated 2 and 4"): hidden with them.
    flags = _flags(session, cycle, rubric, district.id) if peers_shown else {}
    items = tuple(
        _item_section(rubric, item.id, rows, codes, district.id, flags, decisions)
        for item in rubric.items
    )
    seen = Audience(district.id, final, peers_shown, frozenset(r.id for r in rows), codes)
    evidence_rows = _evidence_rows(files)
    items = _with_records(session, cycle, rubric, seen, items, rows, evidence_rows, district)
    principles = _principles(rubric, items)
    trail = audit_rows(session, cycle, seen)
    next_steps = _next_steps(items)
    changes = record.changes_since(session, cycle, rubric, district.id, items)
    done = finalized(trail) if final else None
    counts = school_counts(session, cycle.id, district_code=district.code).get(district.code)
    figures = district_figures(counts)
    return Report(
        district_code=district.code,
        district_name=district.name,
        enrollment=district.enrollment,
        school_count=figures.pop("schools"),
        designations=tuple(figures.items()),
        counts_year=counts.year if counts is not None else None,
        cycle=cycle.name,
        phase=phase,
        rubric_key=rubric.key,
        rubric_title=rubric.title,
        rubric_hash=content_hash(rubric),
        index_spec=cycle.index_spec,
        overall_status=_worst(items),
        principles=principles,
        strengths=_strengths(items, rubric),
        next_steps=next_steps,
        items=items,
        evidence=evidence_rows,
        index_tables=index_tables(index) if index else (),
        index_chart=_band_chart(index) if index else (),
        index_bands=tuple(
            f"{b.name} (levels {b.low}-{b.high})"
            for b in (index.metrics[0].bands if index and index.metrics else ())
        ),
        audit=tuple(sorted(Counter(r.action for r in trail).items())),
        audit_rows=trail,
        summary=record.summary(rubric, principles, items, next_steps, changes),
        definitions=record.definitions(rubric, cycle),
        finalized=done,
        sign_off=record.sign_off(district.name, _signing(items), done[1] if done else None)
        if final
        else (),
        as_of=_as_of(session, cycle, district.id, rows, decisions, items),
        final=final,
        unsettled=()
        if final
        else _unsettled(session, cycle, rubric, district.id, phase, peers_shown, items),
    )


def _evidence_rows(files: list[evidence_store.EvidenceFile]) -> tuple[EvidenceRow, ...]:
    return tuple(
        EvidenceRow(
            file_name=f.file_name,
            description=f.description,
            items=f.items,
            sha256=f.sha256,
            size=f.size,
            media_type=f.media_type,
            evidence_id=f.id,
        )
        for f in files
    )


def _with_records(
    session: Session,
    cycle: Cycle,
    rubric: Rubric,
    seen: Audience,
    items: tuple[ItemSection, ...],
    rows: list[Rating],
    files: tuple[EvidenceRow, ...],
    district: District,
) -> tuple[ItemSection, ...]:
    """Items with their questions and discussion, evidence and context measures."""
    notes = record.notes_by_item(session, cycle, seen)
    linked = record.evidence_by_item(files)
    own = {r.item_id: r for r in rows if r.source == rating_store.SELF}
    return tuple(
        replace(
            item,
            notes=notes.get(item.item_id, ()),
            evidence_files=linked.get(item.item_id, ()),
            context=record.context_figures(
                rubric, item.item_id, own.get(item.item_id), district.enrollment
            ),
        )
        for item in items
    )


def _signing(items: tuple[ItemSection, ...]) -> tuple[str, ...]:
    """The reviewing districts of a final packet (named by code there)."""
    return tuple(sorted({p.reviewer for i in items for p in i.peers}))


def reader(district_id: int) -> Actor:
    """Whom a packet speaks to: the district and those it reports to (its board, the state).

    A packet shows what the app shows the district's own editors, decided by the same rule
    (`access.may`), so a packet never reveals what the app still hides.
    """
    return Actor(
        user_id=0,
        name="packet reader",
        email="",
        district_id=district_id,
        roles=frozenset({Role.DISTRICT_EDITOR}),
    )


def _given(row: Rating) -> bool:
    """Whether a rating its reader may see is one the rater has given: a self-rating once the
    self-evaluation is submitted, a peer rating unless withdrawn."""
    if row.status == WITHDRAWN:
        return False
    return row.source != rating_store.SELF or row.status == SUBMITTED


SUBMITTED, WITHDRAWN = "submitted", "withdrawn"


def _reviewer_names(session: Session, rows: list[Rating], final: bool) -> dict[int, str]:
    """Reviewing districts by code in a final packet; before that as "Peer 1", "Peer 2"
    (in code order), since the app does not tell a district who rated it."""
    codes: dict[int, str] = dict(session.execute(select(District.id, District.code)).all())
    if final:
        return codes
    raters = sorted(
        {r.rater_district_id for r in rows if r.source == rating_store.PEER}, key=codes.__getitem__
    )
    return {rater: f"Peer {n}" for n, rater in enumerate(raters, start=1)}


def _unsettled(
    session: Session,
    cycle: Cycle,
    rubric: Rubric,
    district_id: int,
    phase: str,
    peers_shown: bool,
    items: tuple[ItemSection, ...],
) -> tuple[str, ...]:
    lines = [f"Phase: {PHASE_LABELS[Phase(phase)]}. This review is not final."]
    if phase == Phase.DRAFT:
        lines.append("The self-evaluation is not submitted: its ratings are not shown.")
    if peers_shown:
        lines.append("Reviewing districts are named only in the final packet.")
    else:
        lines.append(
            "Peer ratings are not yet released to the district: they are not shown, "
            "nor who gave them."
        )
    open_flags = len(reconcile.open_flags(session, cycle, rubric, district_id))
    lines.append(f"Open flags: {open_flags}.")
    undecided = sum(1 for i in items if i.decision is None)
    lines.append(f"Items without a final level: {undecided} of {len(items)}.")
    return tuple(lines)


def _flags(
    session: Session, cycle: Cycle, rubric: Rubric, district_id: int
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for flag in reconcile.flags_for(session, cycle, rubric, district_id):
        found.setdefault(flag.item, []).append(
            f"{reconcile.RULE_LABELS.get(flag.rule, flag.rule)}: {flag.detail}"
        )
    return found


def _decisions(session: Session, cycle: Cycle, district_id: int) -> dict[str, Decision]:
    """Reconciliation decisions by item."""
    return {
        d.item: Decision(
            level=d.level,
            not_applicable=d.not_applicable,
            method=d.method,
            rationale=d.rationale,
            decided_by=d.decided_by,
            decided_at=utc(d.decided_at),
        )
        for d in reconcile.decisions_of(session, cycle, district_id)
    }


def _item_section(
    rubric: Rubric,
    item_id: str,
    rows: list[Rating],
    codes: dict[int, str],
    district_id: int,
    flags: dict[str, list[str]],
    decisions: dict[str, Decision],
) -> ItemSection:
    item = rubric.item(item_id)
    own = [r for r in rows if r.item_id == item_id]
    self_row = next((r for r in own if r.source == rating_store.SELF), None)
    peers = tuple(
        PeerEntry(
            reviewer=codes[r.rater_district_id],
            level=r.level,
            rationale=r.narrative,
            suggestions=r.suggestions,
        )
        for r in own
        if r.source == rating_store.PEER
    )
    decision = decisions.get(item_id)
    final = decision.level if decision else None
    status = rubric.compliance_status(final)
    if decision and decision.not_applicable:
        status = NOT_APPLICABLE
    return ItemSection(
        item_id=item.id,
        principle=item.principle,
        title=item.title,
        prompt=rubric.text(item.prompt),
        descriptors=tuple(
            (s.level, s.label, rubric.text(item.descriptors[s.level]))
            for s in sorted(rubric.scale, key=lambda s: s.level)
        ),
        wording=record.wording(rubric, item),
        source_note=rubric.text(item.source_note) if item.source_note else "",
        self_level=self_row.level if self_row else None,
        self_not_applicable=bool(self_row and self_row.not_applicable),
        self_narrative=self_row.narrative if self_row else "",
        peers=peers,
        flags=tuple(flags.get(item_id, [])),
        decision=decision,
        final_level=final,
        status=status,
        required=item.required,
    )


def _principles(rubric: Rubric, items: tuple[ItemSection, ...]) -> tuple[PrincipleStatus, ...]:
    result = []
    for principle in rubric.principles:
        mine = [i for i in items if i.principle == principle.id]
        if not mine:
            continue
        result.append(
            PrincipleStatus(
                principle=principle.id,
                title=principle.title,
                status=_worst(mine),
                items=tuple((i.item_id, i.title, i.final_level, i.status) for i in mine),
            )
        )
    return tuple(result)


NOT_APPLICABLE, NOT_RATED = "not applicable", "not rated"
_SEVERITY = (NOT_RATED, "does not meet", "partially meets", "meets")


def _worst(items: Sequence[ItemSection]) -> str:
    """A principle (or the district) meets only as well as its weakest counted item: items
    decided not applicable, and optional items left without a final level, do not count."""
    counted = [
        i.status
        for i in items
        if i.status != NOT_APPLICABLE and (i.required or i.status != NOT_RATED)
    ]
    return min(counted, key=_SEVERITY.index) if counted else NOT_RATED


def _strengths(items: tuple[ItemSection, ...], rubric: Rubric) -> tuple[str, ...]:
    top = [i for i in items if i.final_level == rubric.top_level]
    return tuple(f"{i.item_id} {i.title}" for i in top[:5])


def _next_steps(items: tuple[ItemSection, ...]) -> tuple[str, ...]:
    steps = []
    for item in items:
        if item.status in ("does not meet", "partially meets"):
            ideas = [p.suggestions for p in item.peers if p.suggestions.strip()]
            steps.append(f"{item.item_id} {item.title}: " + (ideas[0] if ideas else item.status))
    return tuple(steps[:8])


def _as_of(
    session: Session,
    cycle: Cycle,
    district_id: int,
    rows: list[Rating],
    decisions: dict[str, Decision],
    items: tuple[ItemSection, ...],
) -> datetime | None:
    """When the shown record last changed: a rating, a decision, an upload, a phase change or
    a message shown (or the cycle's opening, for a district with nothing recorded yet)."""
    uploaded = session.scalar(
        select(func.max(Evidence.uploaded_at)).where(
            Evidence.cycle_id == cycle.id, Evidence.district_id == district_id
        )
    )
    part = participation(session, cycle, district_id)
    phase_changed = session.scalar(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.entity == "participation", AuditEvent.entity_id == str(part.id)
        )
    )
    moments = [r.updated_at for r in rows] + [d.decided_at for d in decisions.values()]
    moments += [m for m in (uploaded, phase_changed, cycle.created_at) if m is not None]
    moments += [note.at for item in items for note in item.notes]
    return max((utc(m) for m in moments), default=None)


def utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC time (SQLite hands back naive times, stored as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def user_name(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return "system"
    user = session.get(User, user_id)
    return user.name if user else f"user {user_id}"


def _band_chart(summary: DistrictSummary) -> tuple[tuple[str, tuple[int, int, int]], ...]:
    chart = []
    for metric in summary.metrics:
        counts = [b.schools for b in metric.bands]
        if len(counts) == 3:
            chart.append((metric.name, (counts[0], counts[1], counts[2])))
    return tuple(chart)


def index_tables(summary: DistrictSummary) -> tuple[IndexTable, ...]:
    """The index summary as tables: bands and medians, gaps, trends, lagging schools, schools.

    Metrics are named by the specification's names, never by their ids.
    """
    bands = [b.name for b in summary.metrics[0].bands] if summary.metrics else []
    names = {m.metric_id: m.name for m in summary.metrics}
    metrics = IndexTable(
        title=f"Index {summary.year}: schools per band",
        sheet="Index bands",
        header=("Metric", "Counts this year", *bands, "District median", "Network median"),
        rows=tuple(
            (
                m.name,
                "yes" if m.counts else "no",
                *[b.schools for b in m.bands],
                figures.level(m.median_level),
                figures.level(m.network_median_level),
            )
            for m in summary.metrics
        ),
    )
    gaps = IndexTable(
        title="Index group gaps",
        sheet="Index gaps",
        header=("Metric", "Group", "Schools", "Median gap (levels)"),
        rows=tuple(
            (
                names.get(g.metric_id, g.metric_id),
                g.group_name,
                g.schools,
                figures.level(g.median_gap),
            )
            for g in summary.group_gaps
        ),
    )
    trends = IndexTable(
        title="Index trends",
        sheet="Index trends",
        header=("Metric", "Year", "Schools with a level", "Median level"),
        rows=tuple(
            (
                names.get(t.metric_id, t.metric_id),
                t.year,
                t.schools_with_level,
                figures.level(t.median_level),
            )
            for t in summary.trends
        ),
    )
    lagging = IndexTable(
        title="Index lagging schools",
        sheet="Index lagging schools",
        header=("School", "Metric", "Level", "Network median", "Why"),
        rows=tuple(
            (
                f.school_name,
                f.metric_name,
                f.level,
                figures.level(f.network_median_level),
                "; ".join(f.reasons),
            )
            for f in summary.lagging
        ),
    )
    return (metrics, gaps, trends, lagging, _schools_table(summary))


def _schools_table(summary: DistrictSummary) -> IndexTable:
    """Every school with its level per metric; printed as an overall table and one table of
    levels per domain, since fourteen columns do not fit a page."""
    metrics = summary.metrics
    header = ("School", "Type", "Designation", *[_short(m.name) for m in metrics])
    header += ("Overall score", "Overall level")
    rows = tuple(
        (
            r.school_name,
            r.school_type,
            r.designation,
            *[r.levels.get(m.metric_id) for m in metrics],
            figures.score(r.overall_score),
            r.overall_level,
        )
        for r in summary.schools
    )
    overall = IndexTable(
        title="Index by school: overall",
        header=("School", "Type", "Designation", "Overall score", "Overall level"),
        rows=tuple((*r[:3], *r[-2:]) for r in rows),
    )
    domains: dict[str, list[int]] = {}
    for column, m in enumerate(metrics, start=3):
        domains.setdefault(m.domain_name, []).append(column)
    per_domain = tuple(
        IndexTable(
            title=f"Index by school: {domain} (level per metric, all students)",
            header=("School", *[header[c] for c in columns]),
            rows=tuple((r[0], *[r[c] for c in columns]) for r in rows),
        )
        for domain, columns in domains.items()
    )
    return IndexTable(
        title="Index by school and metric",
        sheet="Index by school",
        header=header,
        rows=rows,
        parts=(overall, *per_domain),
    )


def _short(metric_name: str) -> str:
    """A metric's name without its parenthesised definition ("Academic growth (growth
    percentile)" -> "Academic growth"); the band table carries the full name."""
    return metric_name.split(" (")[0]
