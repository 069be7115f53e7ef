import json
import shutil
from decimal import Decimal

import pytest
import yaml
from index_helpers import SPECS, shipped

from review.errors import NotFound
from review.index.catalogue import SpecCatalogue, content_hash, parse_spec
from review.index.spec import SpecError

SHIPPED = [
    "core-sqii@2015-16",
    "core-sqii@2016-17",
    "core-sqii@2016-17.1",
    "core-sqii-5x20@2016-17",
]


@pytest.fixture
def specs_dir(tmp_path):
    root = tmp_path / "index_specs"
    shutil.copytree(SPECS, root)
    return root


def _edit(path, change):
    raw = yaml.safe_load(path.read_text())
    change(raw)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _metric(raw, metric_id):
    return next(m for m in raw["metrics"] if m["id"] == metric_id)


# --- the shipped files --------------------------------------------------------------------------


@pytest.mark.parametrize("key", SHIPPED)
def test_shipped_spec_is_published_with_its_hash(key):
    catalogue = SpecCatalogue(SPECS)

    spec = catalogue.get_key(key)

    assert catalogue.published()[key] == content_hash(spec)
    assert (spec.n_size, [(b.low, b.high) for b in spec.bands]) == (20, [(1, 3), (4, 7), (8, 10)])


def test_shipped_specs_are_exactly_the_files():
    assert sorted(s.key for s in SpecCatalogue(SPECS).all()) == sorted(SHIPPED)
    assert sorted(SpecCatalogue(SPECS).published()) == sorted(SHIPPED)


def test_spec_2015_16_counts_only_what_counted_that_year():
    spec = shipped("core-sqii@2015-16")

    assert [m.id for m in spec.metrics if not m.counts] == [
        "academic_growth",
        "sel_skills",
        "culture_climate",
    ]
    assert [(d.id, d.weight) for d in spec.domains] == [("academic", 60), ("se_cc", 40)]


def test_spec_2016_17_is_the_full_system_60_40():
    spec = shipped("core-sqii@2016-17")

    assert all(m.counts for m in spec.metrics)
    assert [(d.id, d.weight) for d in spec.domains] == [("academic", 60), ("se_cc", 40)]


def test_spec_5x20_has_five_elements_of_20():
    spec = shipped("core-sqii-5x20@2016-17")

    assert [(d.id, d.weight) for d in spec.domains] == [
        ("performance", Decimal(20)),
        ("growth", Decimal(20)),
        ("culture_climate", Decimal(20)),
        ("social_emotional", Decimal(20)),
        ("completion", Decimal(20)),
    ]


@pytest.mark.parametrize("key", SHIPPED)
def test_shipped_spec_states_source_rules(key):
    spec = shipped(key)

    assert spec.metric("academic_growth").school_types == ("elementary", "middle")
    assert spec.metric("academic_growth").cut_points == tuple(range(10, 100, 10))
    assert spec.metric("el_redesignation").subgroups is False
    assert all(m.subgroups for m in spec.metrics if m.id != "el_redesignation")
    assert spec.subgroup_categories == ("lowest_race", "el", "swd", "sed")


@pytest.mark.parametrize("key", SHIPPED)
def test_shipped_spec_marks_every_unstated_setting_illustrative(key):
    fields = set(shipped(key).illustrative_fields())

    assert {
        "overall_cut_points",
        "unreported_metric",
        "group_shares.all_students",
        "group_shares.subgroups",
        "lowest_race_group.among",
        "lagging.at_or_below_level",
        "lagging.levels_below_network_median",
    } <= fields
    for metric in shipped(key).metrics:
        assert f"metrics.{metric.id}.weight" in fields
        stated = metric.id == "academic_growth"  # growth deciles are stated (reference §C1)
        assert (f"metrics.{metric.id}.cut_points" in fields) is not stated


# --- parsing errors -----------------------------------------------------------------------------


def test_parse_spec_unknown_metric_field_names_metric_and_field(specs_dir):
    path = _edit(
        specs_dir / "core-sqii" / "2016-17.yaml",
        lambda raw: _metric(raw, "graduation").update(wieght=1),
    )

    with pytest.raises(SpecError) as err:
        parse_spec(path)

    assert (
        str(err.value) == f"{path}: metric graduation, field wieght: Extra inputs are not permitted"
    )


def test_parse_spec_cut_points_must_run_the_right_way(specs_dir):
    path = _edit(
        specs_dir / "core-sqii" / "2016-17.yaml",
        lambda raw: _metric(raw, "chronic_absence").update(cut_points=list(range(1, 10))),
    )

    with pytest.raises(SpecError) as err:
        parse_spec(path)

    assert str(err.value) == (
        f"{path}: metric chronic_absence: cut_points: lower is better, so they must fall from "
        "level 2 to 10"
    )


