"""The item and district pickers keep their choice; the item overview opens any item.

A real browser sends back the option label it was given; when that label changed (a status mark
after a save), Streamlit fell back to the first option. AppTest sends the current label, so it
cannot show the fall-back itself (tests/e2e/test_stable_selection.py does); these tests pin what
prevents it: labels that do not change with status, and a lost choice put back.
"""

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from review import comments, cycles
from review.accounts import actor_for
from review.db import Evidence, EvidenceLink, Rating, User
from tests.ui.conftest import TIMEOUT, overview_rows
from tests.ui.test_flows import _district_id

ITEM = "P2-COLLABORATION"  # not rated by ALV in the demo


def _status(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Status: "))


def test_a_save_changes_the_status_beside_the_picker_never_its_options(app_as, demo_db):
    at = app_as("lead@alv.example", "self_evaluation")
    at.selectbox(key="self_item").set_value(ITEM).run()
    options = at.selectbox(key="self_item").options
    assert _status(at) == "Status: Needs a level"

    at.radio(key=f"self_level_{ITEM}").set_value("2 Beginning").run()
    at.radio(key=f"self_level_{ITEM}").set_value("3 Implementing").run()

    assert at.selectbox(key="self_item").options == options
    assert f"{ITEM} · Meetings and collaboration of paired schools" in options
    assert at.selectbox(key="self_item").value == ITEM
    assert _status(at) == "Status: Complete"
    row = next(r for r in overview_rows(at) if r[0] == ITEM)
    assert row[2:4] == ["3", "Complete"]


def _picker_app() -> None:
    import streamlit as st

    from ui.components import item_picker

    if st.session_state.get("lose"):
        # What a browser sends when the label it holds is no longer an option.
        st.session_state["pick"] = "○ b · a label since changed"
        st.session_state["lose"] = False
    item_picker.choose("Item", ["a", "b", "c"], key="pick", format_func=str.upper)


def test_a_choice_the_picker_lost_is_put_back():
    at = AppTest.from_function(_picker_app, default_timeout=TIMEOUT).run()
    at.selectbox(key="pick").set_value("b").run()
    at.session_state["lose"] = True
    at.run()
    assert at.selectbox(key="pick").value == "b"
    assert not at.exception


def test_the_overview_lists_every_item_as_the_database_has_it(app_as, demo_db):
    at = app_as("lead@alv.example", "self_evaluation")
    alv = _district_id(demo_db, "ALV")
    with demo_db.reading() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        levels = dict(
            s.execute(
                select(Rating.item_id, Rating.level).where(
                    Rating.cycle_id == cycle.id,
                    Rating.district_id == alv,
                    Rating.rater_district_id == alv,
                )
            ).all()
        )
        files = dict(
            s.execute(
                select(EvidenceLink.item_id, func.count())
                .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
                .where(Evidence.cycle_id == cycle.id, Evidence.district_id == alv)
                .group_by(EvidenceLink.item_id)
            ).all()
        )
    rows = overview_rows(at)
    assert len(rows) == 16
    assert [r[2] for r in rows] == [str(levels[r[0]]) if r[0] in levels else "–" for r in rows]
    assert [r[4] for r in rows] == [
        "–" if not files.get(r[0]) else f"{files[r[0]]} file{'' if files[r[0]] == 1 else 's'}"
        for r in rows
    ]
    assert len(levels) == 8  # the demo rates half of ALV's items
    assert {r[3] for r in rows if r[0] not in levels} <= {
        "Needs a level",
        "Needs a level and evidence",
        "Not rated (optional)",
    }
    first = rows[0]
    assert first[:2] == ["P2-INDEX-DATA", "Collection of School Quality Improvement Index data"]


def test_opening_an_item_from_the_overview_chooses_it_and_folds_the_overview(app_as, demo_db):
    at = app_as("lead@alv.example", "self_evaluation")
    at.button(key=f"self_item_open_{ITEM}").click().run()
    assert at.selectbox(key="self_item").value == ITEM
    assert at.session_state["self_item_overview"] is False
    at.radio(key=f"self_level_{ITEM}").set_value("4 Fully implemented").run()
    with demo_db.reading() as s:
        alv = _district_id(demo_db, "ALV")
        level = s.scalar(
            select(Rating.level).where(
                Rating.district_id == alv, Rating.rater_district_id == alv, Rating.item_id == ITEM
            )
        )
    assert level == 4


def test_questions_waiting_show_in_the_overview_until_answered(app_as, demo_db):
    with demo_db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        reviewer = actor_for(s.scalar(select(User).where(User.email == "lead@cpu.example")))
        comments.ask_question(
            s,
            reviewer,
            cycle,
            district_id=_district_id(demo_db, "ALV"),
            item_id="P2-PLAN",
            body="Who owns the plan?",
        )
    at = app_as("lead@alv.example", "self_evaluation")
    waiting = {r[0]: r[5] for r in overview_rows(at) if r[5] != "–"}
    assert waiting == {"P2-PLAN": "1 waiting"}

    at.button(key="self_item_open_P2-PLAN").click().run()
    question = next(b.key for b in at.button if b.key.startswith("answer_button_"))
    at.text_area(key=question.replace("answer_button_", "answer_")).input("The principal.")
    at.button(key=question).click().run()
    at.session_state["self_item_overview"] = True
    at.run()
    assert [r[5] for r in overview_rows(at)] == ["–"] * 16


def test_the_reviewers_overview_and_district_keep_their_choice(app_as):
    at = app_as("lead@ecu.example", "peer_review")
    at.selectbox(key="peer_district").set_value("DCU").run()
    assert [r[3] for r in overview_rows(at)] == ["Not rated"] * 16
    at.button(key="peer_item_DCU_open_P2-PLAN").click().run()
    assert at.selectbox(key="peer_item_DCU").value == "P2-PLAN"
    at.radio(key="peer_level_DCU_P2-PLAN").set_value("3 Implementing")
    at.button(key="peer_save_DCU_P2-PLAN").click().run()
    at.session_state["peer_item_DCU_overview"] = True
    at.run()
    assert at.selectbox(key="peer_district").value == "DCU"
    assert at.selectbox(key="peer_item_DCU").value == "P2-PLAN"
    rated = {r[0]: r[2:4] for r in overview_rows(at) if r[3] == "Rated"}
    assert rated == {"P2-PLAN": ["3", "Rated"]}
