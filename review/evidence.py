"""Evidence files: type decided by content, bytes stored once by SHA-256, linked to items."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from review import audit, scope
from review.access import Action, Actor, Phase
from review.cycles import participation
from review.db import Blob, Cycle, Evidence, EvidenceLink
from review.errors import ConflictError, InvalidInput, NotFound, ReviewError
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
# The extensions a stored file may carry for each type, the first one given when the name's own
# does not fit: a download opens with the program its content is for, never as a script or page.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    _OOXML + "wordprocessingml.document": (".docx",),
    _OOXML + "spreadsheetml.sheet": (".xlsx",),
    _OOXML + "presentationml.presentation": (".pptx",),
    "text/csv": (".csv",),
    "text/plain": (".txt",),
}
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


def stored_name(name: str, media_type: str) -> str:
    """`sanitize_name(name)` ending in an extension of `media_type`.

    A last extension that fits the type is kept; any other is dropped, and the type's own added
    unless what is left already ends in one: `minutes.bat` holding text is stored as
    `minutes.txt`, `agenda.pdf.exe` as `agenda.pdf.txt` if it is text and `agenda.pdf` if it is
    a PDF. (Migration 0014 renames files stored before this rule by it.)
    """
    safe = sanitize_name(name)
    fitting = EXTENSIONS[media_type]
    stem, dot, ext = safe.rpartition(".")
    if not dot:
        stem = safe
    elif f".{ext.lower()}" in fitting:
        return safe
    if stem.lower().endswith(fitting):
        return stem
    return stem + fitting[0]


@dataclass(frozen=True)
class EvidenceFile:
    id: int
    file_name: str
    description: str
    media_type: str
    size: int
    sha256: str
    items: tuple[str, ...]
    row_version: int = 1


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

    The same content uploaded twice by a district is kept once; the new links are added, and a
    new description, if one is given, replaces the old one. The stored name ends in the
    extension of the type found in the content (`stored_name`).

    Raises:
        InvalidInput: an empty or too large file, a type that is not allowed, an unknown item,
            a description over MAX_DESCRIPTION characters, a district past its draft.
        PermissionDenied: the actor does not edit this district.
    """
    _check_editable(session, actor, cycle, district_id)
    for item_id in items:
        rubric.item(item_id)
    description = _checked_description(description, sanitize_name(file_name))
    blob = _store(session, settings, file_name, data)
    evidence = session.scalar(
        select(Evidence).where(
            Evidence.cycle_id == cycle.id,
            Evidence.district_id == district_id,
            Evidence.sha256 == blob.sha256,
        )
    )
    if evidence is None:
        evidence = Evidence(
            cycle_id=cycle.id,
            district_id=district_id,
            sha256=blob.sha256,
            file_name=stored_name(file_name, blob.media_type),
            description=description,
            uploaded_by=actor.user_id,
            uploaded_at=audit.now(),
            row_version=1,
        )
        session.add(evidence)
        session.flush()
        audit.record(
            session,
            actor,
            "upload evidence",
            "evidence",
            evidence.id,
            after={"file_name": evidence.file_name, "sha256": blob.sha256, "size": blob.size},
        )
    elif description and description != evidence.description:
        _describe(session, actor, evidence, description, evidence.row_version)
    link_items(session, actor, evidence, items)
    return _view(session, evidence)


def _store(session: Session, settings: Settings, file_name: str, data: bytes) -> Blob:
    """The blob holding `data`, added unless the same bytes are stored already.

    Raises:
        InvalidInput: an empty or too large file, or a type that is not allowed.
    """
    safe = sanitize_name(file_name)
    if not data:
        raise InvalidInput(f"{safe}: the file is empty")
    if len(data) > settings.max_evidence_bytes:
        raise InvalidInput(
            f"{safe}: {len(data) / 1_048_576:.1f} MB is over the limit of "
            f"{settings.max_evidence_mb} MB"
        )
    media_type = sniff(data, safe)
    digest = hashlib.sha256(data).hexdigest()
    blob = session.get(Blob, digest)
    if blob is None:
        blob = Blob(sha256=digest, size=len(data), media_type=media_type, data=data)
        session.add(blob)
    return blob


