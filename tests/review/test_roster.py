import hashlib
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from review.audit import events
from review.cycles import save_district
from review.db import District
from review.errors import ConflictError, InvalidInput
from review.limits import DISTRICTS_UPLOAD
from review.problems import FileProblems
from review.roster import (
    DistrictChange,
    DistrictFile,
    DistrictRow,
    apply_districts,
    parse_districts,
    parse_triad_text,
    parse_triads,
    preview_districts,
)


def test_parse_districts_csv_with_bom_and_thousands():
    data = '\ufeffcode,name,enrollment\nALV,Alder Valley,"11,200"\n'.encode()
    assert parse_districts(data, "d.csv") == DistrictFile(
        file_name="d.csv",
        districts=(DistrictRow(code="ALV", name="Alder Valley", enrollment=11200),),
    )
    assert parse_districts(data, "d.csv").note is None


def test_parse_districts_xlsx_numbers_read_as_whole_numbers():
    wb = Workbook()
    ws = wb.active
    ws.append(["Code", "Name", "Enrollment"])
    ws.append(["FHU", "Fairhaven", 612400.0])
    buf = io.BytesIO()
    wb.save(buf)
    assert parse_districts(buf.getvalue(), "d.xlsx").districts == (
        DistrictRow(code="FHU", name="Fairhaven", enrollment=612400),
    )


