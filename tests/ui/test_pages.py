"""Every page renders for its role without an exception; the sign-in gate holds."""

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from review import accounts
from review.db import Cycle, Database
from review.settings import PROJECT_ROOT
from tests.ui.conftest import APP, TIMEOUT
from ui.shell import PAGES as SPECS

PAGES = sorted(p.stem for p in (PROJECT_ROOT / "ui" / "pages").glob("*.py"))
WHO = {
    "home": "lead@cpu.example",
    "self_evaluation": "lead@alv.example",
    "peer_review": "lead@alv.example",
    "progress": "coordinator@core.example",
    "setup": "coordinator@core.example",
    "rubrics": "coordinator@core.example",
    "packets": "coordinator@core.example",
    "reconciliation": "coordinator@core.example",
    "practice": "lead@alv.example",
    "calibration": "coordinator@core.example",
    "index_summary": "lead@fhu.example",
}


def test_every_page_file_is_in_the_navigation_or_is_sign_in():
    assert set(PAGES) - {s.name for s in SPECS} == {"sign_in"}


@pytest.mark.parametrize("page", sorted(WHO))
def test_page_renders_without_exception(app_as, page):
    at = app_as(WHO[page], page)
    assert not at.exception, [e.value for e in at.exception]
    # app.py turns any fault into a message, so a crash shows up as an error, not an exception.
    assert not at.error, [e.value for e in at.error]
    assert at.title, page


def test_a_fault_in_a_page_is_a_message_not_a_traceback(app_as, monkeypatch):
    from ui.views import progress

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    # The page's module holds its own reference once imported, so patch it there.
    monkeypatch.setattr(progress, "cycle_progress", broken)
    at = app_as("coordinator@core.example", "progress")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Something went wrong on our side. Nothing you saved before was lost; "
        "try again, and tell your coordinator if it happens again."
    ]


def test_every_page_has_a_smoke_test():
    assert set(PAGES) - {"sign_in"} == set(WHO)


def test_signed_out_visitor_sees_only_the_sign_in_form(demo_db):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert [t.value for t in at.title] == ["District Peer Review"]
    assert at.text_input(key="email") is not None
    assert not at.dataframe and not at.metric
    with pytest.raises(ValueError, match=r"Known pages: .*sign_in.py'\]"):
        at.switch_page("ui/pages/progress.py")


def test_the_sidebar_cycle_is_the_cycle_the_page_shows(app_as):
    at = app_as("coordinator@core.example", "progress")
    assert at.selectbox(key="cycle_picker").options == ["2015-16", "2014-15"]
    assert at.caption[0].value.startswith("Cycle 2015-16 · ")
    at.selectbox(key="cycle_picker").select("2014-15").run()
    assert at.caption[0].value.startswith("Cycle 2014-15 · ")
    assert at.session_state["cycle"] == "2014-15"


def test_without_any_cycle_a_page_says_how_to_make_one(tmp_path, monkeypatch):
    from review.settings import Settings

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("REVIEW_DATABASE_URL", url)
    db = Database(url)
    with db.session() as s:
        actor = accounts.create_first_coordinator(
            s,
            Settings.from_env({}, database_url=url, bcrypt_rounds=4),
            email="first@core.example",
            name="First Coordinator",
            password="first-password",
        )
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["actor"] = actor
    at.run()
    db.dispose()
    assert not at.exception and not at.error
    assert [i.value for i in at.sidebar.info] == ["No review cycle yet."]
    assert [i.value for i in at.main.info] == [
        "There is no review cycle yet. A coordinator creates one under Cycle setup."
    ]


def test_the_progress_dashboard_shows_a_rating_saved_elsewhere(app_as, demo_db):
    from datetime import date

    from sqlalchemy import select

    from review import cycles, ratings
    from review.cycles import cycle_rubric
    from review.db import District, User
    from review.progress import cycle_progress
    from review.ratings import RatingInput
    from review.rubrics import Catalogue

    def alv_percent(at) -> int:
        table = at.dataframe[0].value
        return int(table[table["District"].str.startswith("ALV")]["Self-evaluation"].iloc[0])

    at = app_as("coordinator@core.example", "progress")
    before = alv_percent(at)
    with demo_db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        rubric = cycle_rubric(Catalogue(PROJECT_ROOT / "rubrics"), cycle)
        alv = s.scalar(select(District.id).where(District.code == "ALV"))
        lead = accounts.actor_for(s.scalar(select(User).where(User.email == "lead@alv.example")))
        item = next(i.id for i in rubric.items if not ratings.find_rating(s, cycle, alv, i.id, alv))
        ratings.save_self_rating(
            s,
            lead,
            cycle,
            rubric,
            district_id=alv,
            item_id=item,
            data=RatingInput(level=3),
            expected_version=None,
        )
    at.run()
    with demo_db.session() as s:
        coordinator = accounts.actor_for(
            s.scalar(select(User).where(User.email == "coordinator@core.example"))
        )
        rows = cycle_progress(s, coordinator, cycles.get_cycle(s, "2015-16"), rubric, date.today())
    expected = next(r.self_percent for r in rows if r.code == "ALV")
    assert alv_percent(at) == expected > before


