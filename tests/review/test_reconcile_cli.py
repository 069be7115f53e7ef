import json

import pytest

from review import cycles, evidence, peer_sets, ratings, reconcile
from review.cli import main
from review.ratings import RatingInput

PDF = b"%PDF-1.4\n%synthetic\n"


def _submit(world, code, levels):
    with world.db.session() as s:
        cycle, district_id = world.cycle(s), world.district_id(code)
        for item, level in levels.items():
            ratings.save_self_rating(
                s,
                world.leads[code],
                cycle,
                world.rubric,
                district_id=district_id,
                item_id=item,
                data=RatingInput(level=level),
                expected_version=None,
            )
        evidence.add_evidence(
            s,
            world.settings,
            world.leads[code],
            cycle,
            world.rubric,
            district_id=district_id,
            file_name="agenda.pdf",
            data=PDF,
            items=("ENGAGE", "PDSA"),
        )
        ratings.submit_self_evaluation(
            s, world.leads[code], cycle, world.rubric, district_id=district_id
        )


def _rate(world, reviewer, code, item, level):
    with world.db.session() as s:
        ratings.save_peer_rating(
            s,
            world.leads[reviewer],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id(code),
            item_id=item,
            data=RatingInput(level=level),
            expected_version=None,
        )


def _network(world):
    """A: ENGAGE 1 and 3 from its peers, self 4 on PDSA above peers 2 and 2. D: self 2 on PDSA,
    its one peer 4."""
    _submit(world, "A", {"ENGAGE": 2, "PDSA": 4})
    _submit(world, "D", {"ENGAGE": 2, "PDSA": 2})
    for reviewer, engage in (("B", 1), ("C", 3)):
        _rate(world, reviewer, "A", "ENGAGE", engage)
        _rate(world, reviewer, "A", "PDSA", 2)
    _rate(world, "E", "D", "ENGAGE", 2)
    _rate(world, "E", "D", "PDSA", 4)
    for reviewer, code in (("B", "A"), ("C", "A"), ("E", "D")):
        with world.db.session() as s:
            peer_sets.submit_peer_ratings(
                s,
                world.leads[reviewer],
                world.cycle(s),
                world.rubric,
                district_id=world.district_id(code),
            )


def test_discrepancies_prints_an_aligned_table(cli, capsys):
    _network(cli)
    assert main(["discrepancies", "--cycle", "2015-16"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "DISTRICT  ITEM    RULE               LEVELS   DETAIL",
        "A         ENGAGE  peer_disagreement  1, 3     Peers rated 1 and 3 (spread 2)",
        "A         PDSA    self_above_peers   4, 2, 2  Self-rating 4 is above every peer rating "
        "(2 and 2)",
        "A         PDSA    self_peer_gap      4, 2, 2  Self-rating 4 vs peer median 2 (gap 2)",
        "D         PDSA    self_peer_gap      2, 4     Self-rating 2 vs peer median 4 (gap 2)",
        "4 open flags in cycle 2015-16.",
    ]


def test_discrepancies_json_for_one_district(cli, capsys):
    _network(cli)
    argv = ["discrepancies", "--cycle", "2015-16", "--district", "A", "--format", "json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "district": "A",
            "item": "ENGAGE",
            "rule": "peer_disagreement",
            "levels": [1, 3],
            "detail": "Peers rated 1 and 3 (spread 2)",
        },
        {
            "district": "A",
            "item": "PDSA",
            "rule": "self_above_peers",
            "levels": [4, 2, 2],
            "detail": "Self-rating 4 is above every peer rating (2 and 2)",
        },
        {
            "district": "A",
            "item": "PDSA",
            "rule": "self_peer_gap",
            "levels": [4, 2, 2],
            "detail": "Self-rating 4 vs peer median 2 (gap 2)",
        },
    ]


def test_discrepancies_leaves_out_decided_items(cli, capsys):
    _network(cli)
    with cli.db.session() as s:
        reconcile.start_reconciliation(
            s, cli.coordinator, cli.cycle(s), cli.rubric, district_id=cli.district_id("A")
        )
        proposal = reconcile.decide(
            s,
            cli.leads["B"],
            cli.cycle(s),
            cli.rubric,
            reconcile.DecisionRequest(
                district_id=cli.district_id("A"),
                item_id="PDSA",
                method=reconcile.Method.CONSENSUS,
                level=3,
                rationale="Three cycles planned, two done",
            ),
        )
        reconcile.confirm(
            s,
            cli.leads["C"],
            cli.cycle(s),
            cli.rubric,
            proposal_id=proposal.id,
            expected_version=proposal.row_version,
        )
    assert main(["discrepancies", "--cycle", "2015-16", "--district", "A"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "A         ENGAGE  peer_disagreement  1, 3    Peers rated 1 and 3 (spread 2)",
        "1 open flag in cycle 2015-16, district A.",
    ]


def test_discrepancies_with_no_flags_says_so(cli, capsys):
    assert main(["discrepancies", "--cycle", "2015-16", "--district", "E"]) == 0
    assert capsys.readouterr().out == "No open flags in cycle 2015-16, district E.\n"
    assert main(["discrepancies", "--cycle", "2015-16", "--format", "json"]) == 0
    assert capsys.readouterr().out == "[]\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cycle", "1999-00"], "error: no cycle named '1999-00' (known: 2015-16)\n"),
        (["--cycle", "2015-16", "--district", "ZZ"], "error: no district with code 'ZZ'\n"),
    ],
)
def test_discrepancies_unknown_cycle_or_district_exits_2(cli, capsys, argv, message):
    assert main(["discrepancies", *argv]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", message)


def test_discrepancies_district_outside_the_cycle_exits_2(cli, capsys):
    with cli.db.session() as s:
        cycles.save_district(s, cli.coordinator, code="Z", name="District Z", enrollment=5)
    assert main(["discrepancies", "--cycle", "2015-16", "--district", "Z"]) == 2
    assert capsys.readouterr().err == "error: district Z is not part of cycle 2015-16\n"


def test_discrepancies_needs_a_cycle(cli, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["discrepancies"])
    assert exit_.value.code == 2
    assert "the following arguments are required: --cycle" in capsys.readouterr().err


def test_discrepancies_on_the_demo_network_lists_its_forced_disagreements(
    monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("REVIEW_DATABASE_URL", f"sqlite:///{tmp_path}/demo.db")
    monkeypatch.setenv("REVIEW_BCRYPT_ROUNDS", "4")
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["discrepancies", "--cycle", "2015-16", "--format", "json"]) == 0
    flags = json.loads(capsys.readouterr().out)
    disagreements = [
        (f["district"], f["levels"]) for f in flags if f["rule"] == "peer_disagreement"
    ]
    # Open flags only: CPU's disagreement (1, 3) was settled by consensus before it was final.
    assert disagreements == [("ECU", [1, 4]), ("FHU", [2, 4])]
