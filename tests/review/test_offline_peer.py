"""A reviewer's peer ratings of a district done offline: export, edit, preview, apply."""

import hashlib
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy import select

from review import peer_sets, ratings
from review.access import Phase
from review.cli import main
from review.cycles import participation, set_phase
from review.db import AuditEvent, Rating
from review.errors import InvalidInput, PermissionDenied
from review.offline import peer
from review.offline.imports import Status
from review.offline.workbook import PEER_RATING, read_workbook
from review.problems import FileProblems
from review.ratings import RatingInput
from tests.review.test_offline import _edit, _text_cell, _with_rows

AT = datetime(2016, 3, 1, 9, 30, tzinfo=UTC)
# Columns of the tiny rubric's peer Items sheet: 3 fixed, 4 descriptors, then these.
THEIR_LEVEL, THEIR_NARRATIVE, LEVEL, RATIONALE, SUGGESTIONS, VERSION = "HIJKLM"


def _self_submitted(world, code="B"):
    """District `code` rated ENGAGE and PDSA itself and submitted its self-evaluation."""
    with world.db.session() as s:
        for item, level, text in (("ENGAGE", 3, "We met parents."), ("PDSA", None, "")):
            ratings.save_self_rating(
                s,
                world.leads[code],
                world.cycle(s),
                world.rubric,
                district_id=world.district_id(code),
                item_id=item,
                data=RatingInput(level=level, not_applicable=level is None, narrative=text),
                expected_version=None,
            )
        set_phase(
            s,
            world.coordinator,
            participation(s, world.cycle(s), world.district_id(code)),
            Phase.SELF_SUBMITTED,
        )


def _rate(world, item, level, rationale, version, *, reviewer="A", code="B", suggestions=""):
    with world.db.session() as s:
        return ratings.save_peer_rating(
            s,
            world.leads[reviewer],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id(code),
            item_id=item,
            data=RatingInput(level=level, narrative=rationale, suggestions=suggestions),
            expected_version=version,
        ).row_version


def _export(world, reviewer="A", code="B"):
    with world.db.reading() as s:
        return peer.export_workbook(
            s, world.leads[reviewer], world.cycle(s), world.rubric, world.district_id(code), now=AT
        )


def _read(data, name="filled.xlsx"):
    return read_workbook(data, name, PEER_RATING)


def _preview(world, data, reviewer="A", code="B"):
    with world.db.reading() as s:
        return peer.preview_import(
            s,
            world.leads[reviewer],
            world.cycle(s),
            world.rubric,
            world.district_id(code),
            _read(data),
        )


def _apply(world, data, reviewer="A", code="B"):
    with world.db.session() as s:
        return peer.apply_import(
            s,
            world.leads[reviewer],
            world.cycle(s),
            world.rubric,
            world.district_id(code),
            _read(data),
        )


def _peer_ratings(world, reviewer="A", code="B"):
    with world.db.reading() as s:
        rows = s.scalars(
            select(Rating).where(
                Rating.district_id == world.district_id(code),
                Rating.rater_district_id == world.district_id(reviewer),
            )
        )
        return {
            r.item_id: (
                r.level,
                r.not_applicable,
                r.narrative,
                r.suggestions,
                r.row_version,
                r.status,
            )
            for r in rows
        }


