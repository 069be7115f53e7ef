"""The ZIP packet: PDF, workbook, evidence files under safe unique names, and a manifest."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from exports.excel import render_xlsx
from exports.pdf import render_pdf
from exports.report import Report, build_report
from review.db import Blob, Evidence
from review.evidence import sanitize_name
from review.index.models import DistrictSummary
from review.rubrics import Catalogue

# Fixed entry dates keep the archive identical for identical data.
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)


def packet_name(report: Report) -> str:
    return f"{sanitize_name(report.district_code)}-{sanitize_name(report.cycle)}-packet"


def evidence_path(index: int, file_name: str) -> str:
    """A unique, safe name inside the archive (numbered, so equal names cannot collide)."""
    return f"evidence/{index:03d}-{sanitize_name(file_name)}"


def build_packet(
    session: Session,
    catalogue: Catalogue,
    *,
    cycle_name: str,
    district_code: str,
    index: DistrictSummary | None = None,
) -> tuple[Report, bytes]:
    """The report and the bytes of its ZIP packet (with the index summary when given)."""
    report = build_report(
        session, catalogue, cycle_name=cycle_name, district_code=district_code, index=index
    )
    name = packet_name(report)
    files: list[tuple[str, bytes]] = [
        (f"{name}.pdf", render_pdf(report)),
        (f"{name}.xlsx", render_xlsx(report)),
    ]
    for number, row in enumerate(report.evidence, start=1):
        evidence = session.get(Evidence, row.evidence_id)
        blob = session.get(Blob, row.sha256)
        assert evidence is not None and blob is not None
        files.append((evidence_path(number, row.file_name), blob.data))
    return report, _zip(report, files)


def _zip(report: Report, files: list[tuple[str, bytes]]) -> bytes:
    manifest = {
        "district": report.district_code,
        "cycle": report.cycle,
        "rubric": report.rubric_key,
        "rubric_sha256": report.rubric_hash,
        "files": [
            {"path": path, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for path, data in files
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in [*files, ("manifest.json", json.dumps(manifest, indent=2).encode())]:
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def write_atomically(target: Path, data: bytes) -> None:
    """Write a file so that it either appears whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def staged(out_dir: Path) -> Iterator[Path]:
    """A staging folder whose files move into `out_dir` only if the whole block succeeds."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out_dir, prefix=".partial-"))
    try:
        yield stage
        for path in sorted(stage.iterdir()):
            os.replace(path, out_dir / path.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def bundle(packets: list[tuple[str, bytes]]) -> bytes:
    """Several packets in one ZIP, for a single download of all districts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in packets:
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), data)
    return buffer.getvalue()
