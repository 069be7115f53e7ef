import hashlib
import io
import random
import re
import time
import zipfile
from collections import Counter
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy import select

from review import evidence, ratings
from review.access import Phase
from review.cli import main
from review.db import AuditEvent
from review.errors import InvalidInput, PermissionDenied
from review.offline import selfeval
from review.offline.selfeval import Status
from review.offline.workbook import read_workbook
from review.problems import FileProblems
from review.ratings import RatingInput

AT = datetime(2016, 3, 1, 9, 30, tzinfo=UTC)
PDF = b"%PDF-1.4\n%synthetic\n"
# Columns of the tiny rubric's Items sheet: 3 fixed, 4 descriptors, then these.
LEVEL, NARRATIVE, EVIDENCE, VERSION = "H", "I", "J", "K"


def _save(world, item, level, narrative, version, code="A", **extra):
    with world.db.session() as s:
        return ratings.save_self_rating(
            s,
            world.leads[code],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id(code),
            item_id=item,
            data=RatingInput(level=level, narrative=narrative, **extra),
            expected_version=version,
        ).row_version


def _export(world, code="A"):
    with world.db.reading() as s:
        return selfeval.export_workbook(
            s, world.leads[code], world.cycle(s), world.rubric, world.district_id(code), now=AT
        )