def test_export_writes_the_districts_self_rating_beside_the_reviewers_own(world):
    _self_submitted(world)
    _rate(world, "ENGAGE", 2, "Few meetings.", None, suggestions="Meet monthly.")
    name, data = _export(world)
    assert name == "peer-ratings-B-by-A-2015-16-20160301-0930.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    items, about = book["Items"], book["About"]
    assert [c.value for c in items[1]] == [
        "Item",
        "Title",
        "Prompt",
        "1 Not started",
        "2 Beginning",
        "3 Implementing",
        "4 Exemplary",
        "District's level",
        "District's narrative",
        "Level",
        "Rationale",
        "Suggestions",
        "Saved version",
        "Check",
    ]
    assert [c.value for c in items[2]][:13] == [
        "ENGAGE",
        "Stakeholder engagement",
        "How did the district engage stakeholders?",
        "did not attempt",
        "occasional",
        "regular",
        "regular and meaningful",
        "3 Implementing",
        "We met parents.",
        "2 Beginning",
        "Few meetings.",
        "Meet monthly.",
        1,
    ]
    assert [items[f"{THEIR_LEVEL}{r}"].value for r in (3, 4)] == ["Not applicable", "Not rated"]
    assert [items[f"{LEVEL}{r}"].value for r in (3, 4)] == [None, None]
    unlocked = [c.column_letter for c in items[2] if not c.protection.locked]
    assert unlocked == [LEVEL, RATIONALE, SUGGESTIONS]
    (validation,) = items.data_validations.dataValidation
    assert (validation.formula1, str(validation.sqref)) == ("About!$D$2:$D$6", "J2:J4")
    assert about["D6"].value == "Not applicable"  # PDSA allows it
    assert [(c.value, about[f"B{c.row}"].value) for c in about["A"]][:4] == [
        ("Workbook", "peer ratings"),
        ("Format", "1"),
        ("District", "B"),
        ("Cycle", "2015-16"),
    ]
    assert (about["A8"].value, about["B8"].value) == ("Rated by", "A")


def test_unedited_workbook_changes_nothing(world):
    _self_submitted(world)
    _rate(world, "ENGAGE", 2, "line one\r\nline two \x07", None, suggestions="s")
    _, data = _export(world)
    assert [(i.item_id, i.status) for i in _preview(world, data).items] == [
        ("ENGAGE", Status.UNCHANGED),
        ("PDSA", Status.UNCHANGED),
        ("EXTRA", Status.UNCHANGED),
    ]


def test_round_trip_saves_exactly_the_edited_items_as_drafts_and_audits(world):
    _self_submitted(world)
    _rate(world, "ENGAGE", 2, "Few meetings.", None, suggestions="Meet monthly.")
    _rate(world, "EXTRA", 1, "kept", None, suggestions="kept too")
    _, data = _export(world)
    filled = _edit(
        data,
        {
            "L2": "Meet every week.",  # ENGAGE: only the suggestion
            "J3": "Not applicable",  # PDSA: a first rating
            "K3": "No cycles ran.",
            "H2": "4 Exemplary",  # the district's level: shown only, never read back
        },
    )
    preview = _preview(world, filled)
    assert [
        (i.item_id, i.status, i.old_level, i.new_level, i.old_texts, i.new_texts)
        for i in preview.items
    ] == [
        (
            "ENGAGE",
            Status.CHANGE,
            "2 Beginning",
            "2 Beginning",
            ("Few meetings.", "Meet monthly."),
            ("Few meetings.", "Meet every week."),
        ),
        ("PDSA", Status.CHANGE, "Not rated", "Not applicable", ("", ""), ("No cycles ran.", "")),
        (
            "EXTRA",
            Status.UNCHANGED,
            "1 Not started",
            "1 Not started",
            ("kept", "kept too"),
            ("kept", "kept too"),
        ),
    ]
    assert preview.summary() == (
        "filled.xlsx: district B rated by A, cycle 2015-16: 2 items to save, 0 refused "
        "(saved by someone else since the download), 1 unchanged"
    )
    assert _peer_ratings(world)["ENGAGE"][4] == 1  # a preview writes nothing

    done = _apply(world, filled)
    assert done.summary() == (
        "filled.xlsx: district B rated by A, cycle 2015-16: 2 items saved, 0 refused "
        "(saved by someone else since the download), 1 unchanged"
    )
    assert _peer_ratings(world) == {
        "ENGAGE": (2, False, "Few meetings.", "Meet every week.", 2, "draft"),
        "PDSA": (None, True, "No cycles ran.", "", 1, "draft"),
        "EXTRA": (1, False, "kept", "kept too", 1, "draft"),
    }
    with world.db.reading() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "import offline peer ratings")
        ).one()
        saves = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "save peer rating")))
    assert len(saves) == 2 + 2
    assert event.user_id == world.leads["A"].user_id
    assert event.after == {
        "file": "filled.xlsx",
        "sha256": hashlib.sha256(filled).hexdigest(),
        "exported_at": "2016-03-01T09:30:00+00:00",
        "rater": "A",
        "saved": ["ENGAGE", "PDSA"],
        "refused": [],
    }
    # Drafts: the set is still submitted through peer_sets, and nobody else sees them yet.
    with world.db.reading() as s:
        one = peer_sets.rating_set(
            s, world.leads["A"], world.cycle(s), world.rubric, world.district_id("B")
        )
    assert (one.status, one.rated) == ("draft", 3)


