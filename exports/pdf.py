"""The packet as a PDF (reportlab): Unicode font, escaped text, split tables, outline, page numbers.

Output is deterministic for the same report (reportlab's invariant mode, no clock).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from exports.report import IndexTable, ItemSection, Report
from review.index.counts import shown

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
_LONG_WORD = re.compile(r"\S{30,}")
_STATUS_COLOURS = {
    "meets": colors.HexColor("#1b7f3b"),
    "partially meets": colors.HexColor("#b26b00"),
    "does not meet": colors.HexColor("#b3261e"),
    "not rated": colors.grey,
}


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(_font_dir() / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(_font_dir() / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=9.5, leading=12)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=20, leading=26),
        "h1": ParagraphStyle(
            "h1", parent=body, fontName=BOLD, fontSize=14, leading=18, spaceBefore=6, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
        ),
    }


def text(value: object) -> str:
    """User text made inert for reportlab's markup, with breakable very long words."""
    escaped = escape("" if value is None else str(value))
    escaped = _LONG_WORD.sub(lambda m: "\u200b".join(_chunks(m.group(0), 20)), escaped)
    return escaped.replace("\n", "<br/>")


def _chunks(word: str, size: int) -> list[str]:
    return [word[i : i + size] for i in range(0, len(word), size)]


class _Heading(Paragraph):
    """A heading that also becomes an entry of the PDF outline."""

    def __init__(self, label: str, style: ParagraphStyle, level: int, key: str) -> None:
        super().__init__(text(label), style)
        self.outline = (label, level, key)


