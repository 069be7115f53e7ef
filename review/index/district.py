"""A district's index summary for a review cycle, from the results stored with the cycle."""

from __future__ import annotations

from pathlib import Path

from review.db import Cycle, Database
from review.errors import NotFound
from review.index.catalogue import SpecCatalogue
from review.index.compute import IndexResults, compute_index
from review.index.models import DistrictSummary
from review.index.store import load_results
from review.index.stored import stored_summaries, without_details
from review.index.summary import summarise_district


def cycle_results(db: Database, specs_dir: Path, cycle: Cycle) -> IndexResults | None:
    """The whole network's computed results for a cycle; None when it has no spec or data."""
    if not cycle.index_spec:
        return None
    spec = SpecCatalogue(specs_dir).get_key(cycle.index_spec)
    try:
        frame = load_results(db, cycle.name)
    except NotFound:
        return None
    return compute_index(frame, spec)


def district_summary(
    results: IndexResults | None, district_code: str, *, details: bool = True
) -> DistrictSummary | None:
    """One district's summary, or None when the cycle has no results for its schools."""
    if results is None:
        return None
    try:
        return summarise_district(results, district_code, details=details)
    except NotFound:
        return None


def district_summaries(
    db: Database, specs_dir: Path, cycle: Cycle, codes: list[str], *, details: bool = True
) -> dict[str, DistrictSummary | None]:
    """Each district's summary, as stored by the cycle's latest import or else computed.

    `cycle` is the row as read now: its import count picks the stored summaries, so those of
    an earlier import are never used. Results are loaded and computed only when a district has
    no stored summary (results imported before summaries were stored, or a district added since).
    """
    with db.reading() as session:
        found = stored_summaries(session, cycle.id, cycle.index_imports, cycle.index_spec, codes)
    missing = [code for code in codes if code not in found]
    if missing:
        results = cycle_results(db, specs_dir, cycle)  # once: network medians need every school
        found |= {code: district_summary(results, code) for code in missing}
    return {code: found[code] if details else without_details(found[code]) for code in codes}