def test_item_saved_since_the_download_is_refused_with_their_text_and_the_rest_saved(world):
    _self_submitted(world)
    _rate(world, "ENGAGE", 2, "first draft", None)
    _, data = _export(world)
    _rate(world, "ENGAGE", 4, "my colleague's newer rationale", 1)  # on the page meanwhile
    filled = _edit(data, {f"{LEVEL}2": "1 Not started", f"{LEVEL}4": "3 Implementing"})

    preview = _preview(world, filled)
    assert [(i.item_id, i.status) for i in preview.items] == [
        ("ENGAGE", Status.REFUSED),
        ("PDSA", Status.UNCHANGED),
        ("EXTRA", Status.CHANGE),
    ]
    assert preview.items[0].theirs["narrative"] == "my colleague's newer rationale"

    done = _apply(world, filled)
    assert [(i.item_id, i.status) for i in done.items] == [
        ("ENGAGE", Status.REFUSED),
        ("PDSA", Status.UNCHANGED),
        ("EXTRA", Status.CHANGE),
    ]
    assert (done.items[0].theirs["level"], done.items[0].theirs["row_version"]) == (4, 2)
    assert _peer_ratings(world) == {
        "ENGAGE": (4, False, "my colleague's newer rationale", "", 2, "draft"),
        "EXTRA": (3, False, "", "", 1, "draft"),
    }
    with world.db.reading() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "import offline peer ratings")
        ).one()
    assert (event.after["saved"], event.after["refused"]) == (["EXTRA"], ["ENGAGE"])


def test_item_saved_between_preview_and_apply_is_refused_not_overwritten(world):
    _self_submitted(world)
    _, data = _export(world)
    filled = _edit(data, {f"{LEVEL}2": "3 Implementing", f"{RATIONALE}2": "offline"})
    assert _preview(world, filled).items[0].status == Status.CHANGE
    _rate(world, "ENGAGE", 1, "saved in the meantime", None)
    done = _apply(world, filled)
    assert done.items[0].status == Status.REFUSED
    assert done.items[0].theirs["narrative"] == "saved in the meantime"
    assert _peer_ratings(world)["ENGAGE"][:5] == (1, False, "saved in the meantime", "", 1)


@pytest.mark.parametrize(
    ("cell", "value", "message"),
    [
        (
            "B3",
            "C",
            "filled.xlsx holds peer ratings of district C, not of B; download B's own "
            "workbook. Nothing was saved.",
        ),
        (
            "B8",
            "C",
            "filled.xlsx holds the ratings of B by C, not by A; download your own workbook. "
            "Nothing was saved.",
        ),
        (
            "B4",
            "2016-17",
            "filled.xlsx is from cycle 2016-17, not 2015-16; download this cycle's workbook. "
            "Nothing was saved.",
        ),
        ("B5", "tiny@v2", "filled.xlsx was written for rubric tiny@v2 ("),
        ("B6", "0" * 64, "filled.xlsx was written for rubric tiny@v1 (000000000000…)"),
    ],
)
def test_workbook_of_another_district_rater_cycle_or_rubric_version_is_refused(
    world, cell, value, message
):
    _self_submitted(world)
    _, data = _export(world)
    filled = _edit(_edit(data, {f"{LEVEL}2": "3 Implementing"}), {cell: value}, sheet="About")
    for attempt in (_preview, _apply):
        with pytest.raises(InvalidInput) as caught:
            attempt(world, filled)
        assert str(caught.value).startswith(message)
    assert _peer_ratings(world) == {}


