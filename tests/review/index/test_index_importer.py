import datetime

import pandas as pd
import pytest
from index_helpers import HEADER
from openpyxl import Workbook

from review.errors import InvalidInput
from review.index.importer import ImportProblems, check_results, parse_results, read_results

GOOD = [
    "0012,Lincoln Elementary,FRESNO,elementary,2015-16,academic_performance,all,250,41.5",
    "0012,Lincoln Elementary,FRESNO,elementary,2015-16,academic_performance,el,19,30",
    "0013,Roosevelt High,FRESNO,high,2015-16,graduation,all,300,88.2",
]


def _csv(tmp_path, lines, *, name="results.csv", bom=False, newline="\n"):
    path = tmp_path / name
    text = newline.join(lines) + newline
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def _problems(path):
    with pytest.raises(ImportProblems) as err:
        read_results(path)
    return [str(p) for p in err.value.problems]


def test_read_results_csv_gives_typed_frame(tmp_path):
    frame = read_results(_csv(tmp_path, [HEADER, *GOOD]))

    assert frame["school_id"].tolist() == ["0012", "0012", "0013"]
    assert frame["n"].tolist() == [250, 19, 300]
    assert frame["value"].tolist() == [41.5, 30.0, 88.2]
    assert str(frame["n"].dtype) == "int32"
    assert list(frame["metric"].cat.categories)[:2] == ["academic_performance", "academic_growth"]
    assert "designation" not in frame.columns


def test_read_results_csv_with_byte_order_mark_reads_the_same(tmp_path):
    plain = read_results(_csv(tmp_path, [HEADER, *GOOD]))
    marked = read_results(_csv(tmp_path, [HEADER, *GOOD], name="bom.csv", bom=True))

    pd.testing.assert_frame_equal(plain, marked)


def test_read_results_blank_lines_skipped_and_rows_keep_file_numbers(tmp_path):
    lines = [HEADER, GOOD[0], "", GOOD[1], ",,,,,,,,", "   ", GOOD[2].replace("88.2", "x")]
    assert _problems(_csv(tmp_path, lines, newline="\r\n")) == [
        "row 7, column value: 'x' is not a number"
    ]
    frame = read_results(_csv(tmp_path, lines[:-1] + [GOOD[2]], name="ok.csv"))
    assert len(frame) == 3


def test_read_results_blank_line_row_numbers_on_fast_path(tmp_path):
    lines = [HEADER, GOOD[0], "", "", GOOD[1].replace(",el,", ",ell,")]

    assert _problems(_csv(tmp_path, lines)) == [
        "row 5, column group: unknown group 'ell' (expected one of: all, el, swd, sed, "
        "race_african_american, race_american_indian, race_asian, race_filipino, race_hispanic, "
        "race_pacific_islander, race_white, race_two_or_more)"
    ]


def test_read_results_quoted_line_break_counts_as_one_row(tmp_path):
    lines = [
        HEADER,
        GOOD[0].replace("Lincoln Elementary", '"Lincoln\nElementary"'),
        GOOD[1],
        GOOD[2].replace(",300,", ",-3,"),
    ]

    assert _problems(_csv(tmp_path, lines)) == ["row 5, column n: n is negative (-3)"]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "0012,A,F,elementary,2015-16,academic_perf,all,20,40",
            "row 2, column metric: unknown metric 'academic_perf' (expected one of: "
            "academic_performance, academic_growth, graduation, hs_readiness, el_redesignation, "
            "chronic_absence, suspension_expulsion, sel_skills, culture_climate)",
        ),
        (
            "0012,A,F,elementary,2015-16,graduation,all,20,forty",
            "row 2, column value: 'forty' is not a number",
        ),
        (
            "0012,A,F,elementary,2015-16,graduation,all,20,100.5",
            "row 2, column value: 100.5 is out of range (expected 0 to 100)",
        ),
        (
            "0012,A,F,elementary,2015-16,graduation,all,20,-1",
            "row 2, column value: -1 is out of range (expected 0 to 100)",
        ),
        ("0012,A,F,elementary,2015-16,graduation,all,-4,40", "row 2, column n: n is negative (-4)"),
        (
            "0012,A,F,elementary,2015-16,graduation,all,20.5,40",
            "row 2, column n: 20.5 is not a whole number of students",
        ),
        ("0012,A,F,elementary,2015-16,graduation,all,,40", "row 2, column n: is blank"),
        ("0012,A,F,elementary,2015-16,graduation,all,20,", "row 2, column value: is blank"),
        ("0012,,F,elementary,2015-16,graduation,all,20,40", "row 2, column school_name: is blank"),
        (
            "0012,A,F,k8,2015-16,graduation,all,20,40",
            "row 2, column school_type: unknown school type 'k8' (expected one of: elementary, "
            "middle, high)",
        ),
        (
            "0012,A,F,elementary,2015/16,graduation,all,20,40",
            "row 2, column year: '2015/16' is not a school year such as 2015-16",
        ),
        (
            "0012,A,F,elementary,2015-17,graduation,all,20,40",
            "row 2, column year: '2015-17' is not a school year such as 2015-16",
        ),
        (
            "0012,A,F,elementary,2015-16,graduation,all,20,40,extra",
            "row 2: has 10 cells, the header has 9",
        ),
    ],
)
def test_read_results_names_row_and_column_of_each_problem(tmp_path, line, problem):
    assert _problems(_csv(tmp_path, [HEADER, line])) == [problem]


