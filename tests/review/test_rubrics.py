from pathlib import Path

import pytest

from review.errors import RubricError
from review.rubrics import Catalogue, content_hash, crosswalk_item, diff, parse_rubric

TINY = Path(__file__).parents[1] / "data" / "rubrics" / "tiny" / "v1.yaml"


def _write(root: Path, text: str, name: str = "v1") -> Path:
    path = root / "tiny" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_parse_rubric_reads_items_and_fills_settings():
    rubric = parse_rubric(TINY)
    assert [i.id for i in rubric.items] == ["ENGAGE", "PDSA", "EXTRA"]
    assert rubric.levels == [1, 2, 3, 4]
    assert rubric.text(rubric.item("PDSA").descriptors[4]) == "3 or more"


def test_parse_rubric_truncated_file_names_file_and_line(tmp_path):
    text = TINY.read_text()
    path = _write(tmp_path, text[: text.index("descriptors:") + 20])
    with pytest.raises(RubricError) as err:
        parse_rubric(path)
    assert str(err.value).startswith(f"{path}: ")


def test_parse_rubric_missing_descriptor_names_item_and_field(tmp_path):
    path = _write(tmp_path, TINY.read_text().replace("      4: regular and meaningful\n", ""))
    with pytest.raises(RubricError) as err:
        parse_rubric(path)
    assert str(err.value) == (
        f"{path}: item ENGAGE: descriptors: needs exactly one per level [1, 2, 3, 4], has [1, 2, 3]"
    )


def test_parse_rubric_unknown_field_names_item_and_field(tmp_path):
    path = _write(
        tmp_path,
        TINY.read_text().replace(
            "    evidence_required: false\n", "    evidence_requird: false\n", 1
        ),
    )
    with pytest.raises(RubricError) as err:
        parse_rubric(path)
    assert (
        str(err.value)
        == f"{path}: item PDSA, field evidence_requird: Extra inputs are not permitted"
    )


def test_parse_rubric_wrong_type_names_field(tmp_path):
    path = _write(
        tmp_path, TINY.read_text().replace("evidence_required: true", "evidence_required: often")
    )
    with pytest.raises(RubricError, match=r"item ENGAGE, field evidence_required: "):
        parse_rubric(path)


def test_parse_rubric_unknown_setting_placeholder_refused(tmp_path):
    path = _write(
        tmp_path, TINY.read_text().replace("{pdsa_cycles_per_year} or more", "{cycles} or more")
    )
    with pytest.raises(RubricError, match=r"item PDSA: unknown setting \{cycles\}"):
        parse_rubric(path)


def test_parse_rubric_path_must_match_id_and_version(tmp_path):
    path = _write(tmp_path, TINY.read_text(), name="v2")
    with pytest.raises(RubricError, match="do not match the path"):
        parse_rubric(path)


def test_parse_rubric_not_yaml_reports_line(tmp_path):
    path = _write(tmp_path, "id: tiny\nitems: [\n  - a: b\n")
    with pytest.raises(RubricError, match=r"not valid YAML at line \d+"):
        parse_rubric(path)


def test_content_hash_ignores_comments_but_not_content(tmp_path):
    rubric = parse_rubric(TINY)
    commented = _write(tmp_path, "# a new comment\n" + TINY.read_text())
    assert content_hash(parse_rubric(commented)) == content_hash(rubric)
    reworded = _write(tmp_path, TINY.read_text().replace("did not attempt", "did not try"))
    assert content_hash(parse_rubric(reworded)) != content_hash(rubric)


def test_catalogue_refuses_changed_published_version(rubrics_dir):
    catalogue = Catalogue(rubrics_dir)
    catalogue.publish(catalogue.get("tiny", "v1"))
    path = rubrics_dir / "tiny" / "v1.yaml"
    path.write_text(path.read_text().replace("did not attempt", "did not try"))
    with pytest.raises(RubricError) as err:
        catalogue.get("tiny", "v1")
    assert "tiny@v1 is published and its content has changed" in str(err.value)
    assert str(err.value).endswith("publish a new version instead of editing this one")


def test_catalogue_publish_twice_same_content_is_idempotent(rubrics_dir):
    catalogue = Catalogue(rubrics_dir)
    rubric = catalogue.get("tiny", "v1")
    assert catalogue.publish(rubric) == catalogue.publish(rubric) == content_hash(rubric)


def test_diff_lists_added_removed_renamed_and_reworded(tmp_path):
    v2 = (
        TINY.read_text()
        .replace("version: v1", "version: v2")
        .replace("id: EXTRA", "id: REFLECT")
        .replace("Anything else?", "Anything more?")
        .replace("      2: occasional", "      2: now and then")
        .replace("settings: {pdsa_cycles_per_year: 3}", "settings: {pdsa_cycles_per_year: 4}")
        + "crosswalk:\n  from_version: v1\n  items: {EXTRA: REFLECT}\n"
    )
    new = parse_rubric(_write(tmp_path, v2, name="v2"))
    old = parse_rubric(TINY)
    assert [(c.kind, c.item, c.detail) for c in diff(old, new)] == [
        ("descriptor", "ENGAGE", "level 2 descriptor changed"),
        ("renamed", "REFLECT", "was EXTRA"),
        ("reworded", "REFLECT", "title or prompt reworded"),
        ("setting", "-", "pdsa_cycles_per_year: 3 -> 4"),
        ("rubric", "-", "crosswalk changed"),
    ]
    assert crosswalk_item(new, "EXTRA") == "REFLECT"
    assert crosswalk_item(new, "PDSA") == "PDSA"
    assert crosswalk_item(new, "GONE") is None


def test_diff_without_crosswalk_reports_removed_and_added(tmp_path):
    v2 = TINY.read_text().replace("version: v1", "version: v2").replace("id: EXTRA", "id: NEW")
    new = parse_rubric(_write(tmp_path, v2, name="v2"))
    assert [(c.kind, c.item) for c in diff(parse_rubric(TINY), new)] == [
        ("removed", "EXTRA"),
        ("added", "NEW"),
    ]


def test_compliance_status_follows_thresholds():
    rubric = parse_rubric(TINY)
    assert [rubric.compliance_status(v) for v in (None, 1, 2, 3, 4)] == [
        "not rated",
        "does not meet",
        "partially meets",
        "meets",
        "meets",
    ]
