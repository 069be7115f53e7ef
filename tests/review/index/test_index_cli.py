import argparse
import hashlib
import json
import shutil
from datetime import UTC, datetime

import pytest
from index_helpers import HEADER, SPECS
from sqlalchemy import select

from review.audit import events
from review.db import Cycle, Database, District, Participation, Triad, User
from review.errors import InvalidInput, NotFound, PermissionDenied
from review.index.cli import register
from review.index.store import load_results
from review.settings import Settings

LINES = [
    HEADER + ",designation",
    "S1,Alder Elementary,D1,elementary,2015-16,academic_performance,all,200,45,priority",
    "S1,Alder Elementary,D1,elementary,2015-16,chronic_absence,all,210,22,priority",
    "S2,Birch High,D2,high,2015-16,graduation,all,300,88,",
]


COORDINATOR = "coord@core.example"
IMPORT = ["index", "import", "--apply", "--as", COORDINATOR, "--cycle"]


def _run(argv, settings):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args, settings)


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("\n".join(LINES) + "\n")
    return path


@pytest.fixture
def settings(tmp_path):
    specs = tmp_path / "index_specs"
    shutil.copytree(SPECS, specs)
    return Settings.from_env({}, database_url=f"sqlite:///{tmp_path}/t.db", index_specs_dir=specs)


def _add_coordinator(settings, email=COORDINATOR, roles=("coordinator",), active=True):
    db = Database(settings.database_url)
    with db.session() as session:
        session.add(User(email=email, name="Coordinator", roles=list(roles), active=active))
    return db


def _add_cycle(settings, spec="core-sqii@2015-16"):
    db = _add_coordinator(settings)
    with db.session() as session:
        session.add(
            Cycle(
                name="2015-16",
                rubric_id="core-p2",
                rubric_version="2015-16",
                rubric_hash="0" * 64,
                index_spec=spec,
                settings={},
                deadlines={},
                released=False,
                created_at=datetime.now(UTC),
            )
        )
    return db


def test_index_summary_table_for_one_district(data, settings, capsys):
    code = _run(
        [
            "index",
            "summary",
            "--spec",
            "core-sqii@2015-16",
            "--data",
            str(data),
            "--district",
            "D1",
        ],
        settings,
    )

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("District D1: index summary 2015-16 (core-sqii@2015-16)\n")
    assert "Designated schools: priority 1, focus 0, reward 0" in out
    assert "Chronic absence (attendance at or below 90%)" in out
    assert "level 2 is at or below 2" in out  # chronic absence 22 is level 2: lagging


def test_index_summary_json_every_district(data, settings, capsys):
    _run(
        [
            "index",
            "summary",
            "--spec",
            "core-sqii@2015-16",
            "--data",
            str(data),
            "--format",
            "json",
        ],
        settings,
    )

    summaries = json.loads(capsys.readouterr().out)
    assert [s["district_id"] for s in summaries] == ["D1", "D2"]
    assert "details" not in summaries[0]
    assert summaries[1]["schools"][0]["levels"]["graduation"] == 7
    assert summaries[1]["schools"][0]["overall_score"] == "70.00"


def test_index_summary_json_with_details(data, settings, capsys):
    _run(
        [
            "index",
            "summary",
            "--spec",
            "core-sqii@2015-16",
            "--data",
            str(data),
            "--format",
            "json",
            "--district",
            "D2",
            "--details",
        ],
        settings,
    )

    [summary] = json.loads(capsys.readouterr().out)
    assert summary["details"][0]["school_id"] == "S2"


def test_index_summary_unknown_district_or_spec(data, settings):
    with pytest.raises(NotFound, match="no schools of district D7"):
        _run(
            [
                "index",
                "summary",
                "--spec",
                "core-sqii@2015-16",
                "--data",
                str(data),
                "--district",
                "D7",
            ],
            settings,
        )
    with pytest.raises(NotFound, match="no index spec core-sqii@2020-21"):
        _run(["index", "summary", "--spec", "core-sqii@2020-21", "--data", str(data)], settings)


def test_index_summary_year_missing_from_data(data, settings):
    with pytest.raises(InvalidInput, match=r"no results for 2016-17 \(years in the data: 2015-16"):
        _run(["index", "summary", "--spec", "core-sqii@2016-17", "--data", str(data)], settings)