def test_read_results_reports_every_problem_in_file_order(tmp_path):
    lines = [
        HEADER,
        GOOD[0].replace("41.5", "141.5"),
        GOOD[1].replace(",el,", ",english,").replace(",19,", ",-1,"),
        GOOD[2],
        GOOD[2].replace("88.2", "n/a"),
    ]

    assert _problems(_csv(tmp_path, lines)) == [
        "row 2, column value: 141.5 is out of range (expected 0 to 100)",
        "row 3, column group: unknown group 'english' (expected one of: all, el, swd, sed, "
        "race_african_american, race_american_indian, race_asian, race_filipino, race_hispanic, "
        "race_pacific_islander, race_white, race_two_or_more)",
        "row 3, column n: n is negative (-1)",
        "row 5: duplicate: the same school_id, year, metric and group as row 4",
        "row 5, column value: 'n/a' is not a number",
    ]


def test_read_results_duplicate_rows_name_the_first(tmp_path):
    lines = [HEADER, *GOOD, GOOD[0].replace("41.5", "42")]

    assert _problems(_csv(tmp_path, lines)) == [
        "row 5: duplicate: the same school_id, year, metric and group as row 2"
    ]


def test_read_results_school_in_two_districts_refused(tmp_path):
    lines = [HEADER, GOOD[0], GOOD[1].replace("FRESNO", "SANGER")]

    assert _problems(_csv(tmp_path, lines)) == [
        "row 3, column district_id: 'SANGER' differs from 'FRESNO' on row 2 for the same school "
        "(school 0012)"
    ]


def test_read_results_designation_must_agree_within_school_year(tmp_path):
    header = HEADER + ",designation"
    lines = [header, GOOD[0] + ",priority", GOOD[1] + ",", GOOD[2] + ",reward"]

    assert _problems(_csv(tmp_path, lines)) == [
        "row 3, column designation: '' differs from 'priority' on row 2 for the same school and "
        "year (school 0012)"
    ]


def test_read_results_designation_column_read(tmp_path):
    header = HEADER + ",designation"
    lines = [header, GOOD[0] + ",priority", GOOD[1] + ",priority", GOOD[2] + ","]

    frame = read_results(_csv(tmp_path, lines))

    assert frame["designation"].tolist()[:2] == ["priority", "priority"]
    assert pd.isna(frame["designation"].iloc[2])


@pytest.mark.parametrize(
    ("header", "problems"),
    [
        (
            "school_id,school_name,district_id,school_type,year,metric,group,value",
            ["row 1, column n: missing column"],
        ),
        (
            HEADER + ",notes",
            [
                "row 1, column notes: unknown column (expected school_id, school_name, "
                "district_id, school_type, year, metric, group, n, value, designation)"
            ],
        ),
        (HEADER + ",value", ["row 1, column value: the column appears twice"]),
    ],
)
def test_read_results_header_problems(tmp_path, header, problems):
    assert _problems(_csv(tmp_path, [header, GOOD[0]])) == problems


def test_read_results_header_is_case_and_space_tolerant(tmp_path):
    header = " School_ID , School_Name,DISTRICT_ID,school_type,year,metric,group,n,value"

    assert len(read_results(_csv(tmp_path, [header, *GOOD]))) == 3


def test_read_results_empty_and_header_only_files(tmp_path):
    assert _problems(_csv(tmp_path, [""], name="empty.csv")) == [
        "row 1: the file is empty: expected a header row"
    ]
    assert _problems(_csv(tmp_path, [HEADER], name="header.csv")) == [
        "row 2: the file has a header but no rows of results"
    ]


