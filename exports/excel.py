"""The packet as an Excel workbook: real cell types, frozen headers, filters, no formulas."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from exports.excel_record import record_sheets
from exports.report import Report
from review import figures

_HEADER_FILL = PatternFill("solid", fgColor="E8EEF5")
# A fixed timestamp keeps the workbook identical for identical data.
_FIXED_TIME = datetime(2000, 1, 1)
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")

Cell = str | int | float | Decimal | datetime | None


def render_xlsx(report: Report) -> bytes:
    """The packet's sheets: ratings, reconciliation, suggestions, evidence, index summary."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    _sheet(workbook, "Ratings", *_ratings(report))
    _sheet(workbook, "Reconciliation", *_reconciliation(report))
    _sheet(workbook, "Suggestions", *_suggestions(report))
    _sheet(workbook, "Evidence", *_evidence(report))
    for table in report.index_tables:
        _sheet(workbook, table.sheet or table.title, table.header, list(table.rows))
    for title, header, rows in record_sheets(report):
        _sheet(workbook, title, header, rows)
    workbook.properties.creator = "District Peer Review"
    workbook.properties.title = report.title
    # When the data last changed (as in the PDF), so that the same data gives the same file.
    stamp = _naive(report.as_of) if report.as_of else _FIXED_TIME
    workbook.properties.created = workbook.properties.modified = stamp
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _without_clock(buffer.getvalue(), stamp)


def _without_clock(data: bytes, stamp: datetime) -> bytes:
    """Pin the save time openpyxl stamps into the file and its ZIP entries (determinism)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                when = f"{stamp:%Y-%m-%dT%H:%M:%SZ}".encode()
                content = _MODIFIED.sub(rb"\g<1>" + when + rb"\g<2>", content)
            target.writestr(
                zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE),
                content,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()


def _sheet(
    workbook: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]
) -> None:
    sheet = workbook.create_sheet(_sheet_title(title))
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for values in rows:
        sheet.append([_safe(v) for v in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, Decimal | int) and not isinstance(cell.value, bool):
                # Shown as the PDF and the command line write it (73,500; 5.0; 23.50).
                cell.number_format = figures.number_format(cell.value)
    sheet.freeze_panes = "A2"
    last = get_column_letter(max(1, len(header)))
    sheet.auto_filter.ref = f"A1:{last}{max(1, sheet.max_row)}"
    for index, name in enumerate(header, start=1):
        longest = max(
            [len(str(name))]
            + [len(str(r[index - 1] or "")) for r in rows[:200] if index - 1 < len(r)]
        )
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, longest + 2))


def _sheet_title(title: str) -> str:
    return "".join("_" if c in "[]:*?/\\" else c for c in title)[:31]


def _safe(value: Cell) -> Cell:
    """Drop control characters, which a workbook cannot hold (openpyxl refuses them); times
    lose their zone, which a workbook cannot hold either (they are UTC, as the header says)."""
    if isinstance(value, str):
        cleaned = "".join(c for c in value if c in "\t\n\r" or ord(c) >= 32)
        return cleaned
    if isinstance(value, datetime):
        return _naive(value)
    return value


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _ratings(report: Report) -> tuple[list[str], list[list[Cell]]]:
    reviewers = sorted({p.reviewer for i in report.items for p in i.peers})
    # Reviewers are district codes in a final packet ("Peer B"), "Peer 1" and so on before.
    header = ["Item", "Title", "Self level"]
    header += [f"Peer {r}" if report.final else r for r in reviewers]
    header += ["Final level", "Status"]
    rows: list[list[Cell]] = []
    for item in report.items:
        peers = {p.reviewer: p.level for p in item.peers}
        rows.append(
            [
                item.item_id,
                item.title,
                "N/A" if item.self_not_applicable else item.self_level,
                *[peers.get(r) for r in reviewers],
                item.final_level,
                item.status,
            ]
        )
    return header, rows


def _reconciliation(report: Report) -> tuple[list[str], list[list[Cell]]]:
    header = ["Item", "Flags", "Final level", "Method", "Rationale", "Decided by"]
    header += ["Decided at (UTC)"]
    rows: list[list[Cell]] = []
    for item in report.items:
        d = item.decision
        rows.append(
            [
                item.item_id,
                "; ".join(item.flags),
                item.final_level,
                d.method if d else None,
                d.rationale if d else None,
                d.decided_by if d else None,
                d.decided_at if d else None,
            ]
        )
    return header, rows


def _suggestions(report: Report) -> tuple[list[str], list[list[Cell]]]:
    header = ["Item", "Reviewer", "Level", "Rationale", "Suggestions"]
    rows: list[list[Cell]] = [
        [i.item_id, p.reviewer, p.level, p.rationale, p.suggestions]
        for i in report.items
        for p in i.peers
    ]
    return header, rows


def _evidence(report: Report) -> tuple[list[str], list[list[Cell]]]:
    header = ["File", "Description", "Items", "Type", "Bytes", "SHA-256"]
    rows: list[list[Cell]] = [
        [e.file_name, e.description, ", ".join(e.items), e.media_type, e.size, e.sha256]
        for e in report.evidence
    ]
    return header, rows