def test_the_rubrics_page_sees_a_new_version_and_an_edited_published_one(
    app_as, tmp_path, monkeypatch
):
    import shutil

    root = tmp_path / "rubrics"
    shutil.copytree(PROJECT_ROOT / "rubrics", root)
    monkeypatch.setenv("REVIEW_RUBRICS_DIR", str(root))
    at = app_as("coordinator@core.example", "rubrics")
    assert at.selectbox(key="rubric_version").options == [
        "core-p2@2014-15",
        "core-p2@2014-15.1",
        "core-p2@2015-16",
        "core-p2@2015-16.1",
    ]

    current = root / "core-p2" / "2015-16.yaml"
    text = current.read_text(encoding="utf-8")
    (root / "core-p2" / "2016-17.yaml").write_text(
        text.replace('version: "2015-16"', 'version: "2016-17"'), encoding="utf-8"
    )
    at.run()
    assert at.selectbox(key="rubric_version").options[-1] == "core-p2@2016-17"

    current.write_text(text.replace("struggling schools)", "struggling schools, edited)"))
    at.run()
    assert not at.exception
    assert "core-p2@2015-16 is published and its content has changed" in at.error[0].value


@pytest.mark.parametrize(
    ("email", "page", "title"),
    [
        ("lead@alv.example", "setup", "Cycle setup"),
        ("lead@alv.example", "progress", "Progress"),
        ("board@core.example", "self_evaluation", "Self-evaluation"),
        ("board@core.example", "reconciliation", "Reconcile ratings"),
        ("coordinator@core.example", "peer_review", "Rate a district"),
    ],
)
def test_a_page_the_role_lacks_says_so(app_as, email, page, title):
    at = app_as(email, page)
    assert [t.value for t in at.title] == [title]
    assert [e.value for e in at.error] == ["You do not have access to this page."]
    assert not at.main.get("dataframe") and not at.main.get("text_input")
    assert not at.main.get("button")


def _sidebar_titles(at) -> list[str]:
    from ui.shell import specs_for

    return [s.title for s in specs_for(at.session_state["actor"].roles)]


@pytest.mark.parametrize(
    ("email", "first"),
    [
        ("lead@alv.example", ["Self-evaluation", "Rate a district", "My work"]),
        ("coordinator@core.example", ["Progress", "My work"]),
        ("board@core.example", ["Review packets", "My work"]),
    ],
)
def test_each_role_finds_its_main_task_first_in_the_sidebar(app_as, email, first):
    at = app_as(email)
    assert _sidebar_titles(at)[: len(first)] == first


def test_cycle_setup_lists_the_triads_and_who_reviews_whom(app_as):
    at = app_as("coordinator@core.example", "setup")
    table = next(d.value for d in at.dataframe if "Reviewed by" in d.value.columns)
    assert table.values.tolist() == [
        ["Triad North", "ALV · Alder Valley Unified", "CPU, FHU"],
        ["Triad North", "CPU · Cedar Plains Unified", "ALV, FHU"],
        ["Triad North", "FHU · Fairhaven Unified", "ALV, CPU"],
        ["Triad South", "BHU · Birch Harbor Unified", "DCU, ECU"],
        ["Triad South", "DCU · Dunmore City Unified", "BHU, ECU"],
        ["Triad South", "ECU · Elm Creek Unified", "BHU, DCU"],
    ]


def test_cycle_setup_shows_roles_in_words(app_as):
    at = app_as("coordinator@core.example", "setup")
    assert at.multiselect(key="user_roles").options == [
        "District editor",
        "Peer reviewer",
        "Coordinator",
        "Observer",
    ]


def test_creating_a_cycle_on_cycle_setup_makes_it_the_sidebar_cycle(app_as, demo_db):
    at = app_as("coordinator@core.example", "setup")
    at.text_input(key="cycle_name").input("2016-17")
    at = next(b for b in at.button if b.label == "Create cycle").click().run()
    assert not at.exception and not at.error
    assert at.selectbox(key="cycle_picker").value == "2016-17"
    assert [s.value for s in at.success] == ["Cycle 2016-17 created; now define its triads."]
    # The new cycle's form starts from its own (empty) settings, not 2015-16's shown before.
    deadlines = {t.label: t.value for t in at.text_input if t.label.startswith("Deadline")}
    assert deadlines == {
        "Deadline: self-evaluation submitted": "",
        "Deadline: peer ratings given": "",
        "Deadline: reconciliation decided": "",
    }
    assert [c.value for c in at.checkbox if c.label.startswith("Districts may read")] == [False]
    with demo_db.session() as s:
        assert s.scalar(select(Cycle.name).where(Cycle.name == "2016-17")) == "2016-17"
