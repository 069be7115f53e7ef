import hashlib
import io
import zipfile

import pytest
from sqlalchemy import func, select

from review import audit, cycles, evidence
from review.access import Phase
from review.db import Blob, Evidence
from review.errors import ConflictError, InvalidInput, NotFound, PermissionDenied
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


TEXT = b"Minutes of the parent forum, 12 January 2016.\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<html><body><img src=x onerror=alert(1)></body></html>"


@pytest.mark.parametrize(
    ("name", "data", "stored"),
    [
        ("minutes.bat", TEXT, "minutes.txt"),
        ("agenda.html", HTML, "agenda.txt"),
        ("image.svg", SVG, "image.txt"),
        ("agenda.pdf.exe", TEXT, "agenda.pdf.txt"),
        ("agenda.pdf.exe", PDF, "agenda.pdf"),
        ("minutes.txt.bat", TEXT, "minutes.txt"),
        ("agenda.pdf", TEXT, "agenda.txt"),
        ("minutes", TEXT, "minutes.txt"),
        ("notes.TXT", TEXT, "notes.TXT"),
        ("scan.txt", PDF, "scan.pdf"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0rest", "photo.jpeg"),
        ("photo.png", b"\xff\xd8\xff\xe0rest", "photo.jpg"),
        ("signin.csv", b"a,b\n1,2\n", "signin.csv"),
    ],
)
def test_stored_file_name_ends_in_the_extension_of_its_content(world, name, data, stored):
    with world.db.session() as s:
        added = _add(world, s, data=data, name=name)
    assert (added.file_name, added.media_type.startswith("text/")) == (
        stored,
        stored.lower().endswith((".txt", ".csv")),
    )


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


def _file(world, s, evidence_id):
    return next(
        f
        for f in evidence.files_of(s, world.cycle(s), world.district_id("A"))
        if f.id == evidence_id
    )


def _events(s, evidence_id):
    return [
        (e.action, e.before, e.after)
        for e in audit.events(s, entity="evidence")
        if e.entity_id == str(evidence_id)
    ]


def test_reuploading_same_file_with_new_description_updates_it(world):
    with world.db.session() as s:
        first = evidence.add_evidence(
            s,
            world.settings,
            world.leads["A"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            file_name="agenda.pdf",
            data=PDF,
            description="Draft agenda",
            items=("ENGAGE",),
        )
        again = evidence.add_evidence(
            s,
            world.settings,
            world.leads["A"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            file_name="agenda.pdf",
            data=PDF,
            description="  Final agenda, as sent  ",
            items=("ENGAGE",),
        )
        kept = evidence.add_evidence(
            s,
            world.settings,
            world.leads["A"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            file_name="agenda.pdf",
            data=PDF,
            description="",
            items=(),
        )
    assert (first.id, first.row_version) == (again.id, 2)  # 1 on upload, 2 once linked
    assert (again.description, again.row_version) == ("Final agenda, as sent", 3)
    assert (kept.description, kept.row_version) == ("Final agenda, as sent", 3)
    with world.db.reading() as s:
        assert _events(s, first.id)[-1] == (
            "describe evidence",
            {"description": "Draft agenda"},
            {"description": "Final agenda, as sent"},
        )


def test_unlink_takes_one_item_off_and_is_audited(world):
    with world.db.session() as s:
        added = _add(world, s, items=("ENGAGE", "PDSA"))
        left = evidence.unlink(
            s,
            world.leads["A"],
            world.cycle(s),
            added.id,
            "ENGAGE",
            expected_version=added.row_version,
        )
    assert (added.items, added.row_version) == (("ENGAGE", "PDSA"), 2)
    assert (left.items, left.row_version) == (("PDSA",), 3)
    with world.db.reading() as s:
        assert _events(s, added.id)[-1] == (
            "unlink evidence",
            {"items": ["ENGAGE", "PDSA"]},
            {"items": ["PDSA"]},
        )


def test_unlink_from_a_stale_version_is_refused_and_changes_nothing(world):
    with world.db.session() as s:
        added = _add(world, s, items=("ENGAGE", "PDSA"))
    with world.db.session() as s:
        evidence.unlink(s, world.leads["A"], world.cycle(s), added.id, "PDSA", expected_version=2)
    with world.db.session() as s, pytest.raises(ConflictError) as err:
        evidence.unlink(s, world.leads["A"], world.cycle(s), added.id, "ENGAGE", expected_version=2)
    assert str(err.value) == (
        "agenda.pdf: someone changed this file after you opened it (version 3, you started from "
        "2); nothing was changed. The page now shows their version: make your change again if "
        "it is still needed."
    )
    with world.db.reading() as s:
        assert _file(world, s, added.id).items == ("ENGAGE",)


def test_unlink_an_item_not_linked_is_not_found(world):
    with world.db.session() as s:
        added = _add(world, s)
        with pytest.raises(NotFound, match="^agenda.pdf is not linked to PDSA$"):
            evidence.unlink(
                s, world.leads["A"], world.cycle(s), added.id, "PDSA", expected_version=2
            )


def test_remove_refuses_a_linked_file_and_removes_an_unlinked_one_keeping_its_bytes(world):
    with world.db.session() as s:
        added = _add(world, s, items=("ENGAGE",))
        with pytest.raises(InvalidInput) as err:
            evidence.remove(s, world.leads["A"], world.cycle(s), added.id, expected_version=2)
        assert str(err.value) == (
            "agenda.pdf is linked to ENGAGE; unlink it from every item before removing it"
        )
        left = evidence.unlink(
            s, world.leads["A"], world.cycle(s), added.id, "ENGAGE", expected_version=2
        )
        name = evidence.remove(
            s, world.leads["A"], world.cycle(s), added.id, expected_version=left.row_version
        )
    assert name == "agenda.pdf"
    with world.db.reading() as s:
        assert evidence.files_of(s, world.cycle(s), world.district_id("A")) == []
        assert s.get(Blob, hashlib.sha256(PDF).hexdigest()).data == PDF
        assert _events(s, added.id)[-1] == (
            "remove evidence",
            {
                "file_name": "agenda.pdf",
                "sha256": hashlib.sha256(PDF).hexdigest(),
                "description": "",
                "row_version": 3,
            },
            None,
        )


def test_remove_after_someone_linked_the_file_is_refused(world):
    with world.db.session() as s:
        added = _add(world, s, items=())
    assert added.row_version == 1
    with world.db.session() as s:
        evidence.link_existing(s, world.leads["A"], world.cycle(s), added.id, ("PDSA",))
    with world.db.session() as s, pytest.raises(InvalidInput, match="is linked to PDSA"):
        evidence.remove(s, world.leads["A"], world.cycle(s), added.id, expected_version=1)


def test_remove_a_file_removed_meanwhile_says_so(world):
    with world.db.session() as s:
        added = _add(world, s, items=())
    with world.db.session() as s:
        evidence.remove(s, world.leads["A"], world.cycle(s), added.id, expected_version=1)
    with world.db.session() as s, pytest.raises(NotFound, match=f"no evidence file {added.id}"):
        evidence.remove(s, world.leads["A"], world.cycle(s), added.id, expected_version=1)


NEW_PDF = b"%PDF-1.4\n%the signed version\n"


def test_replace_keeps_links_and_description_and_old_bytes(world):
    with world.db.session() as s:
        added = evidence.add_evidence(
            s,
            world.settings,
            world.leads["A"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            file_name="agenda.pdf",
            data=PDF,
            description="Forum agenda",
            items=("ENGAGE", "PDSA"),
        )
        new = evidence.replace(
            s,
            world.settings,
            world.leads["A"],
            world.cycle(s),
            added.id,
            file_name="agenda-signed.pdf",
            data=NEW_PDF,
            expected_version=added.row_version,
        )
    old_sha, new_sha = hashlib.sha256(PDF).hexdigest(), hashlib.sha256(NEW_PDF).hexdigest()
    assert (new.id, new.file_name, new.description, new.items, new.sha256, new.size) == (
        added.id,
        "agenda-signed.pdf",
        "Forum agenda",
        ("ENGAGE", "PDSA"),
        new_sha,
        len(NEW_PDF),
    )
    assert new.row_version == added.row_version + 1
    with world.db.reading() as s:
        assert evidence.read_evidence(s, world.leads["B"], world.cycle(s), added.id) == NEW_PDF
        assert s.get(Blob, old_sha).data == PDF
        action, before, after = _events(s, added.id)[-1]
        assert (action, before, after) == (
            "replace evidence",
            {
                "file_name": "agenda.pdf",
                "sha256": old_sha,
                "description": "Forum agenda",
                "row_version": 2,
            },
            {
                "file_name": "agenda-signed.pdf",
                "sha256": new_sha,
                "description": "Forum agenda",
                "row_version": 3,
            },
        )


def test_replace_with_a_text_file_named_exe_stores_it_as_text(world):
    with world.db.session() as s:
        added = _add(world, s)
        new = evidence.replace(
            s,
            world.settings,
            world.leads["A"],
            world.cycle(s),
            added.id,
            file_name="agenda.pdf.exe",
            data=TEXT,
            expected_version=added.row_version,
        )
    assert (new.file_name, new.media_type) == ("agenda.pdf.txt", "text/plain")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (PDF, "agenda.pdf is the same as agenda.pdf"),
        (NEW_PDF, "agenda.pdf is already uploaded as minutes.pdf; link that file instead"),
        (b"", "agenda.pdf: the file is empty"),
    ],
)
def test_replace_refusals(world, data, message):
    with world.db.session() as s:
        added = _add(world, s)
        _add(world, s, data=NEW_PDF, name="minutes.pdf", items=())
        with pytest.raises(InvalidInput) as err:
            evidence.replace(
                s,
                world.settings,
                world.leads["A"],
                world.cycle(s),
                added.id,
                file_name="agenda.pdf",
                data=data,
                expected_version=added.row_version,
            )
    assert str(err.value) == message


def test_replace_from_a_stale_version_is_refused(world):
    with world.db.session() as s:
        added = _add(world, s)
        evidence.describe(s, world.leads["A"], world.cycle(s), added.id, "x", expected_version=2)
    with (
        world.db.session() as s,
        pytest.raises(ConflictError, match=r"\(version 3, you started from 2\)"),
    ):
        evidence.replace(
            s,
            world.settings,
            world.leads["A"],
            world.cycle(s),
            added.id,
            file_name="agenda.pdf",
            data=NEW_PDF,
            expected_version=2,
        )
    with world.db.reading() as s:
        assert _file(world, s, added.id).sha256 == hashlib.sha256(PDF).hexdigest()


def test_describe_is_compare_and_set_limited_and_audited(world):
    with world.db.session() as s:
        added = _add(world, s)
        described = evidence.describe(
            s, world.leads["A"], world.cycle(s), added.id, " Agenda of 12 Jan ", expected_version=2
        )
        with pytest.raises(InvalidInput) as err:
            evidence.describe(
                s, world.leads["A"], world.cycle(s), added.id, "x" * 2_001, expected_version=3
            )
    assert (described.description, described.row_version) == ("Agenda of 12 Jan", 3)
    assert str(err.value) == "agenda.pdf: the description has 2,001 characters; at most 2,000 fit"
    with world.db.session() as s, pytest.raises(ConflictError):
        evidence.describe(s, world.leads["A"], world.cycle(s), added.id, "y", expected_version=2)


@pytest.mark.parametrize("who", ["B", "coordinator"])
def test_managing_another_districts_file_is_refused(world, who):
    actor = world.coordinator if who == "coordinator" else world.leads[who]
    with world.db.session() as s:
        added = _add(world, s)
    calls = [
        lambda s: evidence.unlink(s, actor, world.cycle(s), added.id, "ENGAGE", expected_version=2),
        lambda s: evidence.remove(s, actor, world.cycle(s), added.id, expected_version=2),
        lambda s: evidence.describe(s, actor, world.cycle(s), added.id, "x", expected_version=2),
        lambda s: evidence.replace(
            s,
            world.settings,
            actor,
            world.cycle(s),
            added.id,
            file_name="a.pdf",
            data=NEW_PDF,
            expected_version=2,
        ),
    ]
    for call in calls:
        with world.db.session() as s, pytest.raises(PermissionDenied):
            call(s)


@pytest.mark.parametrize(
    ("phase", "message"),
    [
        (Phase.FINAL, "the district's review is final: its evidence is locked"),
        (Phase.PEER_REVIEW, "the self-evaluation is submitted; evidence can no longer change"),
    ],
)
def test_a_file_of_a_final_or_submitted_district_is_locked(world, phase, message):
    with world.db.session() as s:
        added = _add(world, s, items=("ENGAGE", "PDSA"))
        part = cycles.participation(s, world.cycle(s), world.district_id("A"))
        cycles.set_phase(s, world.coordinator, part, phase)
    lead = world.leads["A"]
    calls = [
        lambda s: evidence.unlink(s, lead, world.cycle(s), added.id, "ENGAGE", expected_version=2),
        lambda s: evidence.remove(s, lead, world.cycle(s), added.id, expected_version=2),
        lambda s: evidence.describe(s, lead, world.cycle(s), added.id, "x", expected_version=2),
        lambda s: evidence.replace(
            s,
            world.settings,
            lead,
            world.cycle(s),
            added.id,
            file_name="a.pdf",
            data=NEW_PDF,
            expected_version=2,
        ),
        lambda s: evidence.link_existing(s, lead, world.cycle(s), added.id, ("EXTRA",)),
        lambda s: _add(world, s, data=NEW_PDF),
    ]
    for call in calls:
        with world.db.session() as s, pytest.raises(InvalidInput) as err:
            call(s)
        assert str(err.value) == message
    with world.db.reading() as s:
        row = s.get(Evidence, added.id)
        assert (row.row_version, row.sha256, _file(world, s, added.id).items) == (
            2,
            hashlib.sha256(PDF).hexdigest(),
            ("ENGAGE", "PDSA"),
        )
