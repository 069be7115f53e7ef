"""The packet as a PDF (reportlab): Unicode font, escaped text, split tables, outline, page numbers.

Output is deterministic for the same report (reportlab's invariant mode, no clock).
"""

from __future__ import annotations

import copy
import io
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from exports import direction
from exports import pdf_sections as sections
from exports.report import IndexTable, ItemSection, Report
from review import figures
from review.access import PHASE_LABELS, Phase
from review.errors import ReviewError
from review.index.counts import shown

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
_LONG_WORD = re.compile(r"\S{30,}")
_MARGIN = 0.75 * inch
_DRAFT_RED = colors.HexColor("#b3261e")
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
        "draft": ParagraphStyle(
            "draft", parent=body, fontName=BOLD, fontSize=13, leading=17, textColor=_DRAFT_RED
        ),
    }


def text(value: object) -> str:
    """User text made inert for reportlab's markup, with breakable very long words."""
    escaped = escape(printable(value))
    escaped = _LONG_WORD.sub(lambda m: "\u200b".join(_chunks(m.group(0), 20)), escaped)
    return escaped.replace("\n", "<br/>")


def printable(value: object) -> str:
    """Text the packet's fonts can draw: a character they lack (most emoji) is written as its
    Unicode name in brackets ("[thumbs up sign]") rather than drawn as an empty box, and an
    invisible modifier they lack (skin tone, variation selector) is left out."""
    content = "" if value is None else str(value)
    drawable = _drawable()
    if all(ord(c) in drawable for c in content):
        return content
    return "".join(_fallback(c) if ord(c) not in drawable else c for c in content)


def _fallback(char: str) -> str:
    if char in "\n\t":
        return char
    if unicodedata.category(char) in ("Mn", "Me", "Cf", "Cc", "Sk"):
        return ""
    return f"[{unicodedata.name(char, f'U+{ord(char):04X}').lower()}]"


@cache
def _drawable() -> frozenset[int]:
    """Code points both packet fonts (regular and bold) have a glyph for, within the Basic
    Multilingual Plane: reportlab 5.1 writes a broken text map for characters above it (😀 is
    drawn but cannot be copied, searched or extracted), so those get the named fallback too."""
    _register_fonts()
    regular = pdfmetrics.getFont(FONT).face.charToGlyph  # type: ignore[attr-defined]
    bold = pdfmetrics.getFont(BOLD).face.charToGlyph  # type: ignore[attr-defined]
    return frozenset(c for c in regular if c <= 0xFFFF and c in bold)


def _chunks(word: str, size: int) -> list[str]:
    return [word[i : i + size] for i in range(0, len(word), size)]


class _Text(Paragraph):
    """A paragraph whose right-to-left runs are drawn in display order, line by line.

    Lines are broken (and split across pages) in logical order; only drawing sees each line
    reordered, so a split part is never reordered twice. A paragraph whose first strong
    character is right-to-left is set right-aligned."""

    def __init__(self, text: str, style: ParagraphStyle, **kw: Any) -> None:
        # (reportlab's own split passes text=None with the fragments of each part)
        super().__init__(text, style, **kw)
        content = "".join(f.text for f in self.frags if isinstance(getattr(f, "text", None), str))
        self._bidi = direction.has_rtl(content)
        self._rtl = direction.rtl_base(content)
        if self._rtl and self.style.alignment == TA_LEFT:
            self.style = ParagraphStyle(f"{style.name}-rtl", parent=style, alignment=TA_RIGHT)

    def drawPara(self, debug: int = 0) -> None:  # noqa: N802 (reportlab's method name)
        if not self._bidi:
            return super().drawPara(debug)
        logical: Any = self.blPara  # type: ignore[has-type]
        self.blPara = _visual_lines(logical, self._rtl)
        try:
            return super().drawPara(debug)
        finally:
            self.blPara = logical


