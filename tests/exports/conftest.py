"""A small finished-looking district to export: district A of the test world, rated by B and C."""

import pytest
from sqlalchemy import update

from review import cycles, evidence, ratings
from review.access import Phase
from review.db import Rating
from review.ratings import RatingInput

PDF = b"%PDF-1.4\n%synthetic evidence\n"
HOSTILE = (
    '<b>unclosed <script>alert(1)</script> & =HYPERLINK("http://x") '
    + "Peña Nguyễn Łódź שלום مرحبا "
    + "x" * 120
)


# The audited events of district A in `rated`, by action (peer rating saves included, their
# values withheld until release).
EVENTS_OF_A = {
    "change phase": 2,
    "link evidence": 2,
    "save peer rating": 2,
    "save self rating": 2,
    "submit self-evaluation": 1,
    "upload evidence": 2,
}


@pytest.fixture
def rated(world):
    a = world.district_id("A")
    with world.db.session() as s:
        cycle = world.cycle(s)
        lead = world.leads["A"]
        ratings.save_self_rating(
            s,
            lead,
            cycle,
            world.rubric,
            district_id=a,
            item_id="ENGAGE",
            expected_version=None,
            data=RatingInput(level=4, narrative=HOSTILE),
        )
        ratings.save_self_rating(
            s,
            lead,
            cycle,
            world.rubric,
            district_id=a,
            item_id="PDSA",
            expected_version=None,
            data=RatingInput(not_applicable=True),
        )
        evidence.add_evidence(
            s,
            world.settings,
            lead,
            cycle,
            world.rubric,
            district_id=a,
            file_name="agenda.pdf",
            data=PDF,
            description="=1+1 agenda",
            items=("ENGAGE",),
        )
        evidence.add_evidence(
            s,
            world.settings,
            lead,
            cycle,
            world.rubric,
            district_id=a,
            file_name="../agenda.pdf",
            data=PDF + b"2",
            items=("ENGAGE",),
        )
        ratings.submit_self_evaluation(s, lead, cycle, world.rubric, district_id=a)
        for code, level, text in (("B", 2, "-Only agendas"), ("C", 4, "@Strong records")):
            ratings.save_peer_rating(
                s,
                world.leads[code],
                cycle,
                world.rubric,
                district_id=a,
                item_id="ENGAGE",
                expected_version=None,
                data=RatingInput(level=level, narrative=text, suggestions=f"+Add sign-ins {code}"),
            )
        # Exports show submitted peer ratings only. B and C rate ENGAGE alone, which
        # `peer_sets.submit_peer_ratings` refuses (PDSA is required), so their sets are marked
        # submitted here; a test that rates more withdraws them first.
        s.execute(
            update(Rating)
            .where(Rating.district_id == a, Rating.source == ratings.PEER)
            .values(status=ratings.SUBMITTED)
        )
    return world


@pytest.fixture
def released(rated):
    """District A once the coordinator has released peer ratings to the districts."""
    with rated.db.session() as s:
        cycle = rated.cycle(s)
        cycles.update_cycle(
            s, rated.coordinator, cycle, expected_version=cycle.row_version, released=True
        )
    return rated


def make_final(world, code="A"):
    """Mark a district final directly: these tests are about what a final packet shows, not
    about the reconciliation that leads there (tests/review/reconcile covers that)."""
    with world.db.session() as s:
        part = cycles.participation(s, world.cycle(s), world.district_id(code), lock="update")
        cycles.set_phase(s, None, part, Phase.FINAL)