def _edit(data, edits, sheet="Items"):
    book = openpyxl.load_workbook(io.BytesIO(data))
    for cell, value in edits.items():
        book[sheet][cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _preview(world, data, code="A", name="filled.xlsx"):
    workbook = read_workbook(data, name)
    with world.db.reading() as s:
        return selfeval.preview_import(
            s, world.leads[code], world.cycle(s), world.rubric, world.district_id(code), workbook
        )


def _apply(world, data, code="A", name="filled.xlsx"):
    workbook = read_workbook(data, name)
    with world.db.session() as s:
        return selfeval.apply_import(
            s, world.leads[code], world.cycle(s), world.rubric, world.district_id(code), workbook
        )


def _saved(world, code="A"):
    with world.db.reading() as s:
        rows = ratings.ratings_of(s, world.cycle(s), world.district_id(code))
        return {
            r.item_id: (r.level, r.not_applicable, r.narrative, r.row_version, r.context_values)
            for r in rows
        }


def test_export_writes_items_descriptors_drop_down_evidence_and_hidden_metadata(world):
    _save(world, "ENGAGE", 2, "We met parents.", None, context_values={"parents_reached": 40})
    with world.db.session() as s:
        evidence.add_evidence(
            s,
            world.settings,
            world.leads["A"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            file_name="agenda.pdf",
            data=PDF,
            description="agenda",
            items=("ENGAGE",),
        )
    name, data = _export(world)
    assert name == "self-evaluation-A-2015-16-20160301-0930.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    items, about = book["Items"], book["About"]
    assert [c.value for c in items[1]] == [
        "Item",
        "Title",
        "Prompt",
        "1 Not started",
        "2 Beginning",
        "3 Implementing",
        "4 Exemplary",
        "Level",
        "Narrative",
        "Evidence linked",
        "Saved version",
        "Check",
    ]
    assert [c.value for c in items[2]][:11] == [
        "ENGAGE",
        "Stakeholder engagement",
        "How did the district engage stakeholders?",
        "did not attempt",
        "occasional",
        "regular",
        "regular and meaningful",
        "2 Beginning",
        "We met parents.",
        "agenda.pdf",
        1,
    ]
    assert [c.value for c in items["A"]] == ["Item", "ENGAGE", "PDSA", "EXTRA"]
    assert items["C3"].value == "Did schools complete 3 PDSA cycles?"
    assert (items["H3"].value, items["K3"].value) == (None, None)
    with world.db.reading() as s:
        rubric_hash = world.cycle(s).rubric_hash
    assert [(c.value, about[f"B{c.row}"].value) for c in about["A"]] == [
        ("Workbook", "self-evaluation"),
        ("Format", "1"),
        ("District", "A"),
        ("Cycle", "2015-16"),
        ("Rubric", "tiny@v1"),
        ("Rubric hash", rubric_hash),
        ("Exported at", "2016-03-01T09:30:00+00:00"),
    ]
    assert [c.value for c in about["D"]][:6] == [
        "Level choices",
        "1 Not started",
        "2 Beginning",
        "3 Implementing",
        "4 Exemplary",
        "Not applicable",
    ]
    assert about.sheet_state == "hidden"
    assert about.protection.sheet and items.protection.sheet
    assert (items["H2"].protection.locked, items["I2"].protection.locked) == (False, False)
    assert items["A2"].protection.locked and items["K2"].protection.locked
    assert items.column_dimensions["L"].hidden
    (validation,) = items.data_validations.dataValidation
    assert (validation.type, validation.formula1, str(validation.sqref)) == (
        "list",
        "About!$D$2:$D$6",
        "H2:H4",
    )


def test_unedited_workbook_changes_nothing(world):
    _save(world, "ENGAGE", 2, "line one\r\nline two \x07", None)
    _, data = _export(world)
    preview = _preview(world, data)
    assert [(i.item_id, i.status) for i in preview.items] == [
        ("ENGAGE", Status.UNCHANGED),
        ("PDSA", Status.UNCHANGED),
        ("EXTRA", Status.UNCHANGED),
    ]


def test_edited_workbook_changes_exactly_the_edited_items(world):
    _save(world, "ENGAGE", 2, "We met parents.", None, context_values={"parents_reached": 40})
    _save(world, "EXTRA", 1, "a note", None)
    _, data = _export(world)
    filled = _edit(
        data,
        {"H2": "3 Implementing", "H3": "Not applicable", "I3": "=not a formula, text", "H4": 4},
    )
    # "I3" was set through openpyxl as a formula; typed text is written as a string:
    book = openpyxl.load_workbook(io.BytesIO(filled))
    book["Items"]["I3"].data_type = "s"
    out = io.BytesIO()
    book.save(out)
    filled = out.getvalue()

    preview = _preview(world, filled)
    assert [
        (i.item_id, i.status, i.old_level, i.new_level, i.old_narrative, i.new_narrative)
        for i in preview.items
    ] == [
        (
            "ENGAGE",
            Status.CHANGE,
            "2 Beginning",
            "3 Implementing",
            "We met parents.",
            "We met parents.",
        ),
        ("PDSA", Status.CHANGE, "Not rated", "Not applicable", "", "=not a formula, text"),
        ("EXTRA", Status.CHANGE, "1 Not started", "4 Exemplary", "a note", "a note"),
    ]
    assert _saved(world)["ENGAGE"][3] == 1  # a preview writes nothing

    done = _apply(world, filled)
    assert done.summary() == (
        "filled.xlsx: district A, cycle 2015-16: 3 items saved, 0 refused "
        "(saved by someone else since the download), 0 unchanged"
    )
    assert _saved(world) == {
        "ENGAGE": (3, False, "We met parents.", 2, {"parents_reached": 40}),
        "EXTRA": (4, False, "a note", 2, {}),
        "PDSA": (None, True, "=not a formula, text", 1, {}),
    }
    with world.db.reading() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "import offline self-evaluation")
        ).one()
        saves = s.scalars(select(AuditEvent).where(AuditEvent.action == "save self rating"))
        assert len(list(saves)) == 2 + 3
    assert event.user_id == world.leads["A"].user_id
    assert event.after == {
        "file": "filled.xlsx",
        "sha256": hashlib.sha256(filled).hexdigest(),
        "exported_at": "2016-03-01T09:30:00+00:00",
        "saved": ["ENGAGE", "PDSA", "EXTRA"],
        "refused": [],
    }