def test_index_import_stores_every_row(data, settings, capsys):
    db = _add_cycle(settings)

    code = _run([*IMPORT, "2015-16", "--data", str(data)], settings)

    assert code == 0
    assert capsys.readouterr().out == (
        "results.csv into cycle 2015-16: 3 row(s) added, 0 changed, 0 removed "
        "(replacing 2 district-year(s); 0 other row(s) kept)\n"
        "  District  Year     Added  Changed  Removed  Unchanged\n"
        "  --------  -------  -----  -------  -------  ---------\n"
        "  D1        2015-16      2        0        0          0\n"
        "  D2        2015-16      1        0        0          0\n"
        "imported 3 rows for 2 schools in 2 districts, years 2015-16, into cycle 2015-16 "
        "(index spec core-sqii@2015-16)\n"
        "schools in 2015-16, as each district's context shows them:\n"
        "  D1           1 schools; priority 1, focus 0, reward 0\n"
        "  D2           1 schools; priority 0, focus 0, reward 0\n"
    )
    assert len(load_results(db, "2015-16")) == 3
    with db.reading() as session:
        coordinator_id = session.scalar(select(User.id).where(User.email == COORDINATOR))
        cycle_id = session.scalar(select(Cycle.id))
        imported = [
            (e.user_id, e.entity, e.entity_id, e.after)
            for e in events(session)
            if e.action == "import index results"
        ]
    assert imported == [
        (
            coordinator_id,
            "cycle",
            str(cycle_id),
            {
                "file": "results.csv",
                "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
                "rows": 3,
                "replace_cycle": False,
                "added": 3,
                "changed": 0,
                "removed": 0,
                "kept": 0,
                "districts_years": [
                    {
                        "district_id": "D1",
                        "year": "2015-16",
                        "added": 2,
                        "changed": 0,
                        "removed": 0,
                        "unchanged": 0,
                    },
                    {
                        "district_id": "D2",
                        "year": "2015-16",
                        "added": 1,
                        "changed": 0,
                        "removed": 0,
                        "unchanged": 0,
                    },
                ],
            },
        )
    ]
    db.dispose()


@pytest.mark.parametrize(
    ("account", "message"),
    [
        ("board@core.example", "Board may not set up cycles, districts, triads and users."),
        ("nobody@x.example", "--as nobody@x.example: there is no account with that e-mail"),
        (
            "gone@core.example",
            "--as gone@core.example: this account is disabled; ask your coordinator",
        ),
    ],
)
def test_index_import_refuses_an_account_that_may_not_import(data, settings, account, message):
    db = _add_cycle(settings)
    with db.session() as session:
        session.add(User(email="board@core.example", name="Board", roles=["observer"]))
        session.add(
            User(email="gone@core.example", name="Gone", roles=["coordinator"], active=False)
        )

    with pytest.raises(PermissionDenied) as refused:
        _run(
            ["index", "import", "--as", account, "--cycle", "2015-16", "--data", str(data)],
            settings,
        )

    assert str(refused.value) == message
    with pytest.raises(NotFound):
        load_results(db, "2015-16")
    db.dispose()


def test_index_import_without_as_is_refused_by_the_parser(data, settings):
    with pytest.raises(SystemExit):
        _run(["index", "import", "--cycle", "2015-16", "--data", str(data)], settings)


def test_index_import_names_the_cycles_districts_it_has_no_schools_for(data, settings, capsys):
    db = _add_cycle(settings)
    with db.session() as s:
        cycle = s.scalar(select(Cycle))
        triad = Triad(cycle_id=cycle.id, name="North")
        s.add(triad)
        for code in ("D1", "D8", "D9"):
            district = District(code=code, name=f"District {code}", enrollment=100)
            s.add(district)
            s.flush()
            s.add(Participation(cycle_id=cycle.id, district_id=district.id, triad_id=triad.id))

    _run([*IMPORT, "2015-16", "--data", str(data)], settings)

    assert capsys.readouterr().out.splitlines()[-1] == (
        "districts of the cycle with no schools in 2015-16: D8, D9"
    )
    db.dispose()


def test_index_import_bad_file_stores_nothing(data, settings):
    db = _add_cycle(settings)
    _run([*IMPORT, "2015-16", "--data", str(data)], settings)
    data.write_text("\n".join([*LINES, LINES[1]]) + "\n")

    with pytest.raises(InvalidInput) as refused:
        _run([*IMPORT, "2015-16", "--data", str(data)], settings)

    assert str(refused.value) == (
        f"{data}: 1 problem, nothing was imported: row 5: duplicate: the same school_id, year, "
        "metric and group as row 2"
    )
    assert not (data.parent / "results.csv.problems.csv").exists()  # one problem: the line says it

    assert len(load_results(db, "2015-16")) == 3
    db.dispose()


def test_index_import_data_without_the_specs_year_refused(data, settings):
    db = _add_cycle(settings, spec="core-sqii@2016-17")

    with pytest.raises(InvalidInput, match="no results for 2016-17, the school year of core-sqii"):
        _run([*IMPORT, "2015-16", "--data", str(data)], settings)

    with pytest.raises(NotFound):
        load_results(db, "2015-16")
    db.dispose()


def test_index_import_unknown_cycle(data, settings):
    _add_cycle(settings).dispose()

    with pytest.raises(NotFound, match=r"no cycle '2016-17' \(cycles: 2015-16\)"):
        _run([*IMPORT, "2016-17", "--data", str(data)], settings)


def test_index_specs_lists_versions(settings, capsys):
    _run(["index", "specs"], settings)

    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["core-sqii@2015-16", "published"],
        ["core-sqii@2016-17.1", "published"],
        ["core-sqii@2016-17", "published"],
        ["core-sqii-5x20@2016-17", "published"],
    ]


def test_index_publish_is_idempotent_for_a_published_spec(settings, capsys):
    _add_coordinator(settings).dispose()
    before = (settings.index_specs_dir / "published.json").read_text()

    _run(["index", "publish", "core-sqii@2016-17", "--as", COORDINATOR], settings)

    assert capsys.readouterr().out.startswith("published core-sqii@2016-17 sha256 6af1e465")
    assert (settings.index_specs_dir / "published.json").read_text() == before
