"""Triads imported like districts: parsed, previewed (added, changed, removed), applied, audited."""

import hashlib

import pytest
from sqlalchemy import select

from review import cycles, roster
from review.cli import main
from review.db import AuditEvent
from review.errors import ConflictError, InvalidInput, PermissionDenied

# The world's cycle has North: A, B, C and South: D, E.
FILE = b"triad,district_code\nNorth,A\nNorth,B\nWest,C\nWest,E\n"
LINES = [
    "triads.csv: cycle 2015-16: triads 1 to add, 1 to change, 1 to remove, 0 unchanged",
    "  change  North: A, B, C -> A, B",
    "  remove  South: D, E",
    "  add     West: C, E",
]


def _preview(world, data=FILE, actor=None, name="triads.csv"):
    with world.db.reading() as s:
        return roster.preview_triads(
            s,
            actor or world.coordinator,
            world.cycle(s),
            roster.parse_triads(data, name),
            name,
            data,
        )


def _apply(world, preview, data=FILE, name="triads.csv"):
    with world.db.session() as s:
        return roster.apply_triads(
            s,
            world.coordinator,
            world.cycle(s),
            roster.parse_triads(data, name),
            name,
            data,
            preview,
        )


def _triads(world):
    with world.db.reading() as s:
        return {t.name: sorted(t.districts) for t in cycles.triads_of(s, world.cycle(s))}


def test_preview_lists_each_triad_added_changed_and_removed_and_saves_nothing(world):
    preview = _preview(world)
    assert preview.lines() == LINES
    assert (preview.added, preview.changed, preview.removed) == (1, 1, 1)
    assert _triads(world) == {"North": ["A", "B", "C"], "South": ["D", "E"]}


def test_file_with_the_same_triads_previews_no_change(world):
    same = b"triad,district_code\nSouth,E\nSouth,D\nNorth,C\nNorth,A\nNorth,B\n"
    preview = _preview(world, same, name="same.csv")
    assert preview.lines() == [
        "same.csv: cycle 2015-16: triads 0 to add, 0 to change, 0 to remove, 2 unchanged"
    ]
    done = _apply(world, preview, same, name="same.csv")
    assert done.summary() == (
        "same.csv: cycle 2015-16: triads 0 added, 0 changed, 0 removed, 2 unchanged"
    )
    with world.db.reading() as s:
        defined = s.scalars(select(AuditEvent).where(AuditEvent.action == "define triads"))
        assert len(list(defined)) == 1  # the world's own; an unchanged import rewrites nothing


def test_apply_saves_exactly_the_preview_and_audits_who_imported_what(world):
    done = _apply(world, _preview(world))
    assert done.lines() == [
        "triads.csv: cycle 2015-16: triads 1 added, 1 changed, 1 removed, 0 unchanged",
        *LINES[1:],
    ]
    assert _triads(world) == {"North": ["A", "B"], "West": ["C", "E"]}
    with world.db.reading() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "import triads")).one()
        assigned = cycles.assigned_to(s, world.cycle(s), world.district_id("C"))
    assert (event.user_id, event.entity, event.entity_id) == (
        world.coordinator.user_id,
        "cycle",
        "2015-16",
    )
    assert event.after == {
        "file": "triads.csv",
        "sha256": hashlib.sha256(FILE).hexdigest(),
        "added": 1,
        "changed": 1,
        "removed": 1,
        "unchanged": 0,
    }
    assert assigned == {world.district_id("E")}


def test_triads_changed_since_the_preview_refuse_the_apply(world):
    preview = _preview(world)
    with world.db.session() as s:
        cycles.define_triads(s, world.coordinator, world.cycle(s), {"North": ["A", "B", "C", "D"]})
    with pytest.raises(ConflictError) as caught:
        _apply(world, preview)
    assert str(caught.value) == (
        "The triads of cycle 2015-16 changed since the preview of triads.csv; nothing was "
        "saved. Preview it again."
    )
    assert _triads(world) == {"North": ["A", "B", "C", "D"]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"triad,district_code\nNorth,A\nNorth,ZZ\nWest,YY\nWest,C\n",
            "triads.csv: no district with code 'YY', 'ZZ'; add it on the Districts tab first. "
            "Nothing was saved.",
        ),
        (
            b"triad,district_code\nNorth,A\nNorth,B\nWest,B\nWest,C\n",
            "district B is in triads North and West",
        ),
        (
            b"triad,district_code\nNorth,A\n",
            "triad North: has 1 districts; a triad needs 2 to 4 (normally 3)",
        ),
    ],
)
def test_preview_refuses_triads_that_could_not_be_saved(world, data, message):
    with pytest.raises(InvalidInput) as caught:
        _preview(world, data)
    assert str(caught.value) == message


def test_only_a_coordinator_may_preview_triads(world):
    with pytest.raises(PermissionDenied):
        _preview(world, actor=world.leads["A"])


def test_command_line_dry_run_by_default_then_apply(cli, tmp_path, capsys):
    target = tmp_path / "triads.csv"
    target.write_bytes(FILE)
    args = ["triads", "import", str(target), "--cycle", "2015-16", "--as", "coord@core.example"]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines() == [
        *LINES,
        "dry run: nothing was saved; run again with --apply to save the triads",
    ]
    assert _triads(cli) == {"North": ["A", "B", "C"], "South": ["D", "E"]}

    assert main([*args, "--apply"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "triads.csv: cycle 2015-16: triads 1 added, 1 changed, 1 removed, 0 unchanged",
        *LINES[1:],
    ]
    assert _triads(cli) == {"North": ["A", "B"], "West": ["C", "E"]}


def test_command_line_refuses_a_district_lead_and_lists_problems_beside_the_file(
    cli, tmp_path, capsys
):
    target = tmp_path / "triads.csv"
    target.write_bytes(FILE)
    args = ["triads", "import", str(target), "--cycle", "2015-16"]
    assert main([*args, "--as", "lead@a.example", "--apply"]) == 2
    assert capsys.readouterr().err.startswith("error: Lead A may not ")
    target.write_bytes(b"triad,district_code\n,A\nNorth,\n")
    assert main([*args, "--as", "coord@core.example"]) == 2
    listed = tmp_path / "triads.csv.problems.csv"
    assert capsys.readouterr().err == (
        "error: triads.csv: 2 problems, nothing was saved; the first: row 2, column triad: "
        f"empty (all 2 listed in {listed})\n"
    )
    assert listed.read_text(encoding="utf-8-sig").splitlines() == [
        "row,column,problem",
        "2,triad,empty",
        "3,district_code,empty",
    ]
    assert _triads(cli) == {"North": ["A", "B", "C"], "South": ["D", "E"]}
