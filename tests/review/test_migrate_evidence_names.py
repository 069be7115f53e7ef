"""Migration 0014: files stored before #13 get names ending in their content's type, audited.

The files are uploaded through the domain at head; the schema is taken back to 0013 and their
names set as the upload of that time kept them (`minutes.bat`, `agenda.pdf.exe`), and a file of
a type no longer allowed is added; then the migration runs (on SQLite and, when
REVIEW_TEST_POSTGRES_URL is set, on PostgreSQL).
"""

import logging
from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import select, text

from review import evidence
from review.db import MIGRATIONS, AuditEvent, Evidence, make_engine, migrating
from review.demo import SAMPLE_EVIDENCE

TEXT = b"Minutes of the parent evening\n"
PDF = b"%PDF-1.4\n%minutes\n"
CSV = b"school,parents\nS1,40\n"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64  # a Windows program: not allowed


def _migrate(url: str, target: str, *, down: bool = False) -> None:
    engine = make_engine(url)
    with migrating(engine) as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, target)
    engine.dispose()


def _names(world) -> dict[int, tuple[str, int]]:
    with world.db.reading() as s:
        rows = s.execute(
            select(Evidence.id, Evidence.file_name, Evidence.row_version).order_by(Evidence.id)
        )
        return {i: (name, version) for i, name, version in rows}


def test_names_stored_before_13_are_renamed_by_their_type_and_audited(world, caplog):
    a = world.district_id("A")
    with world.db.session() as s:
        cycle = world.cycle(s)
        ids = [
            evidence.add_evidence(
                s,
                world.settings,
                world.leads["A"],
                cycle,
                world.rubric,
                district_id=a,
                file_name=name,
                data=data,
            ).id
            for name, data in (("minutes.txt", TEXT), ("agenda.pdf", PDF), ("scores.csv", CSV))
        ]
    url = world.settings.database_url
    world.db.dispose()
    _migrate(url, "0013", down=True)
    engine = make_engine(url)
    with engine.begin() as conn:
        for evidence_id, old in zip(
            ids, ("minutes.bat", "agenda.pdf.exe", "scores.csv"), strict=True
        ):
            conn.execute(
                text("UPDATE evidence SET file_name = :name WHERE id = :id"),
                {"name": old, "id": evidence_id},
            )
        conn.execute(
            text("INSERT INTO blobs (sha256, size, media_type, data) VALUES (:h, :n, :t, :d)"),
            {"h": "f" * 64, "n": len(PROGRAM), "t": "application/octet-stream", "d": PROGRAM},
        )
        conn.execute(
            text(
                "INSERT INTO evidence (cycle_id, district_id, sha256, file_name, description, "
                "uploaded_at, row_version) SELECT cycle_id, district_id, :h, 'tool.exe', '', "
                ":at, 1 FROM evidence WHERE id = :id"
            ),
            {"h": "f" * 64, "at": datetime(2015, 9, 1, tzinfo=UTC), "id": ids[0]},
        )
    engine.dispose()
    program = max(_names(world))

    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    _migrate(url, "head")

    assert _names(world) == {
        ids[0]: ("minutes.txt", 2),
        ids[1]: ("agenda.pdf", 2),
        ids[2]: ("scores.csv", 1),
        program: ("tool.exe", 1),
    }
    with world.db.reading() as s:
        events = s.execute(
            select(AuditEvent.user_id, AuditEvent.entity_id, AuditEvent.before, AuditEvent.after)
            .where(AuditEvent.action == "rename evidence by type")
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        (None, str(ids[0]), {"file_name": "minutes.bat"}, {"file_name": "minutes.txt"}),
        (None, str(ids[1]), {"file_name": "agenda.pdf.exe"}, {"file_name": "agenda.pdf"}),
    ]
    logged = [r.getMessage() for r in caplog.records if r.name == "alembic.runtime.migration"]
    assert (
        f"evidence {ids[0]} renamed 'minutes.bat' -> 'minutes.txt' (the type of its content)"
        in logged
    )
    assert any(
        m.startswith(f"evidence {program} keeps its name 'tool.exe': tool.exe: the content is")
        for m in logged
    ), logged

    # The downgrade puts back the recorded names and removes its audit events.
    _migrate(url, "0013", down=True)
    assert {i: name for i, (name, _) in _names(world).items()} == {
        ids[0]: "minutes.bat",
        ids[1]: "agenda.pdf.exe",
        ids[2]: "scores.csv",
        program: "tool.exe",
    }
    _migrate(url, "head")
    assert [n for n, _ in _names(world).values()] == [
        "minutes.txt",
        "agenda.pdf",
        "scores.csv",
        "tool.exe",
    ]


def _unreadable_docx() -> bytes:
    """A real .docx whose directory asks for a ZIP version no reader has: opening it raises
    NotImplementedError, as damaged files stored before uploads were checked can."""
    data = bytearray((SAMPLE_EVIDENCE / "facilitator_training_notes.docx").read_bytes())
    entry = data.index(b"PK\x01\x02")
    data[entry + 6 : entry + 8] = (99).to_bytes(2, "little")  # version needed to extract: 9.9
    return bytes(data)


def test_a_stored_file_that_cannot_be_read_keeps_its_name_and_the_upgrade_goes_on(world, caplog):
    a = world.district_id("A")
    with world.db.session() as s:
        kept = evidence.add_evidence(
            s,
            world.settings,
            world.leads["A"],
            world.cycle(s),
            world.rubric,
            district_id=a,
            file_name="minutes.txt",
            data=TEXT,
        ).id
    url = world.settings.database_url
    world.db.dispose()
    _migrate(url, "0013", down=True)
    engine = make_engine(url)
    broken = _unreadable_docx()
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE evidence SET file_name = 'minutes.bat' WHERE id = :id"), {"id": kept}
        )
        conn.execute(
            text("INSERT INTO blobs (sha256, size, media_type, data) VALUES (:h, :n, :t, :d)"),
            {"h": "e" * 64, "n": len(broken), "t": "application/octet-stream", "d": broken},
        )
        conn.execute(
            text(
                "INSERT INTO evidence (cycle_id, district_id, sha256, file_name, description, "
                "uploaded_at, row_version) SELECT cycle_id, district_id, :h, 'notes.docx', '', "
                ":at, 1 FROM evidence WHERE id = :id"
            ),
            {"h": "e" * 64, "at": datetime(2015, 9, 1, tzinfo=UTC), "id": kept},
        )
    engine.dispose()
    damaged = max(_names(world))

    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    _migrate(url, "head")

    assert _names(world) == {kept: ("minutes.txt", 2), damaged: ("notes.docx", 1)}
    logged = [r.getMessage() for r in caplog.records if r.name == "alembic.runtime.migration"]
    assert any(
        m.startswith(f"evidence {damaged} keeps its name 'notes.docx': its content cannot be read")
        for m in logged
    ), logged