def _checked_description(description: str, file_name: str) -> str:
    text = description.strip()
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"{file_name}: the description has {len(text):,} characters; "
            f"at most {MAX_DESCRIPTION:,} fit"
        )
    return text


def _check_editable(session: Session, actor: Actor, cycle: Cycle, district_id: int) -> None:
    """Refuse unless `actor` edits the district and its self-evaluation is still a draft."""
    scope.check(session, actor, cycle, Action.UPLOAD_EVIDENCE, district_id)
    phase = participation(session, cycle, district_id, lock="share").phase
    if phase == Phase.FINAL:
        raise InvalidInput("the district's review is final: its evidence is locked")
    if phase != Phase.DRAFT:
        raise InvalidInput("the self-evaluation is submitted; evidence can no longer change")


def link_items(session: Session, actor: Actor, evidence: Evidence, items: tuple[str, ...]) -> None:
    """Link `evidence` to more items; its version moves so a stale removal is refused."""
    have = set(
        session.scalars(select(EvidenceLink.item_id).where(EvidenceLink.evidence_id == evidence.id))
    )
    new = [i for i in dict.fromkeys(items) if i not in have]
    for item_id in new:
        session.add(EvidenceLink(evidence_id=evidence.id, item_id=item_id))
    if new:
        session.flush()
        session.execute(
            update(Evidence)
            .where(Evidence.id == evidence.id)
            .values(row_version=Evidence.row_version + 1)
            .execution_options(synchronize_session=False)
        )
        session.refresh(evidence)
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
    evidence = _editable(session, actor, cycle, evidence_id)
    link_items(session, actor, evidence, items)


def unlink(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    evidence_id: int,
    item_id: str,
    *,
    expected_version: int,
) -> EvidenceFile:
    """Take `item_id` off a file's links; the file itself stays with the district.

    Raises:
        ConflictError: the file changed since `expected_version` was read.
        NotFound: no such file, or it is not linked to `item_id`.
        InvalidInput: the district is past its draft.
    """
    evidence = _editable(session, actor, cycle, evidence_id)
    before = _items(session, evidence.id)
    if item_id not in before:
        raise NotFound(f"{evidence.file_name} is not linked to {item_id}")
    _bump(session, evidence, expected_version)
    session.execute(
        delete(EvidenceLink).where(
            EvidenceLink.evidence_id == evidence.id, EvidenceLink.item_id == item_id
        )
    )
    audit.record(
        session,
        actor,
        "unlink evidence",
        "evidence",
        evidence.id,
        before={"items": before},
        after={"items": [i for i in before if i != item_id]},
    )
    return _view(session, evidence)


def remove(
    session: Session, actor: Actor, cycle: Cycle, evidence_id: int, *, expected_version: int
) -> str:
    """Remove a file that no item links; returns its name.

    Its bytes stay in the blob store, and the audit event names their SHA-256, so a removal
    loses nothing.

    Raises:
        ConflictError: the file changed (or was linked) since `expected_version` was read.
        InvalidInput: the file is still linked to an item, or the district is past its draft.
    """
    evidence = _editable(session, actor, cycle, evidence_id)
    linked = _items(session, evidence.id)
    if linked:
        raise InvalidInput(
            f"{evidence.file_name} is linked to {', '.join(linked)}; unlink it from every item "
            "before removing it"
        )
    name, snapshot = evidence.file_name, _snapshot(evidence)
    removed = session.execute(
        delete(Evidence)
        .where(Evidence.id == evidence.id, Evidence.row_version == expected_version)
        .execution_options(synchronize_session=False)
    )
    if removed.rowcount != 1:  # type: ignore[attr-defined]
        raise _conflict(session, evidence, expected_version)
    session.expunge(evidence)
    audit.record(session, actor, "remove evidence", "evidence", evidence_id, before=snapshot)
    return name