def test_item_saved_since_the_download_is_refused_with_their_text_and_the_rest_saved(world):
    _save(world, "ENGAGE", 2, "first draft", None)
    _, data = _export(world)
    _save(world, "ENGAGE", 4, "their newer text", 1)  # someone else, on the page
    _save(world, "EXTRA", 2, "saved online", None)  # not edited in the workbook: kept
    filled = _edit(data, {"H2": "1 Not started", "I2": "my offline text", "H3": "2 Beginning"})

    preview = _preview(world, filled)
    assert [(i.item_id, i.status) for i in preview.items] == [
        ("ENGAGE", Status.REFUSED),
        ("PDSA", Status.CHANGE),
        ("EXTRA", Status.UNCHANGED),
    ]
    assert preview.items[0].theirs["narrative"] == "their newer text"

    done = _apply(world, filled)
    assert [(i.item_id, i.status) for i in done.items] == [
        ("ENGAGE", Status.REFUSED),
        ("PDSA", Status.CHANGE),
        ("EXTRA", Status.UNCHANGED),
    ]
    assert (done.items[0].theirs["level"], done.items[0].theirs["narrative"]) == (
        4,
        "their newer text",
    )
    assert _saved(world) == {
        "ENGAGE": (4, False, "their newer text", 2, {}),
        "EXTRA": (2, False, "saved online", 1, {}),
        "PDSA": (2, False, "", 1, {}),
    }


def test_item_saved_between_preview_and_apply_is_refused_not_overwritten(world):
    _, data = _export(world)
    filled = _edit(data, {"H2": "3 Implementing", "I2": "offline"})
    assert _preview(world, filled).items[0].status == Status.CHANGE
    _save(world, "ENGAGE", 1, "saved in the meantime", None)
    done = _apply(world, filled)
    assert done.items[0].status == Status.REFUSED
    assert done.items[0].theirs["narrative"] == "saved in the meantime"
    assert _saved(world)["ENGAGE"][:4] == (1, False, "saved in the meantime", 1)


def test_edit_equal_to_what_is_saved_is_not_a_conflict(world):
    _, data = _export(world)
    _save(world, "ENGAGE", 3, "same words", None)
    filled = _edit(data, {"H2": "3 Implementing", "I2": "same words"})
    assert _apply(world, filled).items[0].status == Status.SAME
    assert _saved(world)["ENGAGE"][3] == 1


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (
            {"I2": '=HYPERLINK("http://x")'},
            "filled.xlsx, sheet Items: 1 problem, nothing was saved: row 2, column Narrative: "
            'a formula (=HYPERLINK("http://x")): type the value',
        ),
        (
            {"H2": "5 Perfect", "H4": "Not applicable", "A5": "NOPE"},
            "filled.xlsx, sheet Items: 3 problems, nothing was saved; the first: row 2, column "
            "Level: '5 Perfect' is not a level: choose one of 1 Not started, 2 Beginning, "
            "3 Implementing, 4 Exemplary, or leave it empty",
        ),
        (
            {"K2": "latest"},
            "filled.xlsx, sheet Items: 1 problem, nothing was saved: row 2, column Saved "
            "version: 'latest' is not a version: leave this column as it was",
        ),
    ],
)
def test_hostile_cells_are_refused_with_row_and_column(world, edits, message):
    _, data = _export(world)
    with pytest.raises(FileProblems) as caught:
        _preview(world, _edit(data, edits))
    assert str(caught.value) == message
    assert _saved(world) == {}


def test_merged_cells_are_refused(world):
    _, data = _export(world)
    book = openpyxl.load_workbook(io.BytesIO(data))
    book["Items"].merge_cells("H2:I3")
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(FileProblems, match=r"row 2, column H2:I3: merged cells: unmerge them"):
        read_workbook(out.getvalue(), "filled.xlsx")


def test_missing_sheet_is_refused_naming_it(world):
    _, data = _export(world)
    book = openpyxl.load_workbook(io.BytesIO(data))
    del book["About"]
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(InvalidInput) as caught:
        read_workbook(out.getvalue(), "filled.xlsx")
    assert str(caught.value) == (
        "filled.xlsx has no sheet 'About' (it has: Items): upload the workbook downloaded from "
        "the self-evaluation page, with its sheets as they were"
    )


def test_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(InvalidInput, match=r"^notes\.xlsx is not an XLSX workbook; nothing"):
        read_workbook(b"\x1b[31mnot a zip", "notes.xlsx")