def test_read_results_not_utf8_names_the_row(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (HEADER + "\n" + GOOD[0] + "\n").encode()
        + "0013,Café,F,high,2015-16,graduation,all,300,88\n".encode("latin-1")
    )

    assert _problems(path) == ["row 3: the file is not UTF-8 text; save it as CSV UTF-8"]


def test_import_problems_message_is_one_line_and_says_nothing_imported(tmp_path):
    path = _csv(tmp_path, [HEADER, GOOD[0].replace("41.5", "abc")])

    with pytest.raises(InvalidInput) as err:
        read_results(path)

    assert str(err.value) == (
        f"{path}: 1 problem, nothing was imported: row 2, column value: 'abc' is not a number"
    )


def test_import_problems_message_names_the_first_but_problems_are_all_kept(tmp_path):
    lines = [HEADER] + [f"S{i},A,F,high,2015-16,graduation,all,20,bad" for i in range(250)]
    path = _csv(tmp_path, lines)

    with pytest.raises(ImportProblems) as err:
        read_results(path)

    assert len(err.value.problems) == 250
    assert str(err.value) == (
        f"{path}: 250 problems, nothing was imported; "
        "the first: row 2, column value: 'bad' is not a number"
    )


def test_read_results_refuses_other_file_types(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("[]")

    with pytest.raises(InvalidInput, match=r"results.json: expected a .csv or .xlsx file"):
        read_results(path)


# --- XLSX ---------------------------------------------------------------------------------------


def _xlsx(tmp_path, rows, *, formats=None, name="results.xlsx"):
    """Write rows to a workbook; `formats` maps (row, column) (1-based) to a number format."""
    workbook = Workbook()
    sheet = workbook.create_sheet("Results", 0)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    for (r, c), number_format in (formats or {}).items():
        sheet.cell(row=r, column=c).number_format = number_format
    path = tmp_path / name
    workbook.save(path)
    return path


XLSX_HEADER = HEADER.split(",")


def test_read_results_xlsx_takes_cells_as_excel_shows_them(tmp_path):
    rows = [
        XLSX_HEADER,
        [
            12,
            "Lincoln Elementary",
            "FRESNO",
            "elementary",
            "2015-16",
            "academic_performance",
            "all",
            250,
            0.415,
        ],
        [13, "Roosevelt High", "FRESNO", "high", "2015-16", "graduation", "all", "300", "88.2"],
    ]
    formats = {(2, 1): "0000", (3, 1): "0000", (2, 9): "0.0%"}

    frame = read_results(_xlsx(tmp_path, rows, formats=formats))

    assert frame["school_id"].tolist() == ["0012", "0013"]  # leading zeros the format shows
    assert frame["value"].tolist() == [41.5, 88.2]  # 41.5% as shown; text "88.2" as a number
    assert frame["n"].tolist() == [250, 300]


def test_read_results_xlsx_blank_rows_keep_numbers_and_dates_are_refused(tmp_path):
    rows = [
        XLSX_HEADER,
        [
            12,
            "Lincoln Elementary",
            "FRESNO",
            "elementary",
            "2015-16",
            "academic_performance",
            "all",
            250,
            41.5,
        ],
        [None] * 9,
        [
            12,
            "Lincoln Elementary",
            "FRESNO",
            "elementary",
            "2015-16",
            "chronic_absence",
            "all",
            250,
            datetime.date(2015, 9, 1),
        ],
        [12, "Lincoln Elementary", "FRESNO", "elementary", "2015-16", "graduation", "all", 0.2, 20],
    ]
    formats = {(5, 8): "0%"}

    assert _problems(_xlsx(tmp_path, rows, formats=formats)) == [
        "row 4, column value: Excel shows a date or time (2015-09-01 00:00:00) here; format the "
        "column as Text or Number",
        "row 5, column n: is formatted as a percentage; n is a count of students",
    ]


def test_parse_results_reads_uploaded_bytes(tmp_path):
    csv_bytes = _csv(tmp_path, [HEADER, *GOOD]).read_bytes()
    xlsx_bytes = _xlsx(tmp_path, [XLSX_HEADER, GOOD[0].split(",")]).read_bytes()

    assert len(parse_results(csv_bytes, file_name="upload.csv")) == 3
    assert parse_results(xlsx_bytes, file_name="upload.xlsx")["school_id"].tolist() == ["0012"]


def test_check_results_validates_a_frame_with_index_rows():
    frame = pd.DataFrame([dict(zip(XLSX_HEADER, g.split(","), strict=True)) for g in GOOD])
    frame.loc[1, "n"] = "-2"

    with pytest.raises(ImportProblems) as err:
        check_results(frame, source="generated")

    assert [str(p) for p in err.value.problems] == ["row 3, column n: n is negative (-2)"]
