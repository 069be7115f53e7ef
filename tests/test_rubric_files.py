"""Every shipped rubric file validates, is published, and keeps its published content."""

import re

import pytest

from review.rubrics import Catalogue, content_hash, diff
from review.settings import PROJECT_ROOT

CATALOGUE = Catalogue(PROJECT_ROOT / "rubrics")
PATHS = CATALOGUE.paths()
SEED_TOP = (
    "LEA conducted regular, meaningful stakeholder engagement on the School Quality Improvement "
    "Index and School Support Interventions to administrators, teachers, other staff, parents, "
    "and the local community in multiple easy-to-access fashions."
)
SEED_BOTTOM = "LEA did not attempt to consult on Principle 2 to relevant stakeholders."


def test_rubric_folder_has_the_shipped_versions_and_their_corrections():
    assert [p.relative_to(CATALOGUE.root).as_posix() for p in PATHS] == [
        "core-p2/2014-15.1.yaml",
        "core-p2/2014-15.yaml",
        "core-p2/2015-16.1.yaml",
        "core-p2/2015-16.yaml",
    ]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_rubric_file_matches_its_published_hash(path):
    rubric = CATALOGUE.check(path)
    assert CATALOGUE.published()[rubric.key] == content_hash(rubric)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_rubric_file_has_four_levels_and_twelve_items(path):
    rubric = CATALOGUE.check(path)
    assert rubric.levels == [1, 2, 3, 4]
    assert len(rubric.items) >= 12


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_stakeholder_item_quotes_the_seed(path):
    rubric = CATALOGUE.check(path)
    matches = [i for i in rubric.items if i.descriptors[4] == SEED_TOP]
    assert len(matches) == 1
    assert matches[0].descriptors[1] == SEED_BOTTOM


def test_shipped_versions_differ_for_real():
    old, new = CATALOGUE.get("core-p2", "2014-15"), CATALOGUE.get("core-p2", "2015-16")
    kinds = {c.kind for c in diff(old, new)}
    assert {"added", "removed", "renamed", "reworded", "setting"} <= kinds
    assert new.crosswalk is not None and new.crosswalk.from_version == "2014-15"
    assert old.settings["pdsa_cycles_per_year"] != new.settings["pdsa_cycles_per_year"]


def test_rubric_placeholders_resolve():
    for rubric in CATALOGUE.all():
        for item in rubric.items:
            for text in (item.prompt, *item.descriptors.values()):
                assert not re.search(r"\{\w+\}", rubric.text(text))
