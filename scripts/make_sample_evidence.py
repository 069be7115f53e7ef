"""Generate the synthetic demo evidence files in sample_evidence/.

Every file is fictional demo data for a fictional district and says so in its content. The output
is deterministic: fixed dates, no unseeded randomness, PDFs written with reportlab's `invariant`
mode, and Office files re-zipped with fixed timestamps, so re-running the script gives identical
bytes (with the same library versions).

Usage: python scripts/make_sample_evidence.py [OUTPUT_DIR]
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
import zipfile
from pathlib import Path

LABEL = "SYNTHETIC DEMO DATA — fictional district"
DISTRICT = "Cedar Plains Unified"
DISTRICTS = [
    "Alder Valley Unified",
    "Birch Harbor Unified",
    "Cedar Plains Unified",
    "Dunmore City Unified",
    "Elm Creek Unified",
    "Fairhaven Unified",
]
SCHOOLS = [
    "Prairie Lark Elementary",
    "Granary Row Elementary",
    "Cottonwood Flats Elementary",
    "Sagebrush Middle",
    "Windmill Hill Middle",
    "Cedar Plains High",
]
FIXED_TIME = dt.datetime(2016, 3, 1, 12, 0, 0)
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "sample_evidence"

# File name, description, and the core-p2@2015-16 item ids it is meant to support.
MANIFEST = [
    (
        "stakeholder_meeting_agenda.pdf",
        "Agenda of a parent and community evening on the School Quality Improvement Index",
        ["P2-STAKEHOLDER", "P2-REPORTS"],
    ),
    (
        "parent_meeting_signin.csv",
        "Sign-in sheet of the parent and community evening (20 attendees)",
        ["P2-STAKEHOLDER"],
    ),
    (
        "pdsa_cycle_record.pdf",
        "Completed PDSA cycle record of a Community of Practice (cycle 2 of 3)",
        ["P2-PDSA", "P2-COP"],
    ),
    (
        "problem_of_practice.txt",
        "Problem-of-practice statement of a paired priority school, with its data",
        ["P2-PROBLEMS"],
    ),
    (
        "pairing_roster.csv",
        "Roster of priority/reward school pairings with the reason for each match",
        ["P2-PAIRING"],
    ),
    (
        "pairing_meeting_log.csv",
        "Log of paired-school meetings with agenda owners and follow-up actions",
        ["P2-COLLABORATION"],
    ),
    (
        "climate_survey_summary.xlsx",
        "Culture-climate survey summary: participation and percent favourable by school",
        ["P2-INDEX-DATA"],
    ),
    (
        "data_walkthrough_photo.png",
        "Chart of survey participation by school, shown at the principals' data walk-through",
        ["P2-INDEX-DATA", "P2-PRINCIPAL-PD"],
    ),
    (
        "facilitator_training_notes.docx",
        "Notes from the district facilitator training session",
        ["P2-FACILITATOR"],
    ),
]


# ------------------------------------------------------------------ PDFs (reportlab)


def _pdf_styles():
    from reportlab.lib.styles import getSampleStyleSheet

    styles = getSampleStyleSheet()
    styles["Title"].fontSize = 16
    return styles


def _banner(styles):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table([[LABEL]], colWidths=[480])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#FDECC8")),
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.HexColor("#8A4B00")),
                ("FONTNAME", (0, 0), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("BOX", (0, 0), (-1, -1), 0.75, colors.HexColor("#8A4B00")),
            ]
        )
    )
    return table


def _grid(rows, widths, styles):
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    body = [[Paragraph(str(cell), styles["BodyText"]) for cell in row] for row in rows]
    table = Table(body, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E4ECF5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _build_pdf(path: Path, title: str, story: list) -> None:
    from reportlab.lib.pagesizes import letter
    from reportlab.platypus import SimpleDocTemplate

    doc = SimpleDocTemplate(
        str(path),
        pagesize=letter,
        invariant=1,
        title=title,
        author=f"{DISTRICT} (fictional)",
        subject=LABEL,
        creator="scripts/make_sample_evidence.py",
        leftMargin=54,
        rightMargin=54,
        topMargin=48,
        bottomMargin=48,
    )
    doc.build(story)


def make_agenda(out: Path) -> None:
    from reportlab.platypus import Paragraph, Spacer

    styles = _pdf_styles()
    rows = [
        ["Time", "Item", "Lead"],
        [
            "6:00",
            "Welcome, childcare and interpretation (Spanish, Hmong, Punjabi)",
            "Nell Okonkwo-Vance, family engagement lead",
        ],
        [
            "6:10",
            "What the School Quality Improvement Index measures: academic and "
            "social-emotional / culture-climate domains",
            "Dr. Ines Farrowdale, assessment office",
        ],
        [
            "6:30",
            "Walk-through of your school's report: levels 1-10 and what changed since last year",
            "Principals, at school tables",
        ],
        [
            "6:55",
            "School Support Interventions: how paired schools and Communities of Practice work",
            "Thaddeus Brookmere, district facilitator",
        ],
        [
            "7:15",
            "Small-group questions: what would help your family use the report?",
            "School site council parent members",
        ],
        ["7:35", "Feedback cards, next meeting date, closing", "Nell Okonkwo-Vance"],
    ]
    story = [
        _banner(styles),
        Spacer(1, 10),
        Paragraph(f"{DISTRICT} — Parent &amp; Community Evening", styles["Title"]),
        Paragraph(
            "The School Quality Improvement Index and our School Support Interventions",
            styles["Heading2"],
        ),
        Paragraph(
            "Thursday 29 October 2015, 6:00-7:45 pm · Sagebrush Middle School library · "
            "Session 2 of 4 this school year (also streamed and recorded)",
            styles["BodyText"],
        ),
        Spacer(1, 10),
        _grid(rows, [44, 270, 166], styles),
        Spacer(1, 10),
        Paragraph(
            "Materials: school report handouts in four languages; two-page parent guide to the "
            "index levels; feedback cards. Please sign in at the door.",
            styles["BodyText"],
        ),
        Paragraph(
            "Next sessions: 21 January 2016 (Windmill Hill Middle), 14 April 2016 (Cedar Plains "
            "High). Recordings are posted on the district family page.",
            styles["BodyText"],
        ),
        Spacer(1, 14),
        Paragraph(
            f"<i>{LABEL}. All names, schools and figures are invented for a product demo.</i>",
            styles["BodyText"],
        ),
    ]
    _build_pdf(out / "stakeholder_meeting_agenda.pdf", "Parent and community evening agenda", story)


def make_pdsa(out: Path) -> None:
    from reportlab.platypus import Paragraph, Spacer

    styles = _pdf_styles()
    header = [
        ["Community of Practice", "Writers' Workshop CoP (3 focus schools)"],
        ["Schools", "Prairie Lark Elementary, Granary Row Elementary, Cottonwood Flats Elementary"],
        [
            "Shared problem of practice",
            "Grade 4-5 students rarely cite evidence from a text when "
            "writing; 29% meet the standard on the common writing task.",
        ],
        ["Cycle", "2 of 3 (2015-16) · 2 November 2015 – 29 January 2016"],
        ["Facilitator", "Thaddeus Brookmere (district facilitator)"],
    ]
    steps = [
        ["Step", "Record"],
        [
            "PLAN",
            "Goal: raise the share of grade 4-5 students citing at least two pieces of text "
            "evidence from 29% to 40% by the January task. Theory of action: if teachers model "
            "'claim-evidence-explain' with a shared sentence frame twice a week, students will "
            "use evidence without prompting. Measures: common writing task scored with the "
            "shared rubric; weekly exit tickets. Actions: 30-minute modelling routine; shared "
            "exit-ticket bank; mid-cycle walk-through at Granary Row.",
        ],
        [
            "DO",
            "Routine used in 14 of 16 classrooms (two classrooms started three weeks late). "
            "Walk-through held 9 December with a look-for protocol; 11 teachers attended.",
        ],
        [
            "STUDY",
            "January task: 38% cite two or more pieces of evidence (goal 40%). Gains were "
            "largest where the frame was posted and used by students in pairs; exit tickets "
            "show students copy the frame but 'explain' sentences stay thin.",
        ],
        [
            "ACT",
            "Adapt: keep the routine, add a partner 'explain it back' step. Cycle 3 goal: 45% "
            "with an explanation scored 2 or higher. Share the partner routine at the spring "
            "network meeting of all Communities of Practice.",
        ],
    ]
    story = [
        _banner(styles),
        Spacer(1, 10),
        Paragraph(f"{DISTRICT} — Plan-Do-Study-Act Cycle Record", styles["Title"]),
        _grid(header, [150, 330], styles),
        Spacer(1, 10),
        _grid(steps, [60, 420], styles),
        Spacer(1, 10),
        Paragraph(
            "Sign-off: CoP lead teachers (3) and facilitator, 3 February 2016. Next meeting: "
            "24 February 2016.",
            styles["BodyText"],
        ),
        Spacer(1, 10),
        Paragraph(
            f"<i>{LABEL}. All names, schools and figures are invented for a product demo.</i>",
            styles["BodyText"],
        ),
    ]
    _build_pdf(out / "pdsa_cycle_record.pdf", "PDSA cycle record", story)


# ------------------------------------------------------------------ text and CSV

FIRST = [
    "Marisol",
    "Dev",
    "Annika",
    "Tobias",
    "Yolanda",
    "Kwabena",
    "Rosalind",
    "Hiro",
    "Beatriz",
    "Caspian",
    "Leilani",
    "Oswin",
    "Priya",
    "Evander",
    "Nadia",
    "Quincy",
    "Soraya",
    "Linus",
    "Xiomara",
    "Bram",
]
LAST = [
    "Quillfeather",
    "Thistlewood",
    "Marchbank",
    "Wrenfield",
    "Larkspur",
    "Brightwater",
    "Fenwicke",
    "Copperleaf",
    "Hollowell",
    "Ashgrove",
    "Duskmoor",
    "Pennyroyal",
    "Starling-Voss",
    "Gorsefield",
    "Oakhaven",
    "Mirrowby",
    "Tallowmere",
    "Featherstone",
    "Rookwood",
    "Emberly",
]
ROLES = [
    "Parent",
    "Parent",
    "Parent",
    "Parent",
    "Parent",
    "Parent",
    "Teacher",
    "Parent",
    "Community member",
    "Parent",
    "Classified staff",
    "Parent",
    "Parent",
    "Administrator",
    "Parent",
    "Community member",
    "Parent",
    "Teacher",
    "Parent",
    "Parent",
]


def make_signin(out: Path) -> None:
    rows = [["date", "name", "role", "school", "language_support", "data_label"]]
    for i, (first, last, role) in enumerate(zip(FIRST, LAST, ROLES, strict=True)):
        support = ["none", "Spanish", "none", "Hmong", "none"][i % 5]
        rows.append(
            ["2015-10-29", f"{first} {last}", role, SCHOOLS[(i * 7) % len(SCHOOLS)], support, LABEL]
        )
    _write_csv(out / "parent_meeting_signin.csv", rows)


def make_pairing_roster(out: Path) -> None:
    rows = [
        [
            "pairing_id",
            "priority_school",
            "priority_district",
            "partner_school",
            "partner_district",
            "pairing_type",
            "match_reason",
            "facilitator",
            "data_label",
        ]
    ]
    pairs = [
        (
            "CP-01",
            "Sagebrush Middle",
            DISTRICT,
            "Heron Point Middle",
            "Birch Harbor Unified",
            "cross-district",
            "Similar size (about 700), 78% low-income, 31% English learners",
            "Thaddeus Brookmere",
        ),
        (
            "CP-02",
            "Cedar Plains High",
            DISTRICT,
            "Juniper Ridge High",
            DISTRICT,
            "within district",
            "Similar enrollment and EL share; re-matched in January from a "
            "cross-district partner to cut travel",
            "Thaddeus Brookmere",
        ),
        (
            "CP-03",
            "Windmill Hill Middle",
            DISTRICT,
            "Fernridge Middle",
            "Elm Creek Unified",
            "cross-district",
            "Both grades 6-8, similar suspension history and EL share",
            "Gwendolyn Ashcombe",
        ),
    ]
    rows.extend([*pair, LABEL] for pair in pairs)
    _write_csv(out / "pairing_roster.csv", rows)


def make_meeting_log(out: Path) -> None:
    rows = [
        [
            "pairing_id",
            "meeting",
            "date",
            "host_school",
            "agenda_by",
            "attendees",
            "actions_followed_up",
            "data_label",
        ]
    ]
    log = [
        ("CP-01", 1, "2015-09-24", "Heron Point Middle", "both principals", 9, "3 of 3"),
        ("CP-01", 2, "2015-12-10", "Sagebrush Middle", "both principals", 11, "4 of 4"),
        ("CP-01", 3, "2016-02-25", "Heron Point Middle", "both principals", 10, "2 of 3"),
        ("CP-02", 1, "2015-10-01", "Cedar Plains High", "both principals", 8, "2 of 3"),
        ("CP-02", 2, "2016-01-21", "Juniper Ridge High", "both principals", 12, "3 of 3"),
        ("CP-03", 1, "2015-10-15", "Fernridge Middle", "partner school only", 6, "1 of 2"),
        ("CP-03", 2, "2016-02-11", "Windmill Hill Middle", "partner school only", 7, "0 of 2"),
    ]
    rows.extend([*entry, LABEL] for entry in log)
    _write_csv(out / "pairing_meeting_log.csv", rows)


def _write_csv(path: Path, rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


PROBLEM_OF_PRACTICE = f"""\
{LABEL}
All names, schools and figures below are invented for a product demo.

