import io
import shutil

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from review.cli import main
from review.db import AuditEvent, Database, RubricVersion, User
from review.rubrics import Catalogue, content_hash, parse_rubric
from review.settings import PROJECT_ROOT


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("REVIEW_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("REVIEW_BCRYPT_ROUNDS", "4")
    root = tmp_path / "rubrics"
    shutil.copytree(PROJECT_ROOT / "rubrics", root)
    monkeypatch.setenv("REVIEW_RUBRICS_DIR", str(root))
    db = Database(f"sqlite:///{tmp_path}/cli.db")
    with db.session() as s:
        s.add(User(email="boss@core.example", name="Boss", roles=["coordinator"], active=True))
    yield tmp_path, db
    db.dispose()


def _edited_workbook(path, text):
    book = load_workbook(path)
    book["Descriptors"]["C3"] = text
    book.save(path)


def _title(tmp):
    return Catalogue(tmp / "rubrics").get_key("core-p2@2015-16").title


def _counts(db):
    with db.reading() as s:
        return (
            s.scalar(select(func.count()).select_from(RubricVersion)),
            s.scalar(select(func.count()).select_from(AuditEvent)),
        )


def test_export_import_dry_run_then_apply(env, capsys):
    tmp, db = env
    workbook = tmp / "next.xlsx"
    assert main(["rubric", "export", "core-p2@2015-16", "--xlsx", str(workbook)]) == 0
    assert capsys.readouterr().out == f"wrote core-p2@2015-16 to {workbook} (16 items)\n"
    _edited_workbook(workbook, "LEA told some stakeholders about the index once.")
    argv = ["rubric", "import", str(workbook), "--version", "core-p2@2016-17"]

    assert main([*argv, "--as", "boss@core.example"]) == 0
    assert capsys.readouterr().out == (
        "core-p2@2015-16 -> core-p2@2016-17: 1 change(s)\n"
        "  descriptor  P2-STAKEHOLDER           level 2 descriptor changed\n"
        "dry run: nothing published; add --apply to publish core-p2@2016-17\n"
    )
    assert _counts(db) == (0, 0)

    assert main([*argv, "--as", "boss@core.example", "--apply"]) == 0
    out = capsys.readouterr().out.splitlines()
    digest = out[-1].split()[-1]
    assert out[-1] == f"published core-p2@2016-17 sha256 {digest}"
    with db.reading() as s:
        row = s.scalars(select(RubricVersion)).one()
        boss = s.scalar(select(User.id).where(User.email == "boss@core.example"))
        events = [(e.user_id, e.action, e.entity_id) for e in s.scalars(select(AuditEvent))]
    assert (row.rubric_id, row.version, row.sha256, row.based_on, row.published_by) == (
        "core-p2",
        "2016-17",
        digest,
        "core-p2@2015-16",
        boss,
    )
    assert events == [(boss, "publish rubric", "core-p2@2016-17")]

    assert main(["rubric", "list"]) == 0
    assert main(["rubric", "diff", "core-p2@2015-16", "core-p2@2016-17"]) == 0
    assert capsys.readouterr().out.splitlines()[4:] == [
        "core-p2@2016-17          published  16 items  " + _title(tmp),
        "core-p2@2015-16 -> core-p2@2016-17: 1 change(s)",
        "  descriptor  P2-STAKEHOLDER           level 2 descriptor changed",
    ]

    again = tmp / "again.yaml"
    assert main(["rubric", "export", "core-p2@2016-17", "--yaml", str(again)]) == 0
    exported = tmp / "core-p2" / "2016-17.yaml"
    exported.parent.mkdir()
    again.rename(exported)
    assert content_hash(parse_rubric(exported)) == digest
    assert parse_rubric(exported).item("P2-STAKEHOLDER").descriptors[2] == (
        "LEA told some stakeholders about the index once."
    )
    # The shipped files are untouched: the new version lives in the database.
    assert [p.name for p in Catalogue(tmp / "rubrics").paths()] == [
        "2014-15.1.yaml",
        "2014-15.yaml",
        "2015-16.1.yaml",
        "2015-16.yaml",
    ]


def test_import_of_an_existing_version_is_refused_and_changes_nothing(env, capsys):
    tmp, db = env
    workbook = tmp / "same.xlsx"
    main(["rubric", "export", "core-p2@2015-16", "--xlsx", str(workbook)])
    capsys.readouterr()

    code = main(
        [
            "rubric",
            "import",
            str(workbook),
            "--version",
            "core-p2@2015-16",
            "--as",
            "boss@core.example",
            "--apply",
        ]
    )

    assert code == 2
    assert capsys.readouterr().err == (
        "error: core-p2@2015-16 is already published, and a published version never changes: "
        "choose a new version name\n"
    )
    assert _counts(db) == (0, 0)


def test_import_with_problems_prints_one_line_and_lists_them_all_beside_the_file(env, capsys):
    tmp, db = env
    workbook = tmp / "bad.xlsx"
    main(["rubric", "export", "core-p2@2015-16", "--xlsx", str(workbook)])
    capsys.readouterr()
    book = load_workbook(workbook)
    book["Items"]["C2"] = "=A1"
    book["Items"].merge_cells("C4:D4")
    book.save(workbook)

    code = main(
        ["rubric", "import", str(workbook), "--version", "core-p2@2016-17"]
        + ["--as", "boss@core.example", "--apply"]
    )

    assert code == 1
    listing = tmp / "bad.xlsx.problems.csv"
    assert capsys.readouterr().err == (
        f"error: {workbook}: 2 problem(s) in the workbook; the first: Items, row 4, column C "
        "(Title): merged cells (C4:D4) are not allowed: unmerge them (1 more); every problem "
        f"is listed in {listing}\n"
    )
    assert listing.read_text().splitlines() == [
        "sheet,row,column,header,problem",
        "Items,4,C,Title,merged cells (C4:D4) are not allowed: unmerge them",
        "Items,2,C,Title,a formula is not allowed; type the value itself",
    ]
    assert _counts(db) == (0, 0)


def test_import_of_a_too_large_file_is_refused_before_it_is_read(env, capsys):
    tmp, _ = env
    big = tmp / "big.xlsx"
    big.write_bytes(b"\0" * 2_000_001)

    code = main(
        ["rubric", "import", str(big), "--version", "core-p2@2016-17", "--as", "boss@core.example"]
    )

    assert code == 2
    assert capsys.readouterr().err == (
        f"error: {big}: the file is 2,000,001 bytes; a rubric workbook may be at most 2,000,000\n"
    )


def test_export_of_an_unknown_version_leaves_no_file(env, capsys):
    tmp, _ = env
    target = tmp / "x.xlsx"

    assert main(["rubric", "export", "core-p2@1999-00", "--xlsx", str(target)]) == 2

    assert capsys.readouterr().err.startswith("error: no rubric core-p2@1999-00 (known: ")
    assert not target.exists()
    assert list(tmp.glob(".x.xlsx.*")) == []


def test_exported_workbook_reads_back_in_openpyxl(env):
    tmp, _ = env
    target = tmp / "x.xlsx"
    main(["rubric", "export", "core-p2@2014-15", "--xlsx", str(target)])

    book = load_workbook(io.BytesIO(target.read_bytes()))

    assert [book["Rubric"].cell(r, 2).value for r in range(2, 6)] == [
        "review-rubric-workbook",
        2,
        "core-p2",
        "2014-15",
    ]
