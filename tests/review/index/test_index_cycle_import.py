"""An index import shows what it will add, change and remove, then applies exactly that."""

import argparse
import csv
import hashlib
import shutil
from datetime import UTC, datetime

import pandas as pd
import pytest
from index_helpers import HEADER, SPECS
from sqlalchemy import func, select

from review.audit import events
from review.db import Cycle, Database, IndexResult, User
from review.errors import ConflictError, InvalidInput
from review.index.catalogue import SpecCatalogue
from review.index.cli import register
from review.index.cycle_import import DistrictYearChange, apply_import, preview_import
from review.index.importer import ImportProblems, parse_results_file, read_results_file
from review.index.store import find_cycle, load_results, save_results
from review.limits import FileLimits
from review.settings import Settings

COORDINATOR = "coord@core.example"
CATALOGUE = SpecCatalogue(SPECS)
YEARS = ("2014-15", "2015-16")
METRICS = ("academic_performance", "chronic_absence")


def _line(school, district, year, metric, value, *, name=None, n=120, kind="elementary"):
    return (
        f"{school},{name or f'School {school}'},{district},{kind},{year},{metric},all,{n},{value}"
    )


def _network_lines():
    """Three districts, two schools each, two years, two metrics: 24 rows."""
    lines = []
    for d in ("D1", "D2", "D3"):
        for s in (1, 2):
            for year in YEARS:
                for k, metric in enumerate(METRICS):
                    lines.append(_line(f"{d}S{s}", d, year, metric, 40 + s + k))
    return lines


def _frame(lines):
    return parse_results_file(("\n".join([HEADER, *lines]) + "\n").encode(), file_name="x.csv")


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    with database.session() as session:
        session.add(User(email=COORDINATOR, name="Coordinator", roles=["coordinator"]))
        session.add(
            Cycle(
                name="2015-16",
                rubric_id="core-p2",
                rubric_version="2015-16",
                rubric_hash="0" * 64,
                index_spec="core-sqii@2015-16",
                settings={},
                deadlines={},
                released=False,
                created_at=datetime.now(UTC),
            )
        )
    save_results(database, "2015-16", _frame(_network_lines()).frame, specs=CATALOGUE)
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path, database_url):
    specs = tmp_path / "index_specs"
    shutil.copytree(SPECS, specs)
    return Settings.from_env({}, database_url=database_url, index_specs_dir=specs)


def _actor(session):
    from review.accounts import actor_for

    return actor_for(session.scalar(select(User).where(User.email == COORDINATOR)))


def _preview(db, file):
    with db.reading() as session:
        cycle = find_cycle(session, "2015-16")
        return preview_import(
            session, _actor(session), cycle, file, replace_cycle=False, specs=CATALOGUE
        )


def _apply(session, file, shown):
    cycle = find_cycle(session, "2015-16")
    return apply_import(
        session, _actor(session), cycle, file, replace_cycle=False, specs=CATALOGUE, expected=shown
    )


def _d2_file(tmp_path):
    """District D2's 2015-16 results, corrected: one value changed, one row dropped, one added."""
    lines = [
        _line("D2S1", "D2", "2015-16", "academic_performance", 41),  # unchanged
        _line("D2S1", "D2", "2015-16", "chronic_absence", 55),  # changed (was 42)
        _line("D2S2", "D2", "2015-16", "academic_performance", 42),  # unchanged
        # D2S2 chronic_absence dropped: removed
        _line("D2S3", "D2", "2015-16", "academic_performance", 30),  # a new school: added
    ]
    path = tmp_path / "d2.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def _stored(db):
    frame = load_results(db, "2015-16")
    return frame.astype({c: str for c in frame.columns if c not in ("n", "value")})


def _by_district_year(frame):
    return frame.groupby(["district_id", "year"]).size().to_dict()


def _state(db):
    with db.reading() as session:
        rows = session.scalar(select(func.count()).select_from(IndexResult))
        imports = session.scalar(select(Cycle.index_imports))
        audited = [e.action for e in events(session)]
    return rows, imports, audited


def _run(argv, settings):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args, settings)


def _import(settings, path, *extra):
    argv = ["index", "import", "--as", COORDINATOR, "--cycle", "2015-16", "--data", str(path)]
    return _run([*argv, *extra], settings)


def test_one_district_import_leaves_the_other_districts_untouched(db, settings, tmp_path):
    before = _stored(db)

    _import(settings, _d2_file(tmp_path), "--apply")

    after = _stored(db)
    assert _by_district_year(before) == {(d, y): 4 for d in ("D1", "D2", "D3") for y in YEARS}
    assert _by_district_year(after) == {
        **{(d, y): 4 for d in ("D1", "D3") for y in YEARS},
        ("D2", "2014-15"): 4,  # a year the file does not have: kept
        ("D2", "2015-16"): 4,
    }
    others = before["district_id"] != "D2"
    kept = after[after["district_id"] != "D2"].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, before[others].reset_index(drop=True))
    d2 = after[(after["district_id"] == "D2") & (after["year"] == "2015-16")]
    assert sorted(zip(d2["school_id"], d2["metric"], d2["value"], strict=True)) == [
        ("D2S1", "academic_performance", 41.0),
        ("D2S1", "chronic_absence", 55.0),
        ("D2S2", "academic_performance", 42.0),
        ("D2S3", "academic_performance", 30.0),
    ]


