"""Each district's schools and designated schools, counted from a cycle's imported index data.

One grouped query for every district of a cycle. Designations follow the index summary
(`review.index.summary`): a school's designation is the one its rows carry for the year (one
per school and year, checked on import), counted per name of `DESIGNATIONS`; when the cycle's
data carries no designation at all the counts are unknown (None), not zero. The year is the
cycle's most recent one in the data (school years such as ``2015-16`` sort as text), and a
school counts when it has rows in that year: one closed earlier is not counted, where the
summary's school total counts every school of the district in the data.
"""

from __future__ import annotations

from sqlalchemy import Integer, case, cast, distinct, exists, func, select
from sqlalchemy.orm import Session, aliased

from review.db import IndexResult
from review.index.models import SchoolCounts
from review.index.vocabulary import DESIGNATIONS

__all__ = ["NOT_IMPORTED", "district_figures", "school_counts", "shown"]

NOT_IMPORTED = "not imported"  # how a count the index data does not give is shown


def school_counts(
    session: Session, cycle_id: int, *, district_code: str | None = None
) -> dict[str, SchoolCounts]:
    """Counts by district code for the cycle's most recent year of index data.

    A district without rows in that year is absent: its counts are not imported.

    Args:
        district_code: count only this district (a page or packet that shows one); the
            year is still the cycle's.
    """
    row = IndexResult
    # An alias, so the year's subquery stands alone instead of correlating with the outer one.
    other = aliased(IndexResult)
    latest = select(func.max(other.year)).where(other.cycle_id == cycle_id).scalar_subquery()
    carries = exists().where(other.cycle_id == cycle_id, other.designation.is_not(None))
    where = [row.cycle_id == cycle_id, row.year == latest]
    if district_code is not None:
        where.append(row.district_code == district_code)
    # One row per school first (a school has a row per metric and group): read from the
    # covering index `ix_index_results_cycle_year_schools`, this is most of the work.
    schools = (
        select(row.district_code, row.year, row.school_id, row.designation)
        .where(*where)
        .distinct()
        .subquery()
    )
    query = select(
        schools.c.district_code,
        schools.c.year,
        func.count(distinct(schools.c.school_id)),
        cast(carries, Integer),
        *(
            func.count(distinct(case((schools.c.designation == name, schools.c.school_id))))
            for name in DESIGNATIONS
        ),
    ).group_by(schools.c.district_code, schools.c.year)
    counts = {}
    for code, year, total, has_designations, *named in session.execute(query):
        counts[code] = SchoolCounts(
            district_id=code,
            year=year,
            schools=total,
            designations=dict(zip(DESIGNATIONS, named, strict=True)) if has_designations else None,
        )
    return counts


def shown(count: int | None) -> str:
    """A count as the app and packets show it: "not imported" where the data gives none."""
    return NOT_IMPORTED if count is None else f"{count:,}"


def district_figures(counts: SchoolCounts | None) -> dict[str, int | None]:
    """Schools, then each designation's schools, by label; None where not imported."""
    figures: dict[str, int | None] = {"schools": None if counts is None else counts.schools}
    for name in DESIGNATIONS:
        figures[name] = None if counts is None else counts.designated(name)
    return figures
