import io
import json
import shutil
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from review import accounts, cycles, rubric_store
from review.access import Role
from review.backup import backup
from review.db import AuditEvent, RubricVersion
from review.errors import NotFound, PermissionDenied, RubricError
from review.rubric_import import preview_import, read_workbook
from review.rubric_workbook import write_workbook
from review.rubrics import Catalogue, Change, content_hash, dump_yaml, parse_rubric
from review.settings import PROJECT_ROOT
from review.workbook_checks import WorkbookProblems, problems_csv, shown

SHIPPED = Catalogue(PROJECT_ROOT / "rubrics")


LONG = "LONG-TEXT-MARKER"


def _edited(rubric_key, edit):
    book = load_workbook(io.BytesIO(write_workbook(SHIPPED.get_key(rubric_key))))
    edit(book)
    out = io.BytesIO()
    book.save(out)
    return _lengthened(out.getvalue())


def _lengthened(data):
    """`LONG` in any cell becomes 100,000 characters (openpyxl itself cuts text at 32,767)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info).replace(LONG.encode(), b"x" * 100_000))
    return out.getvalue()


@pytest.mark.parametrize("version", ["2014-15", "2015-16", "2014-15.1", "2015-16.1"])
def test_rubric_yaml_to_workbook_to_yaml_is_identical(version, tmp_path):
    rubric = SHIPPED.get("core-p2", version)

    back, source = read_workbook(write_workbook(rubric), rubric_id="core-p2", version=version)

    assert source == version
    assert back == rubric
    assert content_hash(back) == content_hash(rubric)
    written = tmp_path / "core-p2" / f"{version}.yaml"
    written.parent.mkdir()
    written.write_text(dump_yaml(back), encoding="utf-8")
    assert parse_rubric(written) == rubric
    assert dump_yaml(parse_rubric(written)) == dump_yaml(rubric)


def test_workbook_has_protected_ids_and_drop_downs():
    book = load_workbook(io.BytesIO(write_workbook(SHIPPED.get_key("core-p2@2015-16"))))

    assert book.sheetnames == [
        "Rubric",
        "Scale",
        "Settings",
        "Principles",
        "Items",
        "Descriptors",
        "Exemplars",
        "Evidence",
        "Context measures",
        "Crosswalk",
        "Sources",
        "Quotations",
    ]
    items = book["Items"]
    assert items.protection.sheet is True
    assert (items["A2"].value, items["A2"].protection.locked) == ("P2-INDEX-DATA", True)
    assert items["C2"].protection.locked is False
    assert items["A18"].protection.locked is False  # a spare row, for a new item
    assert book["Descriptors"]["A2"].protection.locked is True
    assert book["Descriptors"]["C2"].protection.locked is False
    assert [(v.type, v.formula1, str(v.sqref)) for v in items.data_validations.dataValidation] == [
        ("list", "Principles!$A$2:$A$57", "B2:B57"),  # 16 items, 40 spare rows
        ("list", '"TRUE,FALSE"', "E2:G57"),
        ("textLength", "4000", "A2:A57 C2:D57 H2:H57"),
    ]
    assert book["Descriptors"].cell(1, 5).value == "Level 4"


def test_edited_descriptor_imports_as_a_new_version_whose_diff_names_only_that_change():
    new_text = "LEA told some stakeholders about the index once, in one format."

    def edit(book):
        sheet = book["Descriptors"]
        assert (sheet["A3"].value, sheet["C1"].value) == ("P2-STAKEHOLDER", "Level 2")
        sheet["C3"] = new_text

    preview = preview_import(SHIPPED, _edited("core-p2@2015-16", edit), "core-p2@2016-17")

    assert preview.based_on.key == "core-p2@2015-16"
    assert preview.rubric.key == "core-p2@2016-17"
    assert preview.changes == [
        Change(kind="descriptor", item="P2-STAKEHOLDER", detail="level 2 descriptor changed")
    ]
    assert preview.rubric.item("P2-STAKEHOLDER").descriptors[2] == new_text
    assert preview.sha256 == content_hash(preview.rubric)


def _set(sheet, cell, value):
    def edit(book):
        book[sheet][cell] = value

    return edit


def _merge(book):
    book["Items"].merge_cells("C2:D2")


def _drop_evidence(book):
    del book["Evidence"]


@pytest.mark.parametrize(
    ("edit", "problems"),
    [
        (
            _set("Descriptors", "C3", '=HYPERLINK("http://x.example","click")'),
            [
                "Descriptors, row 3, column C (Level 2): "
                "a formula is not allowed; type the value itself"
            ],
        ),
        (
            _drop_evidence,
            ['Evidence, row 1, column A: the sheet "Evidence" is missing; the workbook needs it'],
        ),
        (
            _merge,
            ["Items, row 2, column C (Title): merged cells (C2:D2) are not allowed: unmerge them"],
        ),
        (
            _set("Items", "D5", LONG),
            [
                "Items, row 5, column D (Prompt): the text is 100,000 characters; "
                "at most 4,000 are allowed"
            ],
        ),
        (
            _set("Rubric", "B3", 1),
            [
                "Rubric, row 3, column B (Value): this workbook is format version 1; "
                "this app reads version 2: export the rubric again"
            ],
        ),
        (
            _set("Rubric", "B5", "1999-00"),
            [
                "Rubric, row 5, column B (Value): the version it was exported from, 1999-00, "
                "is not known"
            ],
        ),
        (
            _set("Items", "B2", "P9"),
            [
                "Items, row 2, column B (Principle): "
                "item P2-INDEX-DATA: principle 'P9' is not declared"
            ],
        ),
        (
            _set("Descriptors", "B4", " "),
            ["Descriptors, row 4, column B (Level 1): must not be blank"],
        ),
        (
            _set("Items", "E3", "maybe"),
            ["Items, row 3, column E (Evidence required): expected TRUE or FALSE, found maybe"],
        ),
        (
            _set("Evidence", "A2", "P2-GONE"),
            ["Evidence, row 2, column A (Item id): there is no item P2-GONE on the Items sheet"],
        ),
        (
            _set("Descriptors", "D2", "Fewer than {pdsa_cycles_per_quarter} cycles."),
            [
                "Descriptors, row 2, column D (Level 3): item P2-INDEX-DATA: "
                "unknown setting {pdsa_cycles_per_quarter}"
            ],
        ),
    ],
    ids=[
        "formula",
        "missing-sheet",
        "merged",
        "100k-chars",
        "wrong-format-version",
        "unknown-source-version",
        "unknown-principle",
        "blank-descriptor",
        "not-a-boolean",
        "unknown-item",
        "unknown-setting",
    ],
)
def test_hostile_workbook_is_refused_naming_sheet_row_and_column(edit, problems):
    data = _edited("core-p2@2015-16", edit)

    with pytest.raises(WorkbookProblems) as refused:
        preview_import(SHIPPED, data, "core-p2@2016-17")

    assert [str(p) for p in refused.value.problems] == problems


def test_workbook_of_another_rubric_id_is_refused_at_its_id_cell():
    data = write_workbook(SHIPPED.get_key("core-p2@2015-16"))

    with pytest.raises(WorkbookProblems) as refused:
        preview_import(SHIPPED, data, "core-p3@2016-17")

    assert [str(p) for p in refused.value.problems] == [
        "Rubric, row 4, column B (Value): this workbook is of rubric core-p2, not core-p3: "
        "publish it as a version of core-p2"
    ]


def test_every_problem_is_listed_not_only_the_first():
    def edit(book):
        book["Items"]["C2"] = "=A1"
        book["Scale"]["B3"] = None
        book["Items"]["E3"] = "maybe"

    with pytest.raises(WorkbookProblems) as refused:
        preview_import(SHIPPED, _edited("core-p2@2015-16", edit), "core-p2@2016-17")

    assert [str(p) for p in refused.value.problems] == [
        "Scale, row 3, column B (Label): must not be blank",
        "Items, row 2, column C (Title): a formula is not allowed; type the value itself",
        "Items, row 3, column E (Evidence required): expected TRUE or FALSE, found maybe",
    ]
    assert str(refused.value) == (
        "3 problem(s) in the workbook; the first: Scale, row 3, column B (Label): must not be "
        "blank (2 more)"
    )
    assert problems_csv(refused.value.problems).splitlines()[:2] == [
        "sheet,row,column,header,problem",
        "Scale,3,B,Label,must not be blank",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a workbook", "(file), row 1, column A: the file is not an Excel workbook (.xlsx)"),
        (
            b"x" * 2_000_001,
            "(file), row 1, column A: the file is 2,000,001 bytes; at most 2,000,000 are read",
        ),
    ],
)
def test_a_file_that_is_not_a_small_workbook_is_refused_before_it_is_opened(data, message):
    with pytest.raises(WorkbookProblems) as refused:
        preview_import(SHIPPED, data, "core-p2@2016-17")

    assert [str(p) for p in refused.value.problems] == [message]


def test_a_workbook_that_unpacks_too_large_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/big.xml", b"\0" * 25_000_000)

    with pytest.raises(WorkbookProblems) as refused:
        preview_import(SHIPPED, out.getvalue(), "core-p2@2016-17")

    assert [str(p) for p in refused.value.problems] == [
        "(file), row 1, column A: the workbook unpacks to 25,000,000 bytes; "
        "at most 20,000,000 are read"
    ]


@pytest.mark.parametrize("key", ["core-p2@2015-16", "core-p2@2014-15"])
def test_an_existing_version_is_never_replaced(key):
    data = write_workbook(SHIPPED.get_key("core-p2@2015-16"))

    with pytest.raises(RubricError) as refused:
        preview_import(SHIPPED, data, key)

    assert str(refused.value) == (
        f"{key} is already published, and a published version never changes: "
        "choose a new version name"
    )


def test_text_from_a_file_is_shown_with_control_characters_escaped():
    assert shown("P2-\x07GONE\x1b[31m") == "P2-\\x07GONE\\x1b[31m"
    assert shown("y" * 100) == "y" * 59 + "…"


# --- stored versions ------------------------------------------------------------------------


@pytest.fixture
def rubrics_dir(tmp_path):
    root = tmp_path / "rubrics"
    shutil.copytree(PROJECT_ROOT / "rubrics", root)
    return root


@pytest.fixture
def coordinator(settings, db):
    with db.session() as s:
        return accounts.create_first_coordinator(
            s, settings, email="coord@core.example", name="Coordinator", password="password1"
        )


def _publish(settings, db, actor, key="core-p2@2016-17"):
    catalogue = Catalogue(settings.rubrics_dir, rubric_store.StoredRubrics(db))
    source = Catalogue(PROJECT_ROOT / "rubrics").get_key("core-p2@2015-16")
    preview = preview_import(catalogue, write_workbook(source), key)
    with db.session() as s:
        digest = rubric_store.publish(
            s, actor, catalogue, preview.rubric, based_on="core-p2@2015-16"
        )
    return catalogue, preview, digest


def test_published_version_is_found_by_a_catalogue_and_exported_again(settings, db, coordinator):
    catalogue, preview, digest = _publish(settings, db, coordinator)

    again = Catalogue(settings.rubrics_dir, rubric_store.StoredRubrics(db))
    assert again.get_key("core-p2@2016-17") == preview.rubric
    assert again.published()["core-p2@2016-17"] == digest == content_hash(preview.rubric)
    assert [r.key for r in again.all()][-1] == "core-p2@2016-17"
    back, source = read_workbook(
        write_workbook(again.get_key("core-p2@2016-17")), rubric_id="core-p2", version="2016-17"
    )
    assert (back, source) == (preview.rubric, "2016-17")
    with pytest.raises(NotFound):
        Catalogue(settings.rubrics_dir).get_key("core-p2@2016-17")  # not a file
    with db.reading() as s:
        events = [
            (e.user_id, e.action, e.entity_id, e.after) for e in s.scalars(select(AuditEvent))
        ]
    assert events[-1] == (
        coordinator.user_id,
        "publish rubric",
        "core-p2@2016-17",
        {"sha256": digest, "based_on": "core-p2@2015-16", "from": "workbook"},
    )


def test_publishing_a_stored_version_twice_is_refused(settings, db, coordinator):
    catalogue, preview, _ = _publish(settings, db, coordinator)

    with (
        pytest.raises(RubricError, match="core-p2@2016-17 is already published"),
        db.session() as s,
    ):
        rubric_store.publish(s, coordinator, catalogue, preview.rubric, based_on="core-p2@2015-16")
    with db.reading() as s:
        assert len(list(s.scalars(select(RubricVersion)))) == 1


def test_only_a_coordinator_publishes(settings, db, coordinator):
    with db.session() as s:
        user = accounts.create_user(
            s,
            settings,
            email="board@core.example",
            name="Board",
            roles=[Role.OBSERVER],
            district_code=None,
            password=None,
            by=coordinator,
        )
        board = accounts.actor_for(user)
    with pytest.raises(PermissionDenied):
        _publish(settings, db, board)
    with db.reading() as s:
        assert list(s.scalars(select(RubricVersion))) == []


def test_a_stored_version_changed_in_the_database_is_refused(settings, db, coordinator):
    _publish(settings, db, coordinator)
    with db.session() as s:
        row = s.scalars(select(RubricVersion)).one()
        data = json.loads(row.content)
        data["title"] = "Edited behind everyone's back"
        row.content = json.dumps(data)

    with pytest.raises(RubricError, match="core-p2@2016-17 in the database no longer matches"):
        Catalogue(settings.rubrics_dir, rubric_store.StoredRubrics(db)).get_key("core-p2@2016-17")


def test_a_backup_holds_the_stored_versions(settings, db, coordinator, tmp_path):
    _publish(settings, db, coordinator)

    summary = backup(settings.database_url, tmp_path / "backup.zip")

    assert summary.rows["rubric_versions"] == 1


def test_a_cycle_opens_on_a_stored_version_and_reads_it_back(settings, db, coordinator):
    catalogue, preview, digest = _publish(settings, db, coordinator)

    with db.session() as s:
        cycle = cycles.create_cycle(
            s, coordinator, catalogue, name="2016-17", rubric_key="core-p2@2016-17"
        )
    fresh = Catalogue(settings.rubrics_dir, rubric_store.StoredRubrics(db))

    assert (cycle.rubric_version, cycle.rubric_hash) == ("2016-17", digest)
    assert cycles.cycle_rubric(fresh, cycle) == preview.rubric


def test_edits_outside_the_items_are_in_the_diff_too():
    def edit(book):
        book["Rubric"]["B7"] = "2016-17"  # school year
        book["Scale"]["C2"] = "No evidence at all."
        book["Rubric"]["B8"] = 4  # meets at level
        book["Principles"]["B3"] = "Principle 2 — School Support Interventions"
        book["Items"]["B2"] = "P2-SSI"

    preview = preview_import(SHIPPED, _edited("core-p2@2015-16", edit), "core-p2@2016-17")

    assert [(c.kind, c.item, c.detail) for c in preview.changes] == [
        ("guidance", "P2-INDEX-DATA", "principle changed"),
        ("rubric", "-", "school year changed"),
        ("rubric", "-", "scale changed"),
        ("rubric", "-", "compliance changed"),
        ("rubric", "-", "principles changed"),
    ]


@pytest.mark.parametrize("key", ["core-p2", "core-p2@2016 17", "Core-P2@2016-17", "core-p2@../x"])
def test_a_malformed_new_version_name_is_refused_before_the_workbook_is_read(key):
    with pytest.raises(RubricError) as refused:
        preview_import(SHIPPED, b"never read", key)

    assert str(refused.value) == (
        f"{key!r}: expected ID@VERSION, e.g. core-p2@2016-17 (a version is letters, digits, "
        "'.', '_' and '-')"
    )


def test_a_quotation_of_an_undeclared_source_or_a_repeated_level_is_refused_at_its_cell():
    def edit(book):
        quotes = book["Quotations"]
        assert [c.value for c in quotes[2]] == [
            "P2-STAKEHOLDER",
            1,
            "pace-2016",
            'endnote xvi (to the section "Cross-District Collaboration and Peer Review")',
        ]
        quotes["C2"] = "memo-16-4"
        for column, value in zip("ABCD", ["P2-STAKEHOLDER", 4, "pace-2016", "p. 12"], strict=True):
            quotes[f"{column}4"] = value

    data = _edited("core-p2@2015-16.1", edit)

    with pytest.raises(WorkbookProblems) as refused:
        preview_import(SHIPPED, data, "core-p2@2016-17")

    assert [str(p) for p in refused.value.problems] == [
        "Quotations, row 4, column B (Level): level 4 of this item is listed above already"
    ]
    fixed = _edited(
        "core-p2@2015-16.1", lambda book: book["Quotations"].__setitem__("C2", "memo-16-4")
    )
    with pytest.raises(WorkbookProblems) as refused:
        preview_import(SHIPPED, fixed, "core-p2@2016-17")
    assert [str(p) for p in refused.value.problems] == [
        "Quotations, row 2, column C (Source id): item P2-STAKEHOLDER: quoted: source "
        "'memo-16-4' is not declared"
    ]


def test_a_provenance_edit_imports_and_the_diff_names_it():
    def edit(book):
        book["Quotations"]["D2"] = "endnote xvi"

    preview = preview_import(SHIPPED, _edited("core-p2@2015-16.1", edit), "core-p2@2016-17")

    assert preview.changes == [
        Change(kind="guidance", item="P2-STAKEHOLDER", detail="quoted changed")
    ]
    assert preview.rubric.provenance(preview.rubric.item("P2-STAKEHOLDER"), 1) == (
        "Quoted from Marsh et al. (2016), PACE, endnote xvi"
    )