def _with_rows(data, rows):
    """The workbook with `rows` (sheet XML) added to the Items sheet, past what openpyxl or
    Excel would write (a million rows, a cell longer than Excel's 32,767 characters)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
                body = re.sub(rb'<dimension ref="[^"]*"/>', b"", body)
            target.writestr(info, body)
    return out.getvalue()


def _text_cell(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def test_cell_of_100000_characters_is_refused_with_row_and_column(world):
    _, data = _export(world)
    long = _with_rows(
        data, f'<row r="5">{_text_cell("A5", "EXTRA")}{_text_cell("I5", "x" * 100_000)}</row>'
    )
    with pytest.raises(FileProblems) as caught:
        read_workbook(long, "long.xlsx")
    assert str(caught.value) == (
        "long.xlsx, sheet Items: 1 problem, nothing was saved: row 5, column Narrative: "
        "has 100,000 characters; at most 20,000 fit"
    )


def test_workbook_of_a_million_rows_is_refused_at_the_first_row_past_the_limit(world):
    _, data = _export(world)
    huge = _with_rows(
        data, "".join(f'<row r="{r}">{_text_cell(f"A{r}", "X")}</row>' for r in range(5, 1_000_005))
    )
    started = time.perf_counter()
    with pytest.raises(FileProblems) as caught:
        read_workbook(huge, "huge.xlsx")
    assert str(caught.value) == (
        "huge.xlsx, sheet Items: 1 problem, nothing was saved: row 1002: more than 1,000 rows of "
        "data: an offline workbook may hold no more"
    )
    assert time.perf_counter() - started < 10  # it stops reading there


@pytest.mark.parametrize(
    ("cell", "value", "message"),
    [
        (
            "B3",
            "B",
            "filled.xlsx is the self-evaluation of district B, not of A; download A's own "
            "workbook. Nothing was saved.",
        ),
        (
            "B4",
            "2016-17",
            "filled.xlsx is from cycle 2016-17, not 2015-16; download this cycle's workbook. "
            "Nothing was saved.",
        ),
        ("B5", "tiny@v2", "filled.xlsx was written for rubric tiny@v2 ("),
        ("B6", "0" * 64, "filled.xlsx was written for rubric tiny@v1 (000000000000…)"),
        ("B2", "7", "filled.xlsx: its About sheet does not say whose workbook it is (Format"),
    ],
)
def test_workbook_of_another_district_cycle_or_rubric_version_is_refused(
    world, cell, value, message
):
    _, data = _export(world)
    filled = _edit(_edit(data, {"H2": "3 Implementing"}), {cell: value}, sheet="About")
    with pytest.raises(InvalidInput) as caught:
        _preview(world, filled)
    assert str(caught.value).startswith(message)
    assert _saved(world) == {}


def test_another_districts_editor_may_not_import_into_it(world):
    _, data = _export(world)
    workbook = read_workbook(data, "a.xlsx")
    with world.db.reading() as s, pytest.raises(PermissionDenied):
        selfeval.preview_import(
            s, world.leads["B"], world.cycle(s), world.rubric, world.district_id("A"), workbook
        )


def test_district_b_importing_district_as_workbook_is_told_whose_it_is(world):
    _, data = _export(world, "A")
    with pytest.raises(InvalidInput, match="is the self-evaluation of district A, not of B"):
        _preview(world, data, code="B")


def test_submitted_self_evaluation_refuses_an_upload(world):
    _, data = _export(world)
    from review.cycles import participation, set_phase

    with world.db.session() as s:
        part = participation(s, world.cycle(s), world.district_id("A"))
        set_phase(s, world.coordinator, part, Phase.SELF_SUBMITTED)
    with pytest.raises(InvalidInput, match="is submitted and can no longer change"):
        _preview(world, _edit(data, {"H2": "3 Implementing"}))


def test_command_line_exports_then_previews_then_applies(cli, tmp_path, capsys):
    _save(cli, "ENGAGE", 2, "first", None)
    target = tmp_path / "a.xlsx"
    args = ["selfeval", "export", "--cycle", "2015-16", "--district", "A", "--xlsx", str(target)]
    assert main([*args, "--as", "lead@a.example"]) == 0
    assert capsys.readouterr().out == (
        f"wrote {target}: self-evaluation of A in cycle 2015-16, 3 items (rubric tiny@v1)\n"
    )
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    target.write_bytes(_edit(target.read_bytes(), {"H2": "3 Implementing", "I3": "new"}))
    _save(cli, "PDSA", 1, "theirs", None)

    assert main(["selfeval", "import", str(target), "--as", "lead@a.example"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "a.xlsx: district A, cycle 2015-16: 1 item to save, 1 refused (saved by someone else "
        "since the download), 1 unchanged",
        "  ENGAGE       will change: level 2 Beginning -> 3 Implementing",
        "  PDSA         refused: saved by someone else since the download: level 1 Not started "
        "-> Not rated; narrative 'theirs' -> 'new'; their version 1: level 1, narrative 'theirs'",
        "dry run: nothing was saved; run again with --apply to save the changes",
    ]
    assert _saved(cli)["ENGAGE"][:4] == (2, False, "first", 1)

    assert main(["selfeval", "import", str(target), "--as", "lead@a.example", "--apply"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "a.xlsx: district A, cycle 2015-16: 1 item saved, 1 refused (saved by someone else "
        "since the download), 1 unchanged"
    )
    assert _saved(cli) == {
        "ENGAGE": (3, False, "first", 2, {}),
        "PDSA": (1, False, "theirs", 1, {}),
    }


def test_command_line_import_of_another_districts_workbook_is_one_line(cli, tmp_path, capsys):
    target = tmp_path / "a.xlsx"
    args = ["selfeval", "export", "--cycle", "2015-16", "--district", "A", "--xlsx", str(target)]
    assert main([*args, "--as", "lead@a.example"]) == 0
    capsys.readouterr()
    assert main(["selfeval", "import", str(target), "--as", "lead@b.example", "--apply"]) == 2
    assert capsys.readouterr().err == (
        "error: a.xlsx is the self-evaluation of district A, not of B; download B's own "
        "workbook. Nothing was saved.\n"
    )


def test_command_line_lists_every_problem_beside_the_file(cli, tmp_path, capsys):
    target = tmp_path / "a.xlsx"
    args = ["selfeval", "export", "--cycle", "2015-16", "--district", "A", "--xlsx", str(target)]
    assert main([*args, "--as", "lead@a.example"]) == 0
    capsys.readouterr()
    target.write_bytes(_edit(target.read_bytes(), {"I2": "=1+1", "I3": "=2+2"}))
    assert main(["selfeval", "import", str(target), "--as", "lead@a.example"]) == 2
    listed = tmp_path / "a.xlsx.problems.csv"
    assert capsys.readouterr().err == (
        "error: a.xlsx, sheet Items: 2 problems, nothing was saved; the first: row 2, column "
        f"Narrative: a formula (=1+1): type the value (all 2 listed in {listed})\n"
    )
    assert listed.read_text(encoding="utf-8-sig").splitlines() == [
        "row,column,problem",
        "2,Narrative,a formula (=1+1): type the value",
        "3,Narrative,a formula (=2+2): type the value",
    ]


def test_small_file_that_unpacks_past_the_limit_is_refused_before_parsing():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/sharedStrings.xml", b"\0" * 101_000_000)
    assert len(out.getvalue()) < 1_000_000
    with pytest.raises(InvalidInput) as caught:
        read_workbook(out.getvalue(), "bomb.xlsx")
    assert str(caught.value) == (
        "bomb.xlsx unpacks to 101 MB, more than the 100 MB an offline workbook may; "
        "nothing was saved"
    )


def test_a_damaged_workbook_is_refused_with_a_message_never_an_exception(world):
    """Bytes changed in transit: every damaged copy is read or refused as a ReviewError."""
    _, data = _export(world)
    chance = random.Random(14)
    outcomes = Counter()
    for _ in range(300):
        damaged = bytearray(data)
        for _ in range(chance.randint(1, 4)):
            damaged[chance.randrange(len(damaged))] = chance.randrange(256)
        try:
            read_workbook(bytes(damaged), "filled.xlsx")
            outcomes["read"] += 1
        except (InvalidInput, FileProblems) as refused:
            assert "filled.xlsx" in str(refused)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 100  # the damage was real: most copies are refused