def _visual_lines(para: Any, rtl: bool) -> Any:
    """A copy of broken lines with each line in display order. Lines of plain text (kind 0)
    are lists of words; lines of marked-up text are fragments in their styles, each reordered
    (and, in a right-to-left paragraph, drawn from the right)."""
    shown = copy.copy(para)
    if para.kind == 0:
        shown.lines = [
            (extra, direction.visual(" ".join(words), rtl=rtl).split(" "))
            for extra, words in para.lines
        ]
        return shown
    lines = []
    for line in para.lines:
        frags = []
        for frag in line.words:
            if isinstance(getattr(frag, "text", None), str) and direction.has_rtl(frag.text):
                frag = copy.copy(frag)
                frag.text = direction.visual(frag.text, rtl=rtl)
            frags.append(frag)
        line = copy.copy(line)
        line.words = frags[::-1] if rtl else frags
        lines.append(line)
    shown.lines = lines
    return shown


class _Heading(_Text):
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
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN,
            bottomMargin=_MARGIN,
        )
        wide = landscape(LETTER)
        self.addPageTemplates(
            [
                PageTemplate(id="page", frames=[_frame(LETTER)], onPage=self._page),
                PageTemplate(
                    id="landscape", frames=[_frame(wide)], onPage=self._page, pagesize=wide
                ),
            ]
        )
        footer = printable(f"{report.district_name} · {report.cycle}")
        self._footer_text = direction.visual(footer, rtl=direction.rtl_base(footer))
        self._draft = "" if report.final else f"DRAFT — not final ({_phase(report)})"
        self.current: Flowable | None = None
        self._date = _pdf_date(report)

    def _page(self, canvas: Any, doc: object) -> None:
        width, height = canvas._pagesize
        canvas._doc.setDateFormatter(lambda *_: self._date)
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(_MARGIN, 0.45 * inch, self._footer_text)
        canvas.drawRightString(width - _MARGIN, 0.45 * inch, f"Page {canvas.getPageNumber()}")
        if self._draft:
            # Every page of a packet that is not final says so, in its header and across it.
            canvas.setFont(BOLD, 9)
            canvas.setFillColor(_DRAFT_RED)
            canvas.drawString(_MARGIN, height - 0.5 * inch, self._draft)
            canvas.setFont(BOLD, 110)
            canvas.setFillColor(_DRAFT_RED, alpha=0.12)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(40)
            canvas.drawCentredString(0, -40, "DRAFT")
        canvas.restoreState()

    def handle_flowable(self, flowables: list[Flowable]) -> None:  # reportlab's hook name
        # Remembered so that a failure can name the part of the packet it happened in.
        self.current = flowables[0] if flowables else None
        super().handle_flowable(flowables)

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 (reportlab's hook name)
        if isinstance(flowable, _Heading):
            label, level, key = flowable.outline
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(label, key, level=level, closed=level > 0)


def _frame(size: tuple[float, float]) -> Frame:
    return Frame(_MARGIN, _MARGIN, size[0] - 2 * _MARGIN, size[1] - 2 * _MARGIN, id="body")


def as_of(report: Report) -> str:
    return f"{report.as_of:%Y-%m-%d %H:%M} UTC" if report.as_of else "nothing recorded yet"


def _pdf_date(report: Report) -> str:
    """The PDF's creation and change date: when its data last changed, so that the same data
    gives the same file (reportlab's invariant mode would say 2000-01-01)."""
    return f"D:{report.as_of:%Y%m%d%H%M%S}+00'00'" if report.as_of else "D:20000101000000+00'00'"


def _phase(report: Report) -> str:
    return PHASE_LABELS[Phase(report.phase)]


class PacketRenderError(ReviewError):
    """A packet could not be drawn; the message names the district and the part."""


_Part = TypeVar("_Part", bound=Flowable)


def part_name(flowable: Flowable | None) -> str:
    """The part of the packet a flowable shows, also for a part of a split table (reportlab
    numbers those: "item X, peer rationale[1]")."""
    if isinstance(flowable, Table) and flowable.ident:
        return _SPLIT_SUFFIX.sub("", flowable.ident)
    return getattr(flowable, "packet_field", None) or "the packet's layout"


_SPLIT_SUFFIX = re.compile(r"(\[\d+\])+$")


def _labelled(flowable: _Part, field: str) -> _Part:
    """Mark a flowable with the part of the packet it shows (for a failure's message)."""
    flowable.__dict__["packet_field"] = field  # past reportlab's attribute checks (Drawing)
    return flowable


def render_pdf(report: Report) -> bytes:
    """The packet as PDF bytes."""
    _register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    story: list[Flowable] = []
    story += _cover(report, styles)
    story += sections.summary(report, styles)
    story += _overview(report, styles)
    story += _items(report, styles)
    story += _evidence(report, styles)
    story += _index(report, styles)
    story += _appendix(report, styles)
    story += sections.definitions(report, styles)
    story += sections.sign_off(report, styles)
    doc = _Doc(buffer, report)
    try:
        doc.build(story)
    except Exception as exc:
        where = part_name(doc.current)
        reason = (str(exc).splitlines() or [""])[0][:200]
        raise PacketRenderError(
            f"the packet of district {report.district_code} ({report.cycle}) could not be "
            f"drawn at {where}: {type(exc).__name__}: {reason}"
        ) from exc
    return buffer.getvalue()


def _table(
    rows: Sequence[Sequence[object]],
    widths: list[float],
    styles: dict[str, ParagraphStyle],
    *,
    field: str,
    colour_column: int | None = None,
    indented: Sequence[int] = (),
    bold_rows: Sequence[int] = (),
) -> Flowable:
    """A table whose rows may split across pages, so no text is too long for a page.

    Args:
        field: what the table shows, named in the message if it cannot be drawn.
        indented: rows whose first cell is indented one level (a hierarchy drawn by layout).
        bold_rows: rows (besides the header) set in bold.
    """
    head = ParagraphStyle("head", parent=styles["cell"], fontName=BOLD)
    cells = [
        [
            _cell(
                c,
                w - (_INDENT if r in indented and n == 0 else 0),
                head if r == 0 or r in bold_rows else styles["cell"],
            )
            for n, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        for r, row in enumerate(rows)
    ]
    # splitInRow: a row taller than the space left is split inside its cells (reportlab 4+),
    # which is what lets a 20,000-character rationale run over several pages.
    # `ident` (unlike an attribute) passes on to the parts of a split table.
    table = Table(
        cells,
        colWidths=widths,
        repeatRows=1,
        splitByRow=1,
        splitInRow=_MIN_SPLIT,
        ident=field,
    )
    commands: list[Any] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTNAME", (0, 0), (-1, 0), BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 10),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    commands += [("FONTNAME", (0, r), (-1, r), BOLD) for r in bold_rows]
    commands += [("LEFTPADDING", (0, r), (0, r), 6 + _INDENT) for r in indented]
    if colour_column is not None:
        for r, values in enumerate(rows[1:], start=1):
            colour = _STATUS_COLOURS.get(str(values[colour_column]))
            if colour is not None:
                commands.append(("TEXTCOLOR", (colour_column, r), (colour_column, r), colour))
    table.setStyle(TableStyle(commands))
    return _labelled(table, field)


_INDENT = 12  # points: one level of a hierarchy
_MIN_SPLIT = 24  # points: no sliver of a row shorter than about two lines at a page's end


def _cell(value: object, width: float, style: ParagraphStyle) -> str | Paragraph:
    """Short text as a plain cell (drawn literally, and fast); longer text as a wrapping
    paragraph (as is right-to-left text, which a paragraph draws in display order). Laying out
    a paragraph per cell was most of a packet's time."""
    content = printable(_shown_number(value))
    fits = "\n" not in content and stringWidth(content, style.fontName, 8) <= width - 8
    fits = fits and not direction.has_rtl(content)
    return content if fits else _Text(text(content), style)


def _shown_number(value: object) -> object:
    """Figures as review.figures writes them everywhere (23.50, 5.0, 1,234); none as blank."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return figures.written(value)
    return "" if value is None else value


def _para(value: str, style: ParagraphStyle, field: str) -> Flowable:
    return _labelled(_Text(value, style), field)


def _cover(report: Report, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    facts = [
        ["District", f"{report.district_name} ({report.district_code})"],
        ["Cycle", report.cycle],
        ["Phase", _phase(report)],
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
        ["Data as of", as_of(report)],
        *([["Finalized on / by", sections.finalized_line(report)]] if report.final else []),
    ]
    story: list[Flowable] = [
        Spacer(1, 1.2 * inch),
        _Heading(report.title, s["title"], 0, "cover"),
        Spacer(1, 0.3 * inch),
    ]
    if not report.final:
        story += [
            _Text("DRAFT — this packet is not the final review", s["draft"]),
            _Text("Not yet settled:", s["h2"]),
            *[_Text(f"• {text(line)}", s["body"]) for line in report.unsettled],
            Spacer(1, 0.2 * inch),
        ]
    story += [
        _table([["", ""], *facts], [2.4 * inch, 4.4 * inch], s, field="the cover"),
        PageBreak(),
    ]
    return story


def _overview(report: Report, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [
        _Heading("Overview", s["h1"], 0, "overview"),
        _Text(f"Overall compliance status: <b>{text(report.overall_status)}</b>", s["body"]),
        Spacer(1, 6),
    ]
    rows: list[list[object]] = [["Principle / item", "Final level", "Status"]]
    principles, items = [], []
    for principle in report.principles:
        principles.append(len(rows))
        rows.append([f"{principle.principle} {principle.title}", "", principle.status])
        for i, t, lvl, st in principle.items:
            items.append(len(rows))
            rows.append([f"{i} {t}", "" if lvl is None else lvl, st])
    story.append(
        _table(
            rows,
            [4.6 * inch, 0.9 * inch, 1.3 * inch],
            s,
            field="the overview",
            colour_column=2,
            indented=items,
            bold_rows=principles,
        )
    )
    for title, entries in (("Top strengths", report.strengths), ("Next steps", report.next_steps)):
        story.append(_Text(title, s["h2"]))
        for entry in entries or ("None recorded yet.",):
            story.append(_para(f"• {text(entry)}", s["body"], f"the overview's {title.lower()}"))
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
    where = f"item {item.item_id}"
    story: list[Flowable] = [
        _Heading(f"{item.item_id} {item.title}", s["h2"], 1, f"item-{item.item_id}"),
        _Text(text(item.prompt), s["body"]),
        _table(
            [["Level", "Descriptor"]] + [[f"{n} {label}", d] for n, label, d in item.descriptors],
            [1.3 * inch, 5.5 * inch],
            s,
            field=f"{where}, descriptors",
        ),
        *sections.wording(item, s),
        Spacer(1, 4),
        _Text(f"<b>Self-rating:</b> {text(level)}", s["body"]),
        _para(
            text(item.self_narrative or "(no narrative)"),
            s["body"],
            f"{where}, self-evaluation narrative",
        ),
    ]
    if item.peers:
        rows: list[list[object]] = [["Reviewer", "Level", "Rationale", "Suggestions"]]
        rows += [[p.reviewer, _level(p.level), p.rationale, p.suggestions] for p in item.peers]
        story.append(
            _table(
                rows,
                [0.8 * inch, 0.6 * inch, 2.7 * inch, 2.7 * inch],
                s,
                field=f"{where}, peer rationale and suggestions",
            )
        )
    for flag in item.flags:
        story.append(_Text(f"⚑ {text(flag)}", s["small"]))
    if item.decision:
        d = item.decision
        decided = "not applicable" if d.not_applicable else _level(d.level)
        story.append(
            _para(
                f"<b>Decision:</b> level {text(decided)} by {text(d.method)} — "
                f"{text(d.decided_by)}, {d.decided_at:%Y-%m-%d}. {text(d.rationale)}",
                s["body"],
                f"{where}, reconciliation decision",
            )
        )
    story += sections.item_record(item, s)
    story.append(_Text(f"<b>Status:</b> {text(item.status)}", s["body"]))
    return story


def _level(level: int | None) -> str:
    return "not rated" if level is None else str(level)


def _evidence(report: Report, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows: list[list[object]] = [["File", "Description", "Items", "SHA-256"]]
    rows += [[e.file_name, e.description, ", ".join(e.items), e.sha256] for e in report.evidence]
    return [
        _Heading("Evidence index", s["h1"], 0, "evidence"),
        _table(
            rows,
            [1.6 * inch, 2.0 * inch, 1.3 * inch, 1.9 * inch],
            s,
            field="the evidence index (file names and descriptions)",
        )
        if report.evidence
        else _Text("No evidence uploaded.", s["body"]),
        PageBreak(),
    ]


def _index(report: Report, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [_Heading("Index summary", s["h1"], 0, "index")]
    if not report.index_tables:
        return [
            *story,
            _Text("No index results were imported for this cycle.", s["body"]),
            PageBreak(),
        ]
    story.append(
        _Text(
            "Multiple measures first: schools per band for each metric. The single overall score "
            "appears only in the school table and is not a ranking.",
            s["small"],
        )
    )
    if report.index_chart:
        story.append(_band_chart(report.index_chart, report.index_bands))
    wide = [part for table in report.index_tables for part in table.parts]
    for table in report.index_tables:
        if not table.parts:
            story += _index_table(table, s, _PORTRAIT_WIDTH, first=1.9 * inch)
    if not wide:
        return [*story, PageBreak()]
    # Tables with a column per metric get landscape pages of their own.
    story += [NextPageTemplate("landscape"), PageBreak()]
    for table in wide:
        story += _index_table(table, s, _LANDSCAPE_WIDTH, first=2.2 * inch)
    return [*story, NextPageTemplate("page"), PageBreak()]


_PORTRAIT_WIDTH = LETTER[0] - 2 * _MARGIN
_LANDSCAPE_WIDTH = LETTER[1] - 2 * _MARGIN


def _index_table(
    table: IndexTable, s: dict[str, ParagraphStyle], width: float, *, first: float | None = None
) -> list[Flowable]:
    """A table of the index summary; the first column (a name) may be given its own width."""
    columns = max(1, len(table.header))
    if first is None or columns == 1:
        widths = [width / columns] * columns
    else:
        widths = [first] + [(width - first) / (columns - 1)] * (columns - 1)
    # A slash joins words ("Suspension/expulsion") that may wrap at it, never inside a word.
    rows: list[list[object]] = [[h.replace("/", "/\u200b") for h in table.header]]
    rows += [list(r) for r in table.rows]
    return [
        _Text(text(table.title), s["h2"]),
        _table(rows, widths, s, field=f"the index table {table.title!r}"),
    ]


_BAND_COLOURS = ("#b3261e", "#b26b00", "#1b7f3b")


def _band_chart(
    bands: tuple[tuple[str, tuple[int, int, int]], ...], names: tuple[str, ...]
) -> Drawing:
    """Schools per band for each metric as stacked horizontal bars, with a legend.

    Metric names are written level, left of their bar, and the drawing leaves room for the
    longest, so no label is cut off or turned."""
    font_size = 7
    labels = [printable(m) for m, _ in bands]
    left = min(int(max(stringWidth(label, FONT, font_size) for label in labels)) + 12, 260)
    width = _PORTRAIT_WIDTH
    bar = 16
    chart = HorizontalBarChart()
    chart.x, chart.y = left, 24
    chart.width, chart.height = int(width - left - 10), bar * len(bands)
    # Drawn bottom-up: reversed, so the first metric is at the top as in the table below.
    chart.data = [tuple(b[i] for _, b in reversed(bands)) for i in range(3)]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = font_size
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.style = "stacked"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = font_size
    chart.valueAxis.valueMin = 0
    for i, colour in enumerate(_BAND_COLOURS):
        chart.bars[i].fillColor = colors.HexColor(colour)
    height = chart.y + chart.height + 40
    drawing = Drawing(width, height)
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 0, height - 22
    legend.fontName, legend.fontSize = FONT, font_size
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = int(max(stringWidth(printable(n), FONT, font_size) for n in names or ("",)))
    legend.deltax += 30
    legend.colorNamePairs = [
        (colors.HexColor(c), printable(n)) for c, n in zip(_BAND_COLOURS, names, strict=False)
    ]
    drawing.add(legend)
    drawing.add(
        String(0, height - 10, "Schools per band for each metric", fontName=BOLD, fontSize=8)
    )
    drawing.add(String(left + chart.width / 2, 4, "Schools", fontName=FONT, fontSize=font_size))
    return _labelled(drawing, "the band chart")


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
        _table(rows, [2.0 * inch, 4.8 * inch], s, field="the appendix"),
        Spacer(1, 8),
        _table(audit, [4.0 * inch, 1.0 * inch], s, field="the audit summary"),
        *sections.audit_trail(report, s),
    ]