def replace(
    session: Session,
    settings: Settings,
    actor: Actor,
    cycle: Cycle,
    evidence_id: int,
    *,
    file_name: str,
    data: bytes,
    expected_version: int,
) -> EvidenceFile:
    """Put new bytes under an uploaded file, keeping its description and links.

    The old bytes stay in the blob store; the audit event names both SHA-256 sums.

    Raises:
        ConflictError: the file changed since `expected_version` was read.
        InvalidInput: the new file is refused as an upload would be, is the same as the old
            one, or is already another file of the district; or the district is past its draft.
    """
    evidence = _editable(session, actor, cycle, evidence_id)
    blob = _store(session, settings, file_name, data)
    if blob.sha256 == evidence.sha256:
        raise InvalidInput(f"{sanitize_name(file_name)} is the same as {evidence.file_name}")
    twin = session.scalar(
        select(Evidence.file_name).where(
            Evidence.cycle_id == cycle.id,
            Evidence.district_id == evidence.district_id,
            Evidence.sha256 == blob.sha256,
        )
    )
    if twin is not None:
        raise InvalidInput(
            f"{sanitize_name(file_name)} is already uploaded as {twin}; link that file instead"
        )
    before = _snapshot(evidence)
    session.flush()
    _bump(
        session,
        evidence,
        expected_version,
        sha256=blob.sha256,
        file_name=stored_name(file_name, blob.media_type),
        uploaded_by=actor.user_id,
        uploaded_at=audit.now(),
    )
    audit.record(
        session,
        actor,
        "replace evidence",
        "evidence",
        evidence.id,
        before=before,
        after=_snapshot(evidence),
    )
    return _view(session, evidence)


def describe(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    evidence_id: int,
    description: str,
    *,
    expected_version: int,
) -> EvidenceFile:
    """Change what a file's description says.

    Raises:
        ConflictError: the file changed since `expected_version` was read.
        InvalidInput: a description over MAX_DESCRIPTION characters, or a district past its draft.
    """
    evidence = _editable(session, actor, cycle, evidence_id)
    _describe(
        session,
        actor,
        evidence,
        _checked_description(description, evidence.file_name),
        expected_version,
    )
    return _view(session, evidence)


def _describe(
    session: Session, actor: Actor, evidence: Evidence, description: str, expected_version: int
) -> None:
    before = {"description": evidence.description}
    _bump(session, evidence, expected_version, description=description)
    audit.record(
        session,
        actor,
        "describe evidence",
        "evidence",
        evidence.id,
        before=before,
        after={"description": description},
    )


def _editable(session: Session, actor: Actor, cycle: Cycle, evidence_id: int) -> Evidence:
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.cycle_id != cycle.id:
        raise NotFound(f"no evidence file {evidence_id} in cycle {cycle.name}")
    _check_editable(session, actor, cycle, evidence.district_id)
    return evidence


def _bump(session: Session, evidence: Evidence, expected_version: int, **values: object) -> None:
    """UPDATE the file only if it is still at `expected_version`: the database decides."""
    changed = session.execute(
        update(Evidence)
        .where(Evidence.id == evidence.id, Evidence.row_version == expected_version)
        .values(row_version=Evidence.row_version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise _conflict(session, evidence, expected_version)
    session.refresh(evidence)


def _conflict(session: Session, evidence: Evidence, expected_version: int) -> ReviewError:
    current = session.scalar(select(Evidence.row_version).where(Evidence.id == evidence.id))
    if current is None:
        return NotFound(f"{evidence.file_name} was removed by someone else; nothing was changed")
    return ConflictError(
        f"{evidence.file_name}: someone changed this file after you opened it (version "
        f"{current}, you started from {expected_version}); nothing was changed. The page now "
        "shows their version: make your change again if it is still needed.",
        current={},
    )


def _items(session: Session, evidence_id: int) -> list[str]:
    return sorted(
        session.scalars(select(EvidenceLink.item_id).where(EvidenceLink.evidence_id == evidence_id))
    )


def _snapshot(evidence: Evidence) -> dict[str, object]:
    return {
        "file_name": evidence.file_name,
        "sha256": evidence.sha256,
        "description": evidence.description,
        "row_version": evidence.row_version,
    }


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
            row_version=evidence.row_version,
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