def test_dry_run_prints_the_preview_and_changes_nothing(db, settings, tmp_path, capsys):
    before_rows, before_frame = _state(db), _stored(db)

    assert _import(settings, _d2_file(tmp_path)) == 0

    assert capsys.readouterr().out == (
        "d2.csv into cycle 2015-16: 1 row(s) added, 1 changed, 1 removed "
        "(replacing 1 district-year(s); 20 other row(s) kept)\n"
        "  District  Year     Added  Changed  Removed  Unchanged\n"
        "  --------  -------  -----  -------  -------  ---------\n"
        "  D2        2015-16      1        1        1          2\n"
        "dry run: nothing was changed; run again with --apply to import the file\n"
    )
    assert _state(db) == before_rows == (24, 1, [])
    pd.testing.assert_frame_equal(_stored(db), before_frame)


def test_apply_applies_exactly_the_preview(db, settings, tmp_path, capsys):
    path = _d2_file(tmp_path)
    _import(settings, path)
    dry = capsys.readouterr().out.splitlines()

    _import(settings, path, "--apply")
    applied = capsys.readouterr().out.splitlines()

    assert applied[: len(dry) - 1] == dry[:-1]  # the same preview, then the import's report
    assert applied[len(dry) - 1].startswith("imported 4 rows for 3 schools in 1 districts")
    assert _state(db)[:2] == (24 - 1 + 1, 2)
    # Nothing left to change: the same file again adds, changes and removes nothing.
    again = _preview(db, read_results_file(path))
    assert again.changes == (
        DistrictYearChange(
            district_id="D2", year="2015-16", added=0, changed=0, removed=0, unchanged=4
        ),
    )


def test_import_is_audited_with_the_actor_file_digest_and_counts(db, settings, tmp_path):
    path = _d2_file(tmp_path)

    _import(settings, path, "--apply")

    with db.reading() as session:
        coordinator = session.scalar(select(User.id).where(User.email == COORDINATOR))
        cycle_id = session.scalar(select(Cycle.id))
        audited = [(e.user_id, e.action, e.entity, e.entity_id, e.after) for e in events(session)]
    assert audited == [
        (
            coordinator,
            "import index results",
            "cycle",
            str(cycle_id),
            {
                "file": "d2.csv",
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "rows": 4,
                "replace_cycle": False,
                "added": 1,
                "changed": 1,
                "removed": 1,
                "kept": 20,
                "districts_years": [
                    {
                        "district_id": "D2",
                        "year": "2015-16",
                        "added": 1,
                        "changed": 1,
                        "removed": 1,
                        "unchanged": 2,
                    }
                ],
            },
        )
    ]


def test_replace_cycle_removes_the_districts_and_years_the_file_lacks(db, settings, tmp_path):
    _import(settings, _d2_file(tmp_path), "--apply", "--replace-cycle")

    assert _by_district_year(_stored(db)) == {("D2", "2015-16"): 4}
    with db.reading() as session:
        after = [e.after for e in events(session)][0]
    assert (after["added"], after["changed"], after["removed"], after["kept"]) == (1, 1, 21, 0)


def test_a_school_the_kept_results_place_elsewhere_is_refused_with_its_row(db, settings, tmp_path):
    path = tmp_path / "moved.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                _line("D2S9", "D2", "2015-16", "academic_performance", 50),
                _line("D1S1", "D2", "2015-16", "academic_performance", 50),  # D1's school
            ]
        )
        + "\n"
    )

    with pytest.raises(InvalidInput) as refused:
        _import(settings, path, "--apply")

    assert str(refused.value) == (
        "moved.csv: 1 problem, nothing was imported: row 3, column district_id: school D1S1 is "
        "in district 'D1' in the cycle's 2014-15 results, which this file does not replace: "
        "include that district and year in the file, or replace the whole cycle"
    )
    assert _state(db) == (24, 1, [])


def test_apply_refuses_a_preview_made_before_another_import(db, tmp_path):
    file = read_results_file(_d2_file(tmp_path))
    shown = _preview(db, file)
    save_results(db, "2015-16", _frame(_network_lines()).frame, specs=CATALOGUE)  # someone else

    with (
        pytest.raises(ConflictError, match="changed since the preview of d2.csv"),
        db.session() as s,
    ):
        _apply(s, file, shown)

    assert _state(db) == (24, 2, [])


def test_the_preview_confirmed_is_applied_when_nothing_changed_since(db, tmp_path):
    file = read_results_file(_d2_file(tmp_path))
    shown = _preview(db, file)

    with db.session() as s:
        done = _apply(s, file, shown)

    assert done == shown
    assert _state(db) == (24, 2, ["import index results"])


