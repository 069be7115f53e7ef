"""Final is frozen: a final district's packet is built once, kept with its SHA-256, and every
later download returns those bytes; reopening keeps it and the next finalization adds a version."""

from __future__ import annotations

import hashlib
import threading

import pytest

from exports.packet import freeze, packet_for
from review import audit, cycles, packets, ratings
from review.access import Phase
from review.cli import main
from review.errors import PermissionDenied
from review.rubrics import Catalogue


def _move(world, code: str, phase: Phase) -> None:
    with world.db.session() as s:
        part = cycles.participation(s, world.cycle(s), world.district_id(code), lock="update")
        cycles.set_phase(s, world.coordinator, part, phase)


def _freeze(world, actor=None, code="A"):
    return freeze(
        world.db,
        Catalogue(world.settings.rubrics_dir),
        cycle_name="2015-16",
        district_code=code,
        index=None,
        actor=actor,
    )


def _bytes(world, actor, packet_id: int) -> bytes:
    with world.db.reading() as s:
        return packets.packet_bytes(s, actor, world.cycle(s), packet_id)


def test_a_district_that_is_not_final_has_no_kept_packet(rated):
    assert _freeze(rated) is None
    with rated.db.reading() as s:
        assert packets.kept(s, rated.cycle(s), rated.district_id("A")) == []


def test_a_final_packet_is_built_once_and_every_download_is_the_same_bytes(rated):
    _move(rated, "A", Phase.FINAL)
    first = _freeze(rated, rated.coordinator)
    assert first is not None
    assert (first.version, first.file_name, first.made_by) == (
        1,
        "A-2015-16-packet-v1.zip",
        "Coordinator",
    )
    again = _freeze(rated, rated.observer)  # a second request builds nothing new
    assert again == first
    one = _bytes(rated, rated.observer, first.id)
    two = _bytes(rated, rated.leads["A"], first.id)
    assert one == two
    assert hashlib.sha256(one).hexdigest() == first.sha256
    assert len(one) == first.size
    with rated.db.reading() as s:
        kept = [e for e in audit.events(s, entity="frozen_packet") if e.action == "freeze packet"]
    assert [(e.after["version"], e.after["sha256"]) for e in kept] == [(1, first.sha256)]


def test_reopening_keeps_the_old_packet_and_the_next_finalization_makes_version_2(rated):
    _move(rated, "A", Phase.FINAL)
    first = _freeze(rated, rated.coordinator)
    old = _bytes(rated, rated.coordinator, first.id)
    _move(rated, "A", Phase.RECONCILIATION)
    assert _freeze(rated, rated.coordinator) is None  # not final: nothing to keep
    _move(rated, "A", Phase.FINAL)
    second = _freeze(rated, rated.coordinator)
    assert (second.version, second.file_name) == (2, "A-2015-16-packet-v2.zip")
    with rated.db.reading() as s:
        listed = packets.frozen_packets(
            s, rated.coordinator, rated.cycle(s), rated.district_id("A")
        )
    assert [(p.version, p.sha256) for p in listed] == [
        (2, second.sha256),
        (1, first.sha256),
    ]
    assert _bytes(rated, rated.coordinator, first.id) == old


def test_who_may_not_read_a_final_packet_is_refused(rated):
    _move(rated, "A", Phase.FINAL)
    first = _freeze(rated, rated.coordinator)
    with pytest.raises(PermissionDenied):
        _bytes(rated, rated.leads["B"], first.id)  # a peer reviewer, not its district
    with pytest.raises(PermissionDenied):
        _freeze(rated, rated.leads["B"], code="A")


def test_two_builders_at_once_keep_one_packet(rated):
    _move(rated, "A", Phase.FINAL)
    found: list[object] = []
    start = threading.Barrier(2)

    def build() -> None:
        start.wait()
        found.append(_freeze(rated, rated.coordinator))

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(found) == 2 and found[0] == found[1]
    with rated.db.reading() as s:
        assert len(packets.kept(s, rated.cycle(s), rated.district_id("A"))) == 1


def test_a_damaged_stored_packet_is_refused_not_handed_out(rated):
    _move(rated, "A", Phase.FINAL)
    first = _freeze(rated, rated.coordinator)
    with rated.db.session() as s:
        blob = s.get(packets.Blob, first.sha256)
        blob.data = blob.data[:-1] + b"x"
    with pytest.raises(Exception, match="missing or damaged"):
        _bytes(rated, rated.coordinator, first.id)


def test_the_command_line_writes_the_kept_packet_of_a_final_district(rated, tmp_path, monkeypatch):
    _move(rated, "A", Phase.FINAL)
    first = _freeze(rated, rated.coordinator)
    monkeypatch.setenv("REVIEW_DATABASE_URL", rated.settings.database_url)
    monkeypatch.setenv("REVIEW_RUBRICS_DIR", str(rated.settings.rubrics_dir))
    assert (
        main(["export", "packet", "--cycle", "2015-16", "--district", "A", "--out", str(tmp_path)])
        == 0
    )
    written = (tmp_path / "A-2015-16-packet-v1.zip").read_bytes()
    assert hashlib.sha256(written).hexdigest() == first.sha256
    name, data = packet_for(
        rated.db,
        Catalogue(rated.settings.rubrics_dir),
        cycle_name="2015-16",
        district_code="B",
        index=None,
    )
    assert name == "B-2015-16-packet.zip" and data  # not final: built afresh, not kept
    with rated.db.reading() as s:
        assert packets.kept(s, rated.cycle(s), rated.district_id("B")) == []


def test_a_rating_change_cannot_reach_a_kept_packet(rated):
    """Stored bytes are what was built: a later change to the database leaves them alone."""
    _move(rated, "A", Phase.FINAL)
    first = _freeze(rated, rated.coordinator)
    before = _bytes(rated, rated.coordinator, first.id)
    _move(rated, "A", Phase.RECONCILIATION)
    with rated.db.session() as s:
        row = ratings.find_rating(
            s, rated.cycle(s), rated.district_id("A"), "ENGAGE", rated.district_id("A")
        )
        row.narrative = "changed after the board received the packet"
    assert _bytes(rated, rated.coordinator, first.id) == before