def test_parse_spec_needs_nine_cut_points(specs_dir):
    path = _edit(
        specs_dir / "core-sqii" / "2016-17.yaml",
        lambda raw: _metric(raw, "graduation").update(cut_points=[60, 70, 80]),
    )

    with pytest.raises(SpecError, match=r"metric graduation: cut_points: needs 9 values, has 3"):
        parse_spec(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda raw: raw["domains"][0].update(weight=50),
            "domains: weights must add up to 100, they add up to 90",
        ),
        (
            lambda raw: raw["bands"][1].update(high=6),
            "bands: must cover levels 1-10 once each, without gaps or overlaps",
        ),
        (lambda raw: raw.update(illustrative=["cut_pionts"]), "illustrative: 'cut_pionts' is not"),
        (
            lambda raw: _metric(raw, "graduation").update(domain="outcomes"),
            "metric graduation: domain 'outcomes' is not declared",
        ),
        (lambda raw: raw.update(school_year="2016-18"), "field school_year: '2016-18' is not"),
        (lambda raw: raw["groups"].pop(0), "groups: the all-students group 'all' is required"),
        (
            lambda raw: raw.update(subgroup_categories=["el", "foster"]),
            "subgroup_categories: unknown 'foster'",
        ),
    ],
)
def test_parse_spec_refuses_inconsistent_settings(specs_dir, change, message):
    path = _edit(specs_dir / "core-sqii" / "2016-17.yaml", change)

    with pytest.raises(SpecError) as err:
        parse_spec(path)

    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_parse_spec_path_must_match_id_and_version(specs_dir):
    path = specs_dir / "core-sqii" / "2017-18.yaml"
    shutil.copy(specs_dir / "core-sqii" / "2016-17.yaml", path)

    with pytest.raises(SpecError, match=r"do not match the path \(expected core-sqii@2017-18\)"):
        parse_spec(path)


def test_parse_spec_bad_yaml_names_line(specs_dir):
    path = specs_dir / "core-sqii" / "2016-17.yaml"
    path.write_text("id: core-sqii\nmetrics: [\n")

    with pytest.raises(SpecError, match=r"not valid YAML at line 3"):
        parse_spec(path)


# --- publication --------------------------------------------------------------------------------


def test_catalogue_refuses_a_changed_published_spec(specs_dir):
    path = _edit(
        specs_dir / "core-sqii" / "2016-17.yaml",
        lambda raw: _metric(raw, "graduation").update(weight=2),
    )

    with pytest.raises(SpecError) as err:
        SpecCatalogue(specs_dir).get_key("core-sqii@2016-17")

    assert str(err.value).startswith(f"{path}: core-sqii@2016-17 is published and its content has")
    assert str(err.value).endswith("publish a new version instead of editing this one")


def test_catalogue_ignores_layout_and_comments(specs_dir):
    path = specs_dir / "core-sqii" / "2016-17.yaml"
    path.write_text("# reformatted\n" + yaml.safe_dump(yaml.safe_load(path.read_text())))

    assert SpecCatalogue(specs_dir).get_key("core-sqii@2016-17").key == "core-sqii@2016-17"


def test_catalogue_publish_records_new_version_once(specs_dir):
    catalogue = SpecCatalogue(specs_dir)
    new = specs_dir / "core-sqii" / "2017-18.yaml"
    _edit(
        shutil.copy(specs_dir / "core-sqii" / "2016-17.yaml", new),
        lambda raw: raw.update(version="2017-18", school_year="2017-18"),
    )

    digest = catalogue.publish(catalogue.get_key("core-sqii@2017-18"))

    assert json.loads((specs_dir / "published.json").read_text())["core-sqii@2017-18"] == digest
    _edit(new, lambda raw: raw.update(title="changed"))
    with pytest.raises(SpecError, match="is published and its content has changed"):
        catalogue.get_key("core-sqii@2017-18")


def test_catalogue_unknown_key_lists_known_specs(specs_dir):
    with pytest.raises(NotFound) as err:
        SpecCatalogue(specs_dir).get_key("core-sqii@1999-00")

    assert str(err.value).endswith(
        "(known: core-sqii@2015-16, core-sqii@2016-17.1, core-sqii@2016-17, core-sqii-5x20@2016-17)"
    )


@pytest.mark.parametrize("key", ["core-sqii", "@2016-17", "../x@2016-17"])
def test_catalogue_malformed_key_refused(specs_dir, key):
    with pytest.raises(SpecError, match="expected ID@VERSION"):
        SpecCatalogue(specs_dir).get_key(key)