def test_workbook_without_its_reviewer_is_refused(world):
    _self_submitted(world)
    _, data = _export(world)
    with pytest.raises(InvalidInput) as caught:
        _read(_edit(data, {"B8": None}, sheet="About"))
    assert str(caught.value) == (
        "filled.xlsx: its About sheet does not say whose workbook it is (Rated by missing or "
        "changed); download the workbook again from the Rate a district page"
    )


def test_district_not_assigned_to_the_reviewer_is_refused(world):
    _self_submitted(world)
    _self_submitted(world, "D")
    with world.db.reading() as s, pytest.raises(PermissionDenied) as caught:
        peer.export_workbook(
            s, world.leads["A"], world.cycle(s), world.rubric, world.district_id("D")
        )
    assert str(caught.value) == (
        "Lead A may not rate district D in cycle 2015-16: it is not a district their district "
        "is assigned to review. Nothing was saved."
    )
    _, data = _export(world, reviewer="E", code="D")
    filled = _edit(data, {f"{LEVEL}2": "3 Implementing"})
    with pytest.raises(PermissionDenied, match="Lead A may not rate district D in cycle"):
        _apply(world, filled, reviewer="A", code="D")
    assert _peer_ratings(world, reviewer="E", code="D") == {}


def test_self_evaluation_workbook_is_refused_as_the_wrong_kind(world):
    from review.offline import selfeval

    with world.db.reading() as s:
        _, data = selfeval.export_workbook(
            s, world.leads["B"], world.cycle(s), world.rubric, world.district_id("B")
        )
    with pytest.raises(InvalidInput) as caught:
        _read(data, "mine.xlsx")
    assert str(caught.value) == (
        "mine.xlsx is a self-evaluation workbook, not a peer ratings workbook: upload it on "
        "the self-evaluation page. Nothing was saved."
    )


def test_locked_by_reconciliation_or_submitted_set_or_draft_district_is_refused(world):
    _, early = _export(world)  # B's self-evaluation is still a draft: readable, not yet open
    with pytest.raises(InvalidInput) as caught:
        _preview(world, _edit(early, {f"{LEVEL}2": "2 Beginning"}))
    assert str(caught.value) == (
        "Your ratings of B in 2015-16 cannot change: its self-evaluation is not submitted yet. "
        "Nothing was saved."
    )
    _self_submitted(world)
    _, data = _export(world)
    filled = _edit(data, {f"{LEVEL}2": "2 Beginning"})
    _rate(world, "ENGAGE", 3, "r", None)
    _rate(world, "PDSA", 3, "r", None)
    with world.db.session() as s:
        peer_sets.submit_peer_ratings(
            s, world.leads["A"], world.cycle(s), world.rubric, district_id=world.district_id("B")
        )
    with pytest.raises(
        InvalidInput, match=r"^Your district's ratings of B are submitted; withdraw"
    ):
        _apply(world, filled)
    with world.db.session() as s:
        part = participation(s, world.cycle(s), world.district_id("B"))
        set_phase(s, world.coordinator, part, Phase.RECONCILIATION)
    with pytest.raises(InvalidInput) as caught:
        _apply(world, filled)
    assert str(caught.value) == (
        "Your ratings of B in 2015-16 cannot change: its reconciliation has started, and the "
        "peer ratings are locked. Nothing was saved."
    )
    assert _peer_ratings(world)["ENGAGE"][0] == 3


