"""Evidence files: type decided by content, bytes stored once by SHA-256, linked to items."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from review import audit, scope
from review.access import Action, Actor, Phase, require
from review.cycles import participation
from review.db import Blob, Cycle, Evidence, EvidenceLink
from review.errors import InvalidInput, NotFound
from review.rubrics import Rubric
from review.settings import Settings

ALLOWED = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "text/csv": "CSV",
    "text/plain": "text",
}
_OOXML = "application/vnd.openxmlformats-officedocument."
_OFFICE = {
    "word/document.xml": _OOXML + "wordprocessingml.document",
    "xl/workbook.xml": _OOXML + "spreadsheetml.sheet",
    "ppt/presentation.xml": _OOXML + "presentationml.presentation",
}
ALLOWED_NAMES = "PDF, PNG, JPEG, DOCX, XLSX, PPTX, CSV or TXT"
# A description says what a file shows; the narrative is the place for longer text.
MAX_DESCRIPTION = 2_000


def sniff(data: bytes, file_name: str) -> str:
    """The media type of `data`, decided by its content; the name only tells CSV from text.

    Raises:
        InvalidInput: naming the type found when it is not one of the allowed types.
    """
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data, file_name)
    if _is_text(data):
        return "text/csv" if file_name.lower().endswith(".csv") else "text/plain"
    guess = filetype.guess(data)
    found = f"{guess.mime} (.{guess.extension})" if guess else "unrecognised binary data"
    raise InvalidInput(f"{file_name}: the content is {found}; allowed types are {ALLOWED_NAMES}")


def _office_type(data: bytes, file_name: str) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        raise InvalidInput(f"{file_name}: the file is a damaged ZIP/Office file") from None
    for marker, media_type in _OFFICE.items():
        if marker in names and "[Content_Types].xml" in names:
            return media_type
    raise InvalidInput(
        f"{file_name}: the content is a ZIP archive; archives are not accepted, upload the "
        f"documents themselves ({ALLOWED_NAMES})"
    )


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return True


_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def sanitize_name(name: str) -> str:
    """A file name safe on every system: no folders, no control or shell characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = _UNSAFE.sub("_", base).strip(" ._")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = stem[:100] or "evidence"
    return f"{stem}.{ext[:10]}" if ext else stem


@dataclass(frozen=True)
class EvidenceFile:
    id: int
    file_name: str
    description: str
    media_type: str
    size: int
    sha256: str
    items: tuple[str, ...]


def add_evidence(
    session: Session,
    settings: Settings,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    *,
    district_id: int,
    file_name: str,
    data: bytes,
    description: str = "",
    items: tuple[str, ...] = (),
) -> EvidenceFile:
    """Store an uploaded file for a district and link it to items.

    The same content uploaded twice by a district is kept once; the new links are added.

    Raises:
        InvalidInput: an empty or too large file, a type that is not allowed, an unknown item,
            a description longer than `MAX_DESCRIPTION` characters.
        PermissionDenied: the actor does not edit this district.
    """
    require(actor, Action.UPLOAD_EVIDENCE, district_id=district_id)
    _check_editable(session, cycle, district_id)
    safe = sanitize_name(file_name)
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"{safe}: the description has {len(description):,} characters; "
            f"at most {MAX_DESCRIPTION:,} fit"
        )
    if not data:
        raise InvalidInput(f"{safe}: the file is empty")
    if len(data) > settings.max_evidence_bytes:
        raise InvalidInput(
            f"{safe}: {len(data) / 1_048_576:.1f} MB is over the limit of "
            f"{settings.max_evidence_mb} MB"
        )
    for item_id in items:
        rubric.item(item_id)
    media_type = sniff(data, safe)
    digest = hashlib.sha256(data).hexdigest()
    if session.get(Blob, digest) is None:
        session.add(Blob(sha256=digest, size=len(data), media_type=media_type, data=data))
    evidence = session.scalar(
        select(Evidence).where(
            Evidence.cycle_id == cycle.id,
            Evidence.district_id == district_id,
            Evidence.sha256 == digest,
        )
    )
    if evidence is None:
        evidence = Evidence(
            cycle_id=cycle.id,
            district_id=district_id,
            sha256=digest,
            file_name=safe,
            description=description,
            uploaded_by=actor.user_id,
            uploaded_at=audit.now(),
        )
        session.add(evidence)
        session.flush()
        audit.record(
            session,
            actor,
            "upload evidence",
            "evidence",
            evidence.id,
            after={"file_name": safe, "sha256": digest, "size": len(data)},
        )
    link_items(session, actor, evidence, items)
    return _view(session, evidence)


