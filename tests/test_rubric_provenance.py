"""Whose words each descriptor is, and the corrected versions that say so (issue 14, item 3)."""

import json
import re

import pytest
import yaml
from pydantic import ValidationError

from review.rubrics import Catalogue, Quote, Rubric, content_hash, diff
from review.settings import PROJECT_ROOT

CATALOGUE = Catalogue(PROJECT_ROOT / "rubrics")
CORRECTED = ["core-p2@2014-15.1", "core-p2@2015-16.1"]
ENDNOTE = 'endnote xvi (to the section "Cross-District Collaboration and Peer Review")'
QUOTED = f"Quoted from Marsh et al. (2016), PACE, {ENDNOTE}"
# What the project's own notes look like; none of it may reach a user.
INTERNAL = re.compile(
    r"design\.md|domain\.md|reference\.md|style\.md|tooling\.md|\bseeds?\b|\[\d{3}:\d", re.I
)


def test_published_versions_keep_their_hashes():
    record = json.loads((PROJECT_ROOT / "rubrics" / "published.json").read_text())
    assert record["core-p2@2014-15"] == (
        "640a3fdd9b839cdbaae535c46ee274cd3bc55cd23cab89560723f5da0a88db59"
    )
    assert record["core-p2@2015-16"] == (
        "ea537eee99a3e5156112fe5eb20e18a3d5d4e14d7b5ecdf43a34d889d327f4d5"
    )
    for key in ("core-p2@2014-15", "core-p2@2015-16", *CORRECTED):
        assert content_hash(CATALOGUE.get_key(key)) == record[key]


def test_a_version_without_provenance_dumps_as_it_was_published():
    old = CATALOGUE.get_key("core-p2@2015-16")
    dumped = old.model_dump(mode="json")
    assert "provenance_recorded" not in dumped and "sources" not in dumped
    assert all("quoted" not in i and "source_note" not in i for i in dumped["items"])
    assert old.provenance(old.item("P2-STAKEHOLDER"), 4) is None


@pytest.mark.parametrize("key", CORRECTED)
def test_corrected_version_quotes_only_the_stakeholder_ends(key):
    rubric = CATALOGUE.get_key(key)
    assert rubric.provenance_recorded is True
    assert [(s.id, s.short) for s in rubric.sources] == [("pace-2016", "Marsh et al. (2016), PACE")]
    assert rubric.sources[0].citation.startswith(
        "Marsh, J. A., Bush-Mecenas, S., Hough, H., Park, V., Allbright, T., Hall, M., & "
        "Glover, H. (November 2016). At the Forefront of the New Accountability Era"
    )
    stakeholder = rubric.item("P2-STAKEHOLDER")
    quote = Quote(source="pace-2016", location=ENDNOTE)
    assert stakeholder.quoted == {1: quote, 4: quote}
    assert [rubric.provenance(stakeholder, level) for level in rubric.levels] == [
        QUOTED,
        "Written for this product",
        "Written for this product",
        QUOTED,
    ]
    quoted = {(i.id, level) for i in rubric.items for level in i.quoted}
    assert quoted == {("P2-STAKEHOLDER", 1), ("P2-STAKEHOLDER", 4)}
    written = [rubric.provenance(i, lv) for i in rubric.items for lv in rubric.levels]
    assert written.count("Written for this product") == 4 * len(rubric.items) - 2


@pytest.mark.parametrize(
    ("key", "old_key"),
    [("core-p2@2014-15.1", "core-p2@2014-15"), ("core-p2@2015-16.1", "core-p2@2015-16")],
)
def test_corrected_version_says_what_it_corrects(key, old_key):
    rubric = CATALOGUE.get_key(key)
    assert rubric.corrects is not None
    assert rubric.corrects.version == old_key.split("@")[1]
    assert rubric.corrects.summary.startswith(f"Corrects {old_key}. (1) Every descriptor now says")
    assert "encouraged, not required" in rubric.corrects.summary
    assert "the sources disagree" in rubric.corrects.summary
    assert rubric.title.startswith("District peer review modelled on the CORE waiver districts")