{DISTRICT} — Problem of practice statement, 2015-16
School: Sagebrush Middle (priority school), paired with Heron Point Middle (Birch Harbor Unified)
Facilitator: Thaddeus Brookmere
Agreed at pairing meeting 1, 24 September 2015; revisited 10 December 2015

PROBLEM OF PRACTICE 1
Grade 6 students in intervention English classes rarely use evidence from a text when they
write. On the fall common writing task, 32% scored proficient on the "use of evidence" row of the
shared rubric (school average 47%).

  Data it rests on: fall common writing task (n = 214), classroom walk-through notes from both
  schools (12 classrooms), student focus group (8 students).
  Why this problem: it is specific, within teachers' control, and shows up in every subject.
  Interim measure: monthly exit tickets scored on the evidence row.
  Update (10 December): winter task 41% proficient; pairing agreed to keep this problem.

PROBLEM OF PRACTICE 2
Chronic absence in grade 7 is 14%, double the district middle-school rate, and concentrated in
students who were absent in grade 6.

  Data it rests on: School Quality Improvement Index report (chronic absence indicator),
  attendance records, advisory-teacher interviews.
  Interim measure: monthly chronic-absence rate for the grade 7 cohort.
  Update (10 December): rate 12%; mentoring trial funded from intervention funds.