def test_hostile_workbook_formulas_and_a_100000_character_cell_are_refused(world):
    _self_submitted(world)
    _, data = _export(world)
    with pytest.raises(FileProblems) as caught:
        _read(_edit(data, {f"{RATIONALE}2": "=1+1", f"{SUGGESTIONS}3": '=HYPERLINK("http://x")'}))
    assert str(caught.value) == (
        "filled.xlsx, sheet Items: 2 problems, nothing was saved; the first: row 2, column "
        "Rationale: a formula (=1+1): type the value"
    )
    assert [str(p) for p in caught.value.problems][1] == (
        'row 3, column Suggestions: a formula (=HYPERLINK("http://x")): type the value'
    )
    long = _with_rows(
        data,
        f'<row r="5">{_text_cell("A5", "EXTRA")}{_text_cell("L5", "x" * 100_000)}</row>',
    )
    with pytest.raises(FileProblems) as caught:
        _read(long, "long.xlsx")
    assert str(caught.value) == (
        "long.xlsx, sheet Items: 1 problem, nothing was saved: row 5, column Suggestions: "
        "has 100,000 characters; at most 20,000 fit"
    )
    assert _peer_ratings(world) == {}


def test_command_line_exports_then_previews_then_applies(cli, tmp_path, capsys):
    _self_submitted(cli)
    _rate(cli, "ENGAGE", 2, "first", None)
    target = tmp_path / "b.xlsx"
    args = ["peer", "export", "--cycle", "2015-16", "--district", "B", "--xlsx", str(target)]
    assert main([*args, "--as", "lead@a.example"]) == 0
    assert capsys.readouterr().out == (
        f"wrote {target}: ratings of B by A in cycle 2015-16, 3 items (rubric tiny@v1)\n"
    )
    edits = {f"{LEVEL}2": "3 Implementing", f"{RATIONALE}3": "new", f"{SUGGESTIONS}3": "try"}
    target.write_bytes(_edit(target.read_bytes(), edits))
    _rate(cli, "PDSA", 1, "theirs", None)

    assert main(["peer", "import", str(target), "--as", "lead@a.example"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "b.xlsx: district B rated by A, cycle 2015-16: 1 item to save, 1 refused (saved by "
        "someone else since the download), 1 unchanged",
        "  ENGAGE       will change: level 2 Beginning -> 3 Implementing",
        "  PDSA         refused: saved by someone else since the download: level 1 Not started "
        "-> Not rated; rationale 'theirs' -> 'new'; suggestions '' -> 'try'; their version 1: "
        "level 1, narrative 'theirs'",
        "dry run: nothing was saved; run again with --apply to save the changes",
    ]
    assert _peer_ratings(cli)["ENGAGE"][:5] == (2, False, "first", "", 1)

    assert main(["peer", "import", str(target), "--as", "lead@a.example", "--apply"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "b.xlsx: district B rated by A, cycle 2015-16: 1 item saved, 1 refused (saved by "
        "someone else since the download), 1 unchanged"
    )
    assert _peer_ratings(cli) == {
        "ENGAGE": (3, False, "first", "", 2, "draft"),
        "PDSA": (1, False, "theirs", "", 1, "draft"),
    }


def test_command_line_import_by_an_unassigned_reviewer_is_one_line(cli, tmp_path, capsys):
    _self_submitted(cli)
    target = tmp_path / "b.xlsx"
    args = ["peer", "export", "--cycle", "2015-16", "--district", "B", "--xlsx", str(target)]
    assert main([*args, "--as", "lead@a.example"]) == 0
    capsys.readouterr()
    target.write_bytes(_edit(target.read_bytes(), {f"{LEVEL}2": "3 Implementing"}))
    assert main(["peer", "import", str(target), "--as", "lead@d.example", "--apply"]) == 2
    assert capsys.readouterr().err == (
        "error: Lead D may not rate district B in cycle 2015-16: it is not a district their "
        "district is assigned to review. Nothing was saved.\n"
    )
    assert _peer_ratings(cli) == {}