def _check_editable(session: Session, cycle: Cycle, district_id: int) -> None:
    if participation(session, cycle, district_id, lock="share").phase != Phase.DRAFT:
        raise InvalidInput("the self-evaluation is submitted; evidence can no longer change")


def link_items(session: Session, actor: Actor, evidence: Evidence, items: tuple[str, ...]) -> None:
    require(actor, Action.UPLOAD_EVIDENCE, district_id=evidence.district_id)
    have = set(
        session.scalars(select(EvidenceLink.item_id).where(EvidenceLink.evidence_id == evidence.id))
    )
    new = [i for i in dict.fromkeys(items) if i not in have]
    for item_id in new:
        session.add(EvidenceLink(evidence_id=evidence.id, item_id=item_id))
    if new:
        session.flush()
        audit.record(
            session,
            actor,
            "link evidence",
            "evidence",
            evidence.id,
            before={"items": sorted(have)},
            after={"items": sorted(have | set(new))},
        )


def link_existing(
    session: Session, actor: Actor, cycle: Cycle, evidence_id: int, items: tuple[str, ...]
) -> None:
    """Link a file the district already uploaded to more items."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.cycle_id != cycle.id:
        raise NotFound(f"no evidence file {evidence_id} in cycle {cycle.name}")
    _check_editable(session, cycle, evidence.district_id)
    link_items(session, actor, evidence, items)


def _view(session: Session, evidence: Evidence) -> EvidenceFile:
    return _files(session, Evidence.id == evidence.id)[0]


def evidence_for(
    session: Session, actor: Actor, cycle: Cycle, district_id: int
) -> list[EvidenceFile]:
    """Every file a district uploaded in a cycle, oldest first, for whoever may read it."""
    scope.check(session, actor, cycle, Action.READ_DISTRICT, district_id)
    return files_of(session, cycle, district_id)


def files_of(session: Session, cycle: Cycle, district_id: int) -> list[EvidenceFile]:
    """`evidence_for` unchecked: for the domain's own work and the operator's exports."""
    return _files(session, Evidence.cycle_id == cycle.id, Evidence.district_id == district_id)


def _files(session: Session, *where: ColumnElement[bool]) -> list[EvidenceFile]:
    """The metadata of the files matching `where`, oldest first, in one query; never bytes.

    Loading a Blob row reads its data column too: a page listing a district's files would read
    every file in full on every rerun.
    """
    rows = session.execute(
        select(Evidence, Blob.media_type, Blob.size, EvidenceLink.item_id)
        .join(Blob, Blob.sha256 == Evidence.sha256)
        .outerjoin(EvidenceLink, EvidenceLink.evidence_id == Evidence.id)
        .where(*where)
        .order_by(Evidence.id, EvidenceLink.item_id)
    )
    files: dict[int, tuple[Evidence, str, int, list[str]]] = {}
    for evidence, media_type, size, item_id in rows:
        entry = files.setdefault(evidence.id, (evidence, media_type, size, []))
        if item_id is not None:
            entry[3].append(item_id)
    return [
        EvidenceFile(
            id=evidence.id,
            file_name=evidence.file_name,
            description=evidence.description,
            media_type=media_type,
            size=size,
            sha256=evidence.sha256,
            items=tuple(items),
        )
        for evidence, media_type, size, items in files.values()
    ]


def read_evidence(session: Session, actor: Actor, cycle: Cycle, evidence_id: int) -> bytes:
    """The bytes of one file, for someone allowed to read that district."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.cycle_id != cycle.id:
        raise NotFound(f"no evidence file {evidence_id} in cycle {cycle.name}")
    scope.check(session, actor, cycle, Action.READ_DISTRICT, evidence.district_id)
    blob = session.get(Blob, evidence.sha256)
    assert blob is not None
    return blob.data