def test_level_three_does_not_require_what_priority_schools_were_only_encouraged_to_do():
    for key in CORRECTED:
        rubric = CATALOGUE.get_key(key)
        meets = {i.id: rubric.text(i.descriptors[3]) for i in rubric.items}
        assert "two to three" not in meets["P2-PROBLEMS"]
        assert "at least one specific problem of practice" in meets["P2-PROBLEMS"]
        assert "turnaround" not in meets["P2-PLAN"]
        assert meets["P2-PLAN"] == (
            "Each priority school has an improvement plan, developed with its district "
            "facilitator, that addresses its problems of practice."
        )
        assert "two to three" in rubric.text(rubric.item("P2-PROBLEMS").descriptors[4])
        assert "turnaround" in rubric.text(rubric.item("P2-PLAN").descriptors[4])
        assert "progress" not in meets["P2-PROGRESS"]
        meetings = "P2-PAIR-MEETINGS" if key.endswith("2014-15.1") else "P2-COLLABORATION"
        assert meets[meetings] == (
            "Paired schools met at least 3 times, recorded with agendas and sign-in sheets."
        )
        assert "structure" not in meets[meetings]
    assert CATALOGUE.get_key("core-p2@2014-15").item("P2-PLAN").descriptors[3] == (
        "Each priority school has an improvement plan that addresses the seven turnaround "
        "principles and its problems of practice."
    )


def test_where_the_sources_disagree_the_corrected_versions_say_so_and_agree():
    old, new = (CATALOGUE.get_key(k) for k in CORRECTED)
    expected = {"pdsa_cycles_per_year": 3, "pairing_meetings_per_year": 3}
    assert old.settings == new.settings == expected
    assert not [c for c in diff(old, new) if c.kind == "setting"]
    for rubric in (old, new):
        note = rubric.text(rubric.item("P2-PDSA").source_note or "")
        assert note.startswith("The sources disagree on how many cycles were required.")
        assert '"run quarterly PDSA (Plan-Do-Study-Act) cycles"' in note
        assert '"to engage in a set of three Plan-Do-Study-Act cycles each year"' in note
        assert "Neither passage ties its number to a school year." in note


def test_corrected_versions_carry_over_through_the_crosswalk():
    old, new = (CATALOGUE.get_key(k) for k in CORRECTED)
    assert new.crosswalk is not None and new.crosswalk.from_version == "2014-15.1"
    kinds = [(c.kind, c.item, c.detail) for c in diff(old, new)]
    assert ("renamed", "P2-INDEX-DATA", "was P2-MS-DATA") in kinds
    assert ("renamed", "P2-COLLABORATION", "was P2-PAIR-MEETINGS") in kinds
    assert ("removed", "P2-PAIR-CROSS", "Cross-district pairing arrangements") in kinds


def _raw(**changes):
    raw = yaml.safe_load((PROJECT_ROOT / "rubrics" / "core-p2" / "2015-16.1.yaml").read_text())
    raw["version"] = "x"
    for item in raw["items"]:
        if item["id"] == "P2-STAKEHOLDER":
            item.update(changes.pop("item", {}))
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            _raw(item={"quoted": {5: {"source": "pace-2016", "location": "p. 1"}}}),
            "item P2-STAKEHOLDER: quoted: level not on the scale",
        ),
        (
            _raw(item={"quoted": {4: {"source": "memo", "location": "p. 1"}}}),
            "item P2-STAKEHOLDER: quoted: source 'memo' is not declared",
        ),
        (
            _raw(provenance_recorded=False),
            "item P2-STAKEHOLDER: quoted: the version does not record provenance",
        ),
    ],
)
def test_a_quote_must_name_a_level_a_declared_source_and_a_recording_version(raw, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        Rubric.model_validate(raw)


def _strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def test_no_text_a_user_sees_cites_the_projects_internal_notes():
    """Every value (not the comments) of the rubric versions and index specs users are offered,
    and every string literal in ui/ and exports/."""
    published_before = {"core-sqii@2016-17"}  # its note did; core-sqii@2016-17.1 corrects it
    files = sorted((PROJECT_ROOT / "rubrics").glob("*/*.yaml"))
    files += sorted((PROJECT_ROOT / "index_specs").glob("*/*.yaml"))
    found = []
    for path in files:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if f"{raw['id']}@{raw['version']}" in published_before:
            continue
        found += [f"{path.name}: {s[:80]}" for s in _strings(raw) if INTERNAL.search(s)]
    for folder in ("ui", "exports"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            for literal in re.findall(r'"[^"\n]*"', path.read_text(encoding="utf-8")):
                if INTERNAL.search(literal):
                    found.append(f"{path.name}: {literal}")
    assert found == []


def test_the_old_index_note_is_what_the_corrected_spec_fixes():
    from review.index.catalogue import SpecCatalogue

    specs = SpecCatalogue(PROJECT_ROOT / "index_specs")
    assert "domain.md" in specs.get_key("core-sqii@2016-17").notes
    corrected = specs.get_key("core-sqii@2016-17.1")
    assert "domain.md" not in corrected.notes
    assert "Table 1 of Marsh et al. (2016)" in corrected.notes
    assert "PACE Policy Memo 16-4" in corrected.notes
