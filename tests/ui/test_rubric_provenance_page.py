"""The Rubrics page and the rating pages say whose words each descriptor is."""

from __future__ import annotations

import shutil

from review.settings import PROJECT_ROOT
from ui.components.descriptors import NOT_RECORDED

QUOTED = (
    'Quoted from Marsh et al. (2016), PACE, endnote xvi (to the section "Cross-District '
    'Collaboration and Peer Review")'
)
WRITTEN = "Written for this product"
CITATION = (
    "Marsh et al. (2016), PACE: Marsh, J. A., Bush-Mecenas, S., Hough, H., Park, V., "
    "Allbright, T., Hall, M., \\& Glover, H. (November 2016). At the Forefront of the New "
    "Accountability Era: Early Implementation Findings from the CORE Waiver Districts. Policy "
    "Analysis for California Education (PACE), edpolicyinca.org."
)


def _wording(at) -> list[str]:
    return [c.value for c in at.caption if c.value in (QUOTED, WRITTEN, NOT_RECORDED)]


def test_self_evaluation_descriptors_say_whose_words_they_are(app_as):
    at = app_as("lead@alv.example", "self_evaluation")
    at.button(key="self_item_open_P2-STAKEHOLDER").click().run()

    assert _wording(at) == [QUOTED, WRITTEN, WRITTEN, QUOTED]
    captions = [c.value for c in at.caption]
    assert CITATION in captions
    assert any(c.startswith("About the sources: Levels 1 and 4 are the two ends") for c in captions)

    at = app_as("lead@alv.example", "self_evaluation")
    at.button(key="self_item_open_P2-PLAN").click().run()
    assert _wording(at) == [WRITTEN] * 4
    assert CITATION not in [c.value for c in at.caption]


def test_rubrics_page_shows_what_a_version_corrects_and_each_descriptors_provenance(app_as):
    at = app_as("coordinator@core.example", "rubrics")

    assert at.selectbox(key="rubric_version").value == "core-p2@2015-16.1"
    assert at.info[0].value.startswith(
        "What this version corrects: Corrects core-p2@2015-16. (1) Every descriptor now says"
    )
    assert CITATION in [c.value for c in at.caption]
    # Every item's descriptors (in its expander): 16 items, 4 levels, two of them quoted.
    wording = _wording(at)
    assert len(wording) == 64 and wording.count(QUOTED) == 2

    at.selectbox(key="rubric_version").set_value("core-p2@2015-16").run()
    assert not at.info
    assert _wording(at) == [NOT_RECORDED] * 17  # the version's note, and one per item


def test_descriptor_text_from_a_workbook_is_shown_as_written(app_as, tmp_path, monkeypatch):
    root = tmp_path / "rubrics"
    shutil.copytree(PROJECT_ROOT / "rubrics", root)
    text = (root / "core-p2" / "2015-16.1.yaml").read_text(encoding="utf-8")
    hostile = "**bold** ![x](http://example.invalid/x.png) <b>tag</b>"
    text = text.replace('version: "2015-16.1"', 'version: "2016-17"').replace(
        "      1: Schools did not visit one another's classrooms.", f"      1: '{hostile}'"
    )
    (root / "core-p2" / "2016-17.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("REVIEW_RUBRICS_DIR", str(root))

    at = app_as("coordinator@core.example", "rubrics")

    assert at.selectbox(key="rubric_version").value == "core-p2@2016-17"
    escaped = "\\*\\*bold\\*\\* !\\[x\\](http://example.invalid/x.png) \\<b\\>tag\\</b\\>"
    assert escaped in [m.value for m in at.markdown]


def test_calibration_descriptors_say_whose_words_they_are(app_as):
    at = app_as("coordinator@core.example", "calibration")
    assert at.selectbox(key="calibration_item").value == "P2-INDEX-DATA"

    box = next(e for e in at.expander if e.label == "Level descriptors")
    assert _wording(box) == [WRITTEN] * 4
    assert (
        box.markdown[0].value
        == "**P2-INDEX-DATA · Collection of School Quality Improvement Index data**"
    )

    at.selectbox(key="calibration_item").set_value("P2-STAKEHOLDER").run()
    box = next(e for e in at.expander if e.label == "Level descriptors")
    assert _wording(box) == [QUOTED, WRITTEN, WRITTEN, QUOTED]
    assert CITATION in [c.value for c in box.caption]
