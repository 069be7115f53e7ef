import hashlib
import io
import zipfile

import pytest
from sqlalchemy import func, select

from review import evidence
from review.db import Blob
from review.errors import InvalidInput, PermissionDenied
from review.settings import Settings

PDF = b"%PDF-1.4\n%synthetic test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _zip(names):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (PDF, "agenda.txt", "application/pdf"),
        (PNG, "photo.pdf", "image/png"),
        (b"\xff\xd8\xff\xe0rest", "p.jpg", "image/jpeg"),
        (
            _zip(["[Content_Types].xml", "word/document.xml"]),
            "notes.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            _zip(["[Content_Types].xml", "xl/workbook.xml"]),
            "survey.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            _zip(["[Content_Types].xml", "ppt/presentation.xml"]),
            "deck.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (b"date,name\n2016-01-12,Ana Pe\xc3\xb1a\n", "signin.csv", "text/csv"),
        ("Problème de pratique".encode(), "notes.txt", "text/plain"),
    ],
)
def test_sniff_decides_type_by_content(data, name, expected):
    assert evidence.sniff(data, name) == expected


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            b"MZ\x90\x00" + b"\x00" * 64,
            "report.pdf",
            "report.pdf: the content is application/x-msdownload (.exe); "
            "allowed types are PDF, PNG, JPEG, DOCX, XLSX, PPTX, CSV or TXT",
        ),
        (
            _zip(["a.txt"]),
            "bundle.zip",
            "bundle.zip: the content is a ZIP archive; archives are not accepted",
        ),
        (b"GIF89a" + b"\x00" * 20, "x.png", "x.png: the content is image/gif (.gif)"),
    ],
)
def test_sniff_refuses_other_types_naming_what_was_found(data, name, message):
    with pytest.raises(InvalidInput) as err:
        evidence.sniff(data, name)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\Agenda final.pdf", "Agenda final.pdf"),
        ("Peña <script>.pdf", "Pena _script_.pdf"),
        ("...", "evidence"),
        ("a" * 300 + ".pdf", "a" * 100 + ".pdf"),
    ],
)
def test_sanitize_name(name, safe):
    assert evidence.sanitize_name(name) == safe


def _add(world, s, data=PDF, name="agenda.pdf", items=("ENGAGE",), code="A"):
    return evidence.add_evidence(
        s,
        world.settings,
        world.leads[code],
        world.cycle(s),
        world.rubric,
        district_id=world.district_id(code),
        file_name=name,
        data=data,
        items=items,
    )


def test_add_evidence_stores_bytes_once_and_links_several_items(world):
    with world.db.session() as s:
        first = _add(world, s)
        again = _add(world, s, name="copy.pdf", items=("PDSA",))
        other = _add(world, s, code="B")
        assert first.id == again.id and other.id != first.id
        assert again.items == ("ENGAGE", "PDSA")
        assert first.sha256 == hashlib.sha256(PDF).hexdigest()
        assert s.scalar(select(func.count()).select_from(Blob)) == 1
        assert evidence.read_evidence(s, world.leads["B"], world.cycle(s), first.id) == PDF


def test_add_evidence_over_size_limit_is_refused(world):
    settings = world.settings.model_copy(update={"max_evidence_mb": 1})
    assert isinstance(settings, Settings)
    with (
        world.db.session() as s,
        pytest.raises(InvalidInput, match=r"big.pdf: 2.0 MB is over the limit of 1 MB"),
    ):
        evidence.add_evidence(
            s,
            settings,
            world.leads["A"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            file_name="big.pdf",
            data=PDF + b"0" * (2 * 1024 * 1024 - len(PDF)),
        )


def test_add_evidence_description_over_the_limit_is_refused(world):
    def add(s, description):
        return evidence.add_evidence(
            s,
            world.settings,
            world.leads["A"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            file_name="agenda.pdf",
            data=PDF,
            description=description,
        )

    with world.db.session() as s:
        with pytest.raises(InvalidInput) as err:
            add(s, "d" * 2_001)
        assert str(err.value) == (
            "agenda.pdf: the description has 2,001 characters; at most 2,000 fit"
        )
        # Surrounding spaces are not counted: the limit is on what is stored.
        assert add(s, " " + "d" * 2_000 + "\n").description == "d" * 2_000


def test_add_evidence_empty_and_unknown_item_refused(world):
    with world.db.session() as s:
        with pytest.raises(InvalidInput, match="agenda.pdf: the file is empty"):
            _add(world, s, data=b"")
        with pytest.raises(Exception, match="has no item NOPE"):
            _add(world, s, items=("NOPE",))


def test_add_evidence_for_another_district_is_refused(world):
    with world.db.session() as s, pytest.raises(PermissionDenied):
        evidence.add_evidence(
            s,
            world.settings,
            world.leads["B"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            file_name="a.pdf",
            data=PDF,
        )


def test_read_evidence_by_unassigned_reviewer_is_refused(world):
    with world.db.session() as s:
        file = _add(world, s)
        with pytest.raises(PermissionDenied):
            evidence.read_evidence(s, world.leads["D"], world.cycle(s), file.id)