Linked plan: Sagebrush Middle improvement plan 2015-16, sections 2 (instruction) and 6
(school climate and attendance).
"""


def make_problem_of_practice(out: Path) -> None:
    (out / "problem_of_practice.txt").write_text(PROBLEM_OF_PRACTICE, encoding="utf-8")


# ------------------------------------------------------------------ spreadsheet and chart

SURVEY_ITEMS = [
    "I feel safe at school",
    "Adults at this school treat students with respect",
    "I feel like I belong at this school",
    "Rules are applied fairly",
    "Teachers believe I can do well",
]
# Student participation (%) and percent favourable per survey item, by school (invented).
SURVEY = {
    "Prairie Lark Elementary": (91, [84, 88, 79, 72, 90]),
    "Granary Row Elementary": (86, [78, 82, 71, 66, 85]),
    "Cottonwood Flats Elementary": (74, [70, 75, 64, 58, 81]),
    "Sagebrush Middle": (68, [61, 63, 52, 47, 72]),
    "Windmill Hill Middle": (81, [66, 70, 58, 55, 76]),
    "Cedar Plains High": (63, [69, 64, 55, 51, 70]),
}


def make_survey_workbook(out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws["A1"] = LABEL
    ws["A1"].font = Font(bold=True, color="8A4B00")
    ws["A1"].fill = PatternFill("solid", fgColor="FDECC8")
    ws["A2"] = (
        f"{DISTRICT} — Culture-climate survey, students grades 5-12, fall 2015 (percent favourable)"
    )
    header = ["School", "Student participation %", *SURVEY_ITEMS]
    ws.append([])
    ws.append(header)
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for school, (participation, favourable) in SURVEY.items():
        ws.append([school, participation, *favourable])
    ws.append(
        [
            "All schools (simple mean)",
            _mean([p for p, _ in SURVEY.values()]),
            *[_mean([f[i] for _, f in SURVEY.values()]) for i in range(len(SURVEY_ITEMS))],
        ]
    )
    ws.column_dimensions["A"].width = 30
    for col in "BCDEFG":
        ws.column_dimensions[col].width = 18
    ws.freeze_panes = "B5"
    about = wb.create_sheet("About")
    for line in [
        LABEL,
        "All schools and figures are invented for a product demo.",
        "Participation target: 70% of enrolled students in grades 5-12.",
    ]:
        about.append([line])
    _fix_workbook_props(wb)
    path = out / "climate_survey_summary.xlsx"
    wb.save(path)
    _normalise_zip(path)


def _mean(values: list[int]) -> float:
    return round(sum(values) / len(values), 1)


def _fix_workbook_props(wb) -> None:
    wb.properties.creator = f"{DISTRICT} (fictional)"
    wb.properties.title = LABEL
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME


def make_chart(out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    schools = list(SURVEY)
    values = [SURVEY[s][0] for s in schools]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=90)
    colours = ["#2E6FA7" if v >= 70 else "#C8742B" for v in values]
    ax.barh(schools[::-1], values[::-1], color=colours[::-1])
    ax.axvline(70, color="#444444", linestyle="--", linewidth=1)
    ax.text(70.5, -0.45, "target 70%", fontsize=8, color="#444444")
    ax.set_xlim(0, 100)
    ax.set_xlabel("Student survey participation (%)")
    fig.suptitle(f"{DISTRICT}: survey participation by school, fall 2015", fontsize=10)
    fig.text(0.5, 0.01, LABEL, ha="center", fontsize=8, color="#8A4B00", weight="bold")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(out / "data_walkthrough_photo.png", metadata={"Software": None})
    plt.close(fig)


# ------------------------------------------------------------------ Word document

TRAINING_NOTES = {
    "Purpose": [
        "Prepare district facilitators for a hands-on role with paired schools and Communities "
        "of Practice: not only scheduling and forms, but reviewing plan content critically, "
        "coaching, and following up between meetings.",
    ],
    "Attendance": [
        "Facilitators: Thaddeus Brookmere, Gwendolyn Ashcombe, Rafferty Nwosu-Lind (3 of 3).",
        "Trainer: Orla Vantongeren, continuous improvement office.",
    ],
    "Agenda covered": [
        "1. What the facilitator role is and is not (logistics vs. coaching).",
        "2. Reading an improvement plan against the seven turnaround principles; practice with "
        "two anonymised plans and written feedback.",
        "3. Running a PDSA meeting with the district protocol: plan, do, study, act; keeping "
        "the study step about data, not anecdotes.",
        "4. Socratic coaching: question stems that push thinking without giving the answer.",
        "5. Follow-up: a shared log of commitments checked at the start of each meeting.",
    ],
    "Agreements": [
        "Each facilitator returns written feedback on every assigned plan within 10 school days.",
        "Facilitators attend every pairing and Community of Practice meeting (three a year "
        "minimum) and log follow-up visits in between.",
        "Funding requests are checked against the school's plan and Title I rules before approval.",
    ],
    "Next steps": [
        "Peer observation of one facilitated meeting per facilitator before 18 December 2015.",
        "Follow-up session on 28 January 2016: review of PDSA cycle 2 records.",
    ],
}


def make_training_notes(out: Path) -> None:
    from docx import Document
    from docx.shared import Pt, RGBColor

    doc = Document()
    banner = doc.add_paragraph()
    run = banner.add_run(LABEL)
    run.bold = True
    run.font.size = Pt(12)
    run.font.color.rgb = RGBColor(0x8A, 0x4B, 0x00)
    doc.add_heading(f"{DISTRICT} — Facilitator training notes", level=1)
    doc.add_paragraph("Session 1 of 2 · Tuesday 22 September 2015 · District office, room 4B")
    for heading, lines in TRAINING_NOTES.items():
        doc.add_heading(heading, level=2)
        for line in lines:
            doc.add_paragraph(line)
    doc.add_paragraph(f"{LABEL}. All names and details are invented for a product demo.")
    props = doc.core_properties
    props.author = props.last_modified_by = f"{DISTRICT} (fictional)"
    props.title = "Facilitator training notes"
    props.subject = LABEL
    props.created = props.modified = FIXED_TIME
    props.last_printed = FIXED_TIME
    props.revision = 1
    path = out / "facilitator_training_notes.docx"
    doc.save(str(path))
    _normalise_zip(path)


# ------------------------------------------------------------------ determinism and manifest

_STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _normalise_zip(path: Path) -> None:
    """Rewrite an Office file with fixed entry timestamps and fixed core-property dates."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _CORE_DATES.sub(rb"\g<1>" + _STAMP.encode() + rb"\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def write_manifest(out: Path) -> None:
    entries = [{"file": f, "description": d, "items": items} for f, d, items in MANIFEST]
    (out / "manifest.json").write_text(
        json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


MAKERS = [
    make_agenda,
    make_signin,
    make_pdsa,
    make_problem_of_practice,
    make_pairing_roster,
    make_meeting_log,
    make_survey_workbook,
    make_chart,
    make_training_notes,
]


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    for make in MAKERS:
        make(out)
    write_manifest(out)
    for name, _, _ in MANIFEST:
        print(f"{(out / name).stat().st_size:>8}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
