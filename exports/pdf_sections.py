"""The packet's record sections in the PDF: summary, item notes and context, the audit trail,
definitions and sign-off. Drawn with pdf.py's escaped text and splittable tables."""

from __future__ import annotations

from datetime import datetime

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table

from exports import pdf as base
from exports import record
from exports.report import ItemSection, Report
from review.figures import written

Styles = dict[str, ParagraphStyle]
_KINDS = {"question": "Question", "answer": "Answer", "discussion": "Discussion"}


def day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def finalized_line(report: Report) -> str:
    """ "2016-06-30 14:00 UTC by Coordinator", or "" when the packet is not final."""
    if not report.final:
        return ""
    if report.finalized is None:
        return "final (no finalization is recorded)"
    at, who = report.finalized
    return f"{at:%Y-%m-%d %H:%M} UTC by {who}"


def summary(report: Report, s: Styles) -> list[Flowable]:
    story: list[Flowable] = [base._Heading("Summary", s["h1"], 0, "summary")]
    story.append(
        Paragraph(
            f"Overall compliance status: <b>{base.text(report.overall_status)}</b>. "
            f"Data as of {base.text(base.as_of(report))}.",
            s["body"],
        )
    )
    for paragraph in report.summary:
        story.append(Spacer(1, 4))
        story.append(base._para(base.text(paragraph), s["body"], "the summary"))
    return [*story, PageBreak()]


def wording(item: ItemSection, s: Styles) -> list[Flowable]:
    """Under an item's descriptors: whose words each is, and how the item stands to its
    sources."""
    where = f"item {item.item_id}"
    story: list[Flowable] = [
        base._para(f"<b>Wording:</b> {base.text(line)}", s["small"], f"{where}, wording")
        for line in record.wording_lines(item)
    ]
    if item.source_note:
        note = f"<b>About the sources:</b> {base.text(item.source_note)}"
        story.append(base._para(note, s["small"], f"{where}, note on sources"))
    return story


def item_record(item: ItemSection, s: Styles) -> list[Flowable]:
    """Questions, answers and discussion; evidence; context measures, under an item."""
    where = f"item {item.item_id}"
    story: list[Flowable] = []
    if item.notes:
        rows: list[list[object]] = [["", "From", "Date", "Text"]]
        rows += [[_KINDS.get(n.kind, n.kind), n.author, day(n.at), n.body] for n in item.notes]
        widths = [0.9 * inch, 1.1 * inch, 0.8 * inch, 4.0 * inch]
        story += [
            Paragraph("<b>Questions, answers and discussion</b>", s["body"]),
            base._table(rows, widths, s, field=f"{where}, questions and discussion"),
        ]
    files = "; ".join(item.evidence_files) if item.evidence_files else "none linked"
    evidence = f"<b>Evidence:</b> {base.text(files)}"
    story.append(base._para(evidence, s["body"], f"{where}, evidence"))
    if item.context:
        rows = [["Context measure", "Reported", "Per 1,000 students"]]
        rows += [
            [c.label, _count(c.count), "" if c.per_thousand is None else written(c.per_thousand)]
            for c in item.context
        ]
        story.append(
            base._table(
                rows, [3.6 * inch, 1.4 * inch, 1.8 * inch], s, field=f"{where}, context measures"
            )
        )
    return story


def _count(count: int | None) -> str:
    return "not reported" if count is None else written(count)


def audit_trail(report: Report, s: Styles) -> list[Flowable]:
    rows: list[list[object]] = [["When (UTC)", "Who", "Action", "Item", "Before", "After"]]
    rows += [
        [f"{r.at:%Y-%m-%d %H:%M}", r.who, r.action, r.item, r.before, r.after]
        for r in report.audit_rows
    ]
    widths = [0.95 * inch, 0.9 * inch, 1.0 * inch, 0.65 * inch, 1.65 * inch, 1.65 * inch]
    return [
        Paragraph("Audit trail", s["h2"]),
        Paragraph(
            "Every audited event on this review, oldest first. Long texts are cut here; the "
            "item pages print them whole. Values the district may not see yet are not shown.",
            s["small"],
        ),
        base._table(rows, widths, s, field="the audit trail")
        if report.audit_rows
        else Paragraph("Nothing recorded yet.", s["body"]),
    ]


def definitions(report: Report, s: Styles) -> list[Flowable]:
    story: list[Flowable] = [
        PageBreak(),
        base._Heading("Definitions", s["h1"], 0, "definitions"),
    ]
    for section, terms in report.definitions:
        rows: list[list[object]] = [[section, "Meaning"]]
        rows += [[term, meaning] for term, meaning in terms]
        story += [
            Spacer(1, 6),
            base._table(rows, [2.2 * inch, 4.6 * inch], s, field=f"the definitions ({section})"),
        ]
    return story


def sign_off(report: Report, s: Styles) -> list[Flowable]:
    """Signature and date lines for a final packet; nothing for a draft."""
    if not report.sign_off:
        return []
    rows: list[list[object]] = [["Role", "Name", "Signature", "Date"]]
    rows += [[role, name, "", ""] for role, name in report.sign_off]
    table = base._table(
        rows, [2.4 * inch, 1.6 * inch, 1.8 * inch, 1.0 * inch], s, field="the sign-off block"
    )
    if isinstance(table, Table):  # room to sign on each line
        table.setStyle([("BOTTOMPADDING", (0, 1), (-1, -1), 18)])
    return [
        PageBreak(),
        base._Heading("Sign-off", s["h1"], 0, "sign-off"),
        Paragraph(f"Finalized on {base.text(finalized_line(report))}.", s["body"]),
        Spacer(1, 8),
        KeepTogether([table]),
    ]