def test_parse_districts_old_file_with_typed_counts_loads_with_them_ignored():
    """A file made for earlier versions still loads: its counts are ignored, even bad ones,
    and the note says why (they come from the index data now)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Code", "Name", "Enrollment", "School_count", "priority_count", "reward_count"])
    ws.append(["FHU", "Fairhaven", 612400.0, 890, 38, "-1"])
    buf = io.BytesIO()
    wb.save(buf)

    parsed = parse_districts(buf.getvalue(), "old.xlsx")

    assert parsed == DistrictFile(
        file_name="old.xlsx",
        districts=(DistrictRow(code="FHU", name="Fairhaven", enrollment=612400),),
        ignored=("school_count", "priority_count", "reward_count"),
    )
    assert parsed.note == (
        "old.xlsx: column(s) school_count, priority_count, reward_count ignored: a district's "
        "schools and its priority/focus/reward counts now come from each cycle's imported "
        "index data."
    )


def test_parse_districts_reports_every_problem_with_row_and_column():
    data = b"code,name,enrollment\nA,,ten\nA,Again,-5\n"
    with pytest.raises(FileProblems) as err:
        parse_districts(data, "d.csv")
    assert str(err.value) == (
        "d.csv: 4 problems, nothing was saved; the first: row 2, column name: empty"
    )
    assert [str(p) for p in err.value.problems] == [
        "row 2, column name: empty",
        "row 2, column enrollment: 'ten' is not a whole number ≥ 0",
        "row 3, column code: 'A' repeats row 2",
        "row 3, column enrollment: '-5' is not a whole number ≥ 0",
    ]


def test_parse_districts_refuses_a_file_over_the_row_limit_at_the_first_row_past_it():
    rows = "".join(f"D{i},District {i},100\n" for i in range(DISTRICTS_UPLOAD.max_rows + 5))
    with pytest.raises(FileProblems) as err:
        parse_districts(("code,name,enrollment\n" + rows).encode(), "d.csv")
    assert [str(p) for p in err.value.problems] == [
        "row 5002: more than 5,000 rows of data: an uploaded districts file may hold no more"
    ]


def test_parse_districts_cells_longer_than_their_column_and_control_characters():
    data = (
        "code,name,enrollment\n"
        + "X" * 33
        + ",Long code,10\n"
        + "B,"
        + "N" * 201
        + ",10\n"
        + "C,Bell\x07 \x1b[2J,1\x1b0\n"
    ).encode()
    with pytest.raises(FileProblems) as err:
        parse_districts(data, "d\x1b.csv")
    assert str(err.value).startswith("d\\x1b.csv: 3 problems, nothing was saved; the first: ")
    assert [str(p) for p in err.value.problems] == [
        f"row 2, column code: 33 characters, more than the 32 this column holds ('{'X' * 33}')",
        "row 3, column name: 201 characters, more than the 200 this column holds "
        f"('{'N' * 40}… (201 characters)')",
        "row 4, column enrollment: '1\\x1b0' is not a whole number ≥ 0",
    ]


def test_parse_triads_names_long_and_empty_cells():
    data = ("triad,district_code\n" + "T" * 65 + ",ALV\nSouth,\n").encode()
    with pytest.raises(FileProblems) as err:
        parse_triads(data, "t.csv")
    assert [str(p) for p in err.value.problems] == [
        f"row 2, column triad: 65 characters, more than the 64 this column holds ('{'T' * 40}… "
        "(65 characters)')",
        "row 3, column district_code: empty",
    ]


def test_parse_districts_missing_column_names_it():
    with pytest.raises(InvalidInput, match=r"row 1: missing column\(s\) enrollment"):
        parse_districts(b"code,name,school_count\nA,B,1\n", "d.csv")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "d.csv", "d.csv: the file is empty"),
        (b"x", "d.txt", "d.txt: upload a .csv or .xlsx file"),
        (b"not a zip", "d.xlsx", "d.xlsx: not a readable Excel workbook"),
        (b"\xff\xfe\x00bad", "d.csv", "d.csv: not UTF-8 text; save it as CSV UTF-8"),
    ],
)
def test_parse_districts_bad_files(data, name, message):
    with pytest.raises(InvalidInput) as err:
        parse_districts(data, name)
    assert str(err.value) == message


def test_parse_triads_groups_rows_by_triad():
    data = b"triad,district_code\nNorth,ALV\nNorth,CPU\nSouth,BHU\n\nNorth,FHU\n"
    assert parse_triads(data, "t.csv") == {"North": ["ALV", "CPU", "FHU"], "South": ["BHU"]}


def test_parse_triad_text_lines_and_error():
    assert parse_triad_text("North: ALV, CPU,FHU\n\nSouth: BHU, DCU") == {
        "North": ["ALV", "CPU", "FHU"],
        "South": ["BHU", "DCU"],
    }
    with pytest.raises(InvalidInput, match="line 1: write it as `Triad name: CODE, CODE, CODE`"):
        parse_triad_text("North ALV CPU")


def _districts_file(text: str) -> tuple[bytes, DistrictFile]:
    data = text.encode()
    return data, parse_districts(data, "d.csv")


def test_districts_preview_then_apply_saves_exactly_the_changes_and_audits(world):
    data, parsed = _districts_file(
        "code,name,enrollment\nA,District A,11000\nB,District B,1000\nZ,Zed,42\n"
    )
    with world.db.reading() as s:
        preview = preview_districts(s, world.coordinator, parsed, data)

    assert preview.changes == (
        DistrictChange(
            code="B",
            before=DistrictRow(code="B", name="District B", enrollment=50_000),
            after=DistrictRow(code="B", name="District B", enrollment=1000),
        ),
        DistrictChange(
            code="Z", before=None, after=DistrictRow(code="Z", name="Zed", enrollment=42)
        ),
    )
    assert (preview.added, preview.changed, preview.unchanged) == (1, 1, 1)
    with world.db.reading() as s:
        assert s.scalar(select(District).where(District.code == "Z")) is None  # not yet

    with world.db.session() as s:
        apply_districts(s, world.coordinator, parsed, data, preview)

    with world.db.reading() as s:
        saved = {d.code: (d.name, d.enrollment) for d in s.scalars(select(District))}
        audited = [e.after for e in events(s) if e.action == "import districts"]
    assert saved == {
        "A": ("District A", 11_000),
        "B": ("District B", 1000),
        "C": ("District C", 600_000),
        "D": ("District D", 70_000),
        "E": ("District E", 1),
        "Z": ("Zed", 42),
    }
    assert audited == [
        {
            "file": "d.csv",
            "sha256": hashlib.sha256(data).hexdigest(),
            "added": 1,
            "changed": 1,
            "unchanged": 1,
        }
    ]


def test_districts_apply_refuses_a_preview_made_before_someone_else_saved(world):
    data, parsed = _districts_file("code,name,enrollment\nZ,Zed,42\n")
    with world.db.reading() as s:
        preview = preview_districts(s, world.coordinator, parsed, data)
    with world.db.session() as s:
        save_district(s, world.coordinator, code="Z", name="Zed Unified", enrollment=7)

    refused = pytest.raises(ConflictError, match="changed since the preview of d.csv")
    with refused, world.db.session() as s:
        apply_districts(s, world.coordinator, parsed, data, preview)

    with world.db.reading() as s:
        z = s.scalar(select(District).where(District.code == "Z"))
        assert (z.name, z.enrollment) == ("Zed Unified", 7)