def test_many_problems_one_line_and_every_problem_in_a_csv_beside_the_file(db, settings, tmp_path):
    path = tmp_path / "bad.csv"
    bad = [_line(f"X{i}", "D1", "2015-16", "academic_performance", "high") for i in range(250)]
    path.write_text("\n".join([HEADER, *bad]) + "\n")

    with pytest.raises(InvalidInput) as refused:
        _import(settings, path, "--apply")

    listed = tmp_path / "bad.csv.problems.csv"
    assert str(refused.value) == (
        f"{path}: 250 problems, nothing was imported; the first: row 2, column value: 'high' is "
        f"not a number (all 250 listed in {listed})"
    )
    assert "\n" not in str(refused.value)
    with listed.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["row", "column", "problem"]
    assert rows[1:] == [[str(r), "value", "'high' is not a number"] for r in range(2, 252)]
    assert _state(db) == (24, 1, [])

    path.write_text("\n".join([HEADER, *_network_lines()]) + "\n")
    _import(settings, path)  # a clean run: the old list beside it would mislead, so it goes
    assert not listed.exists()


def test_control_characters_from_the_file_are_shown_escaped(db, settings, tmp_path):
    path = tmp_path / "hostile.csv"
    path.write_bytes(
        HEADER.replace("value", "val\x1b[31mue\x07").encode()
        + b"\n"
        + _line("S1", "D1", "2015-16", "academic_performance", "4\x1b]0;owned\x07").encode()
        + b"\n"
    )

    with pytest.raises(InvalidInput) as refused:
        _import(settings, path)

    message = str(refused.value)
    assert "\x1b" not in message and "\x07" not in message
    assert "row 1, column val\\x1b[31mue\\x07: unknown column" in message
    listed = (tmp_path / "hostile.csv.problems.csv").read_text(encoding="utf-8-sig")
    assert "\x1b" not in listed
    assert "val\\x1b[31mue\\x07" in listed


def test_a_control_character_in_a_cell_is_escaped_in_its_problem(tmp_path):
    path = tmp_path / "cell.csv"
    path.write_text(HEADER + "\n" + _line("S1", "D1", "2015-16", "metric\x1b[2J", 40) + "\n")

    with pytest.raises(ImportProblems) as refused:
        read_results_file(path)

    assert [str(p) for p in refused.value.problems] == [
        "row 2, column metric: unknown metric 'metric\\x1b[2J' (expected one of: "
        "academic_performance, academic_growth, graduation, hs_readiness, el_redesignation, "
        "chronic_absence, suspension_expulsion, sel_skills, culture_climate)"
    ]


def test_a_cell_longer_than_its_column_is_refused_with_row_and_column(tmp_path):
    path = tmp_path / "long.csv"
    name = "A" * 2_000_000
    path.write_text(
        "\n".join(
            [
                HEADER,
                _line("S1", "D1", "2015-16", "academic_performance", 40),
                _line("S2", "D1", "2015-16", "academic_performance", 40, name=name),
            ]
        )
        + "\n"
    )

    with pytest.raises(ImportProblems) as refused:
        read_results_file(path)

    assert [str(p) for p in refused.value.problems] == [
        "row 3, column school_name: 2,000,000 characters, more than the 200 this column holds "
        f"('{'A' * 40}… (2,000,000 characters)')"
    ]
    assert len(str(refused.value)) < 300


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_file_over_the_row_limit_is_refused_at_the_first_row_past_it(tmp_path, suffix):
    limits = FileLimits(kind="index results file", max_bytes=10**9, max_rows=3)
    lines = [_line(f"S{i}", "D1", "2015-16", "academic_performance", 40) for i in range(5)]
    path = tmp_path / f"rows.{suffix}"
    if suffix == "csv":
        path.write_text("\n".join([HEADER, "", *lines]) + "\n")  # a blank line keeps its number
        over = 6
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(HEADER.split(","))
        for line in lines:
            cells = line.split(",")
            sheet.append([*cells[:7], int(cells[7]), float(cells[8])])
        book.save(path)
        over = 5

    with pytest.raises(ImportProblems) as refused:
        read_results_file(path, limits=limits)

    assert [str(p) for p in refused.value.problems] == [
        f"row {over}: more than 3 rows of data: an index results file may hold no more"
    ]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    limits = FileLimits(kind="uploaded index results file", max_bytes=1_000_000, max_rows=10)

    with pytest.raises(InvalidInput) as refused:
        parse_results_file(b"x" * 1_500_000, file_name="big.csv", limits=limits)

    assert str(refused.value) == (
        "big.csv: 1.5 MB is more than the 1 MB an uploaded index results file may be; "
        "nothing was imported"
    )


def test_the_command_line_takes_a_file_of_3_5_million_rows():
    from review.limits import INDEX_FILE, INDEX_UPLOAD, UPLOAD_MB
    from review.settings import PROJECT_ROOT

    assert INDEX_FILE.max_rows >= 3_500_000
    assert INDEX_UPLOAD.max_bytes == UPLOAD_MB * 1_000_000
    config = (PROJECT_ROOT / ".streamlit" / "config.toml").read_text()
    assert f"maxUploadSize = {UPLOAD_MB}\n" in config