class _Doc(BaseDocTemplate):
    def __init__(self, buffer: io.BytesIO, report: Report) -> None:
        super().__init__(
            buffer,
            pagesize=LETTER,
            title=report.title,
            author="District Peer Review",
            subject=f"{report.rubric_key} / {report.cycle}",
            invariant=1,
            leftMargin=0.75 * inch,
            rightMargin=0.75 * inch,
            topMargin=0.75 * inch,
            bottomMargin=0.75 * inch,
        )
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._footer)])
        self._footer_text = f"{report.district_name} · {report.cycle}"

    def _footer(self, canvas: object, doc: object) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont(FONT, 8)  # type: ignore[attr-defined]
        canvas.drawString(self.leftMargin, 0.45 * inch, self._footer_text)  # type: ignore[attr-defined]
        canvas.drawRightString(  # type: ignore[attr-defined]
            LETTER[0] - self.rightMargin,
            0.45 * inch,
            f"Page {canvas.getPageNumber()}",  # type: ignore[attr-defined]
        )
        canvas.restoreState()  # type: ignore[attr-defined]

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 (reportlab's hook name)
        if isinstance(flowable, _Heading):
            label, level, key = flowable.outline
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(label, key, level=level, closed=level > 0)


def render_pdf(report: Report) -> bytes:
    """The packet as PDF bytes."""
    _register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    story: list[Flowable] = []
    story += _cover(report, styles)
    story += _overview(report, styles)
    story += _items(report, styles)
    story += _evidence(report, styles)
    story += _index(report, styles)
    story += _appendix(report, styles)
    _Doc(buffer, report).build(story)
    return buffer.getvalue()


def _table(
    rows: Sequence[Sequence[object]],
    widths: list[float],
    styles: dict[str, ParagraphStyle],
    *,
    colour_column: int | None = None,
) -> Table:
    head = ParagraphStyle("head", parent=styles["cell"], fontName=BOLD)
    cells = [
        [_cell(c, w, head if r == 0 else styles["cell"]) for c, w in zip(row, widths, strict=True)]
        for r, row in enumerate(rows)
    ]
    table = Table(cells, colWidths=widths, repeatRows=1, splitByRow=True)
    commands: list[Any] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTNAME", (0, 0), (-1, 0), BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 10),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if colour_column is not None:
        for r, values in enumerate(rows[1:], start=1):
            colour = _STATUS_COLOURS.get(str(values[colour_column]))
            if colour is not None:
                commands.append(("TEXTCOLOR", (colour_column, r), (colour_column, r), colour))
    table.setStyle(TableStyle(commands))
    return table


def _cell(value: object, width: float, style: ParagraphStyle) -> str | Paragraph:
    """Short text as a plain cell (drawn literally, and fast); longer text as a wrapping
    paragraph. Laying out a paragraph per cell was most of a packet's time."""
    content = "" if value is None else str(value)
    fits = "\n" not in content and stringWidth(content, style.fontName, 8) <= width - 8
    return content if fits else Paragraph(text(content), style)


def _cover(report: Report, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    facts = [
        ["District", f"{report.district_name} ({report.district_code})"],
        ["Cycle", report.cycle],
        ["Phase", report.phase.replace("_", " ")],
        ["Students", f"{report.enrollment:,}"],
        ["Schools", shown(report.school_count)],
        ["Priority / focus / reward schools", " / ".join(shown(n) for _, n in report.designations)],
        *(
            [["Schools counted from", f"index data {report.counts_year}"]]
            if report.counts_year
            else []
        ),
        ["Rubric", f"{report.rubric_title} ({report.rubric_key})"],
        ["Index specification", report.index_spec or "none"],
        ["Data as of", report.as_of],
    ]
    return [
        Spacer(1, 1.2 * inch),
        _Heading(report.title, s["title"], 0, "cover"),
        Spacer(1, 0.3 * inch),
        _table([["", ""], *facts], [2.4 * inch, 4.4 * inch], s),
        PageBreak(),
    ]


def _overview(report: Report, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [
        _Heading("Overview", s["h1"], 0, "overview"),
        Paragraph(f"Overall compliance status: <b>{text(report.overall_status)}</b>", s["body"]),
        Spacer(1, 6),
    ]
    rows: list[list[object]] = [["Principle / item", "Final level", "Status"]]
    for principle in report.principles:
        rows.append([f"{principle.principle} {principle.title}", "", principle.status])
        rows += [
            [f"   {i} {t}", "" if lvl is None else lvl, st] for i, t, lvl, st in principle.items
        ]
    story.append(_table(rows, [4.6 * inch, 0.9 * inch, 1.3 * inch], s, colour_column=2))
    for title, entries in (("Top strengths", report.strengths), ("Next steps", report.next_steps)):
        story.append(Paragraph(title, s["h2"]))
        for entry in entries or ("None recorded yet.",):
            story.append(Paragraph(f"• {text(entry)}", s["body"]))
    story.append(PageBreak())
    return story


def _items(report: Report, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [_Heading("Item by item", s["h1"], 0, "items")]
    for item in report.items:
        story += _item(item, s)
    story.append(PageBreak())
    return story


def _item(item: ItemSection, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    level = "not applicable" if item.self_not_applicable else _level(item.self_level)
    story: list[Flowable] = [
        _Heading(f"{item.item_id} {item.title}", s["h2"], 1, f"item-{item.item_id}"),
        Paragraph(text(item.prompt), s["body"]),
        _table(
            [["Level", "Descriptor"]] + [[f"{n} {label}", d] for n, label, d in item.descriptors],
            [1.3 * inch, 5.5 * inch],
            s,
        ),
        Spacer(1, 4),
        Paragraph(f"<b>Self-rating:</b> {text(level)}", s["body"]),
        Paragraph(text(item.self_narrative or "(no narrative)"), s["body"]),
    ]
    if item.peers:
        rows: list[list[object]] = [["Reviewer", "Level", "Rationale", "Suggestions"]]
        rows += [[p.reviewer, _level(p.level), p.rationale, p.suggestions] for p in item.peers]
        story.append(_table(rows, [0.8 * inch, 0.6 * inch, 2.7 * inch, 2.7 * inch], s))
    for flag in item.flags:
        story.append(Paragraph(f"⚑ {text(flag)}", s["small"]))
    if item.decision:
        d = item.decision
        decided = "not applicable" if d.not_applicable else _level(d.level)
        story.append(
            Paragraph(
                f"<b>Decision:</b> level {text(decided)} by {text(d.method)} — "
                f"{text(d.decided_by)}, {text(d.decided_at)}. {text(d.rationale)}",
                s["body"],
            )
        )
    story.append(Paragraph(f"<b>Status:</b> {text(item.status)}", s["body"]))
    return story


def _level(level: int | None) -> str:
    return "not rated" if level is None else str(level)


def _evidence(report: Report, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows: list[list[object]] = [["File", "Description", "Items", "SHA-256"]]
    rows += [[e.file_name, e.description, ", ".join(e.items), e.sha256] for e in report.evidence]
    return [
        _Heading("Evidence index", s["h1"], 0, "evidence"),
        _table(rows, [1.6 * inch, 2.0 * inch, 1.3 * inch, 1.9 * inch], s)
        if report.evidence
        else Paragraph("No evidence uploaded.", s["body"]),
        PageBreak(),
    ]


def _index(report: Report, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [_Heading("Index summary", s["h1"], 0, "index")]
    if not report.index_tables:
        return [
            *story,
            Paragraph("No index results were imported for this cycle.", s["body"]),
            PageBreak(),
        ]
    story.append(
        Paragraph(
            "Multiple measures first: schools per band for each metric. The single overall score "
            "appears only in the school table and is not a ranking.",
            s["small"],
        )
    )
    if report.index_chart:
        story.append(_band_chart(report.index_chart))
    for table in report.index_tables:
        story += _index_table(table, s)
    story.append(PageBreak())
    return story


def _index_table(table: IndexTable, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    width = 6.8 * inch / max(1, len(table.header))
    rows: list[list[object]] = [list(table.header)]
    rows += [["" if c is None else c for c in r] for r in table.rows]
    return [Paragraph(text(table.title), s["h2"]), _table(rows, [width] * len(table.header), s)]


def _band_chart(bands: tuple[tuple[str, tuple[int, int, int]], ...]) -> Drawing:
    drawing = Drawing(6.8 * inch, 2.6 * inch)
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 40
    chart.width, chart.height = int(6.8 * inch - 60), int(2.6 * inch - 70)
    chart.data = [tuple(b[i] for _, b in bands) for i in range(3)]
    chart.categoryAxis.categoryNames = [m.replace("_", " ")[:14] for m, _ in bands]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 20
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.valueMin = 0
    chart.categoryAxis.style = "stacked"
    for i, colour in enumerate(("#b3261e", "#b26b00", "#1b7f3b")):
        chart.bars[i].fillColor = colors.HexColor(colour)
    drawing.add(chart)
    drawing.add(
        String(
            40,
            2.6 * inch - 14,
            "Schools per band (levels 1-3, 4-7, 8-10)",
            fontName=FONT,
            fontSize=8,
        )
    )
    return drawing


def _appendix(report: Report, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows: list[list[object]] = [
        ["What", "Value"],
        ["Rubric", report.rubric_key],
        ["Rubric content SHA-256", report.rubric_hash],
        ["Index specification", report.index_spec or "none"],
    ]
    audit: list[list[object]] = [["Audited action", "Count"]]
    audit += [[action, count] for action, count in report.audit]
    return [
        _Heading("Appendix", s["h1"], 0, "appendix"),
        _table(rows, [2.0 * inch, 4.8 * inch], s),
        Spacer(1, 8),
        _table(audit, [4.0 * inch, 1.0 * inch], s),
    ]
