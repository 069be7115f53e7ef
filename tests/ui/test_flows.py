"""Behaviour of the pages, driven through AppTest on a copy of the demo network."""

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from review import cycles, ratings
from review.audit import events
from review.db import RETRIES, Database, District, Evidence, Rating, SignInSession
from review.demo import PASSWORD
from review.errors import Busy
from review.ratings import MAX_TEXT, RatingInput
from tests.ui.conftest import APP, TIMEOUT, overview_rows
from ui.guard import inert

PDF = b"%PDF-1.4\n%synthetic upload\n"


def _district_id(db, code):
    with db.reading() as s:
        return s.scalar(select(District.id).where(District.code == code))


def _self_row(db, code, item):
    with db.reading() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        district_id = _district_id(db, code)
        return ratings.find_rating(s, cycle, district_id, item, district_id)


def test_sign_in_wrong_password_then_right_password(demo_db):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input(key="email").input("lead@alv.example")
    at.text_input(key="password").input("not-the-password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["The e-mail or password is not right."]
    at.text_input(key="password").input(PASSWORD)
    at.button[0].click().run()
    assert [t.value for t in at.title] == ["My work"]
    assert "Alder Valley Unified review lead (demo)" in at.sidebar.caption[0].value


def _sign_in_with_the_form(email):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input(key="email").input(email)
    at.text_input(key="password").input(PASSWORD)
    return at.button[0].click().run()


def _reloaded_with_cookie(monkeypatch, token):
    """A new browser connection (a reload) that sends `token` as its session cookie."""
    from ui import state

    monkeypatch.setattr(state, "_browser_cookie", lambda: token)
    return AppTest.from_file(APP, default_timeout=TIMEOUT).run()


def test_a_reload_keeps_the_user_signed_in_until_sign_out(demo_db, monkeypatch):
    at = _sign_in_with_the_form("lead@alv.example")
    token = at.session_state["session_token"]
    with demo_db.session() as s:
        stored = s.scalars(select(SignInSession.token_sha256)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    script = at.get("html")[0].proto.body
    assert f"document.cookie = 'review_session={token}; Path=/; Max-Age=43200;" in script

    reloaded = _reloaded_with_cookie(monkeypatch, token)
    assert [t.value for t in reloaded.title] == ["My work"]
    assert "Alder Valley Unified review lead (demo)" in reloaded.sidebar.caption[0].value

    reloaded.sidebar.button(key="sign_out").click().run()
    assert [t.value for t in reloaded.title] == ["District Peer Review"]
    assert "Max-Age=0;" in reloaded.get("html")[0].proto.body
    with demo_db.session() as s:
        assert s.scalars(select(SignInSession)).all() == []
    again = _reloaded_with_cookie(monkeypatch, token)
    assert [t.value for t in again.title] == ["District Peer Review"]


def test_an_unknown_session_cookie_shows_the_sign_in_form(demo_db, monkeypatch):
    at = _reloaded_with_cookie(monkeypatch, "not-a-token")
    assert [t.value for t in at.title] == ["District Peer Review"]
    assert not at.error


def test_sign_out_returns_to_sign_in(app_as):
    at = app_as("lead@alv.example")
    at.sidebar.button(key="sign_out").click().run()
    assert [t.value for t in at.title] == ["District Peer Review"]


def test_the_next_person_on_the_same_browser_gets_their_own_pages(demo_db):
    at = _sign_in_with_the_form("lead@alv.example")
    at.switch_page("ui/pages/progress.py").run()
    assert [e.value for e in at.error] == ["You do not have access to this page."]
    at.sidebar.button(key="sign_out").click().run()
    at.text_input(key="email").input("coordinator@core.example")
    at.text_input(key="password").input(PASSWORD)
    at.button[0].click().run()
    at.switch_page("ui/pages/progress.py").run()
    assert [t.value for t in at.title] == ["Progress"]


def test_save_self_rating_stores_level_and_narrative(app_as, demo_db):
    at = app_as("lead@alv.example", "self_evaluation")
    item = at.selectbox(key="self_item").value
    at.radio(key=f"self_level_{item}").set_value("3 Implementing")
    at.text_area(key=f"self_narrative_{item}").input("Quarterly parent forums at every school.")
    at.button(key=f"save_{item}").click().run()
    assert not at.exception and not at.error
    row = _self_row(demo_db, "ALV", item)
    assert (row.level, row.narrative) == (3, "Quarterly parent forums at every school.")


def test_conflicting_save_is_refused_and_shows_the_other_text(app_as, demo_db):
    at = app_as("lead@alv.example", "self_evaluation")
    item = at.selectbox(key="self_item").value
    other = app_as("lead@alv.example", "self_evaluation")
    other.text_area(key=f"self_narrative_{item}").input("Colleague's version")
    other.button(key=f"save_{item}").click().run()
    at.text_area(key=f"self_narrative_{item}").input("My version")
    at.button(key=f"save_{item}").click().run()
    assert "saved this rating after you opened it" in at.error[0].value
    assert "Colleague's version" in [t.value for t in at.text]
    assert _self_row(demo_db, "ALV", item).narrative == "Colleague's version"


def test_upload_evidence_links_it_to_the_item(app_as, demo_db):
    at = app_as("lead@alv.example", "self_evaluation")
    item = at.selectbox(key="self_item").value
    at.file_uploader(key=f"upload_{item}_0").set_value(("agenda final.pdf", PDF, "application/pdf"))
    at.run()
    at.text_input(key=f"upload_description_{item}_0").input("Parent forum agenda")
    at.button(key=f"upload_button_{item}").click().run()
    assert [s.value for s in at.success] == [f"Uploaded agenda final.pdf and linked it to {item}."]
    with demo_db.session() as s:
        names = set(s.scalars(select(Evidence.file_name)))
    assert "agenda final.pdf" in names


def test_upload_of_a_disallowed_type_is_refused_with_the_type_found(app_as):
    at = app_as("lead@alv.example", "self_evaluation")
    item = at.selectbox(key="self_item").value
    at.file_uploader(key=f"upload_{item}_0").set_value(
        ("report.pdf", b"GIF89a" + b"\0" * 20, "application/pdf")
    )
    at.run()
    at.button(key=f"upload_button_{item}").click().run()
    assert at.error[0].value.startswith("report.pdf: the content is image/gif (.gif)")
    assert not at.exception


def test_submit_refused_lists_missing_items(app_as, demo_db):
    at = app_as("lead@bhu.example", "self_evaluation")
    at.button(key="submit_self").click().run()
    assert at.error[0].value == "The self-evaluation cannot be submitted yet. Still missing:"
    missing = [t.value for t in at.text if ": has no level" in t.value]
    assert missing[:2] == [
        "P2-INDEX-DATA (Collection of School Quality Improvement Index data): "
        "has no level, needs evidence",
        "P2-STAKEHOLDER (Stakeholder engagement on Principle 2): has no level, needs evidence",
    ]
    assert len(missing) == 15  # 15 required items without level, each without evidence too
    # Each missing item opens from the refusal.
    at.button(key="self_item_missing_P2-STAKEHOLDER").click().run()
    assert at.selectbox(key="self_item").value == "P2-STAKEHOLDER"
    assert not at.error
    with demo_db.session() as s:
        part = cycles.participation(s, cycles.get_cycle(s, "2015-16"), _district_id(demo_db, "BHU"))
        assert part.phase == "draft"


def test_reviewer_opening_an_unassigned_district_is_refused(app_as):
    at = app_as("lead@alv.example", "peer_review")
    at.query_params["district"] = "DCU"
    at.run()
    assert at.error[0].value.startswith("You are not assigned to review district DCU")
    assert at.selectbox(key="peer_district").options == [
        "CPU · Cedar Plains Unified",
        "FHU · Fairhaven Unified",
    ]


def test_peer_rating_saved_from_the_review_page(app_as, demo_db):
    at = app_as("lead@cpu.example", "peer_review")
    at.selectbox(key="peer_district").set_value("FHU").run()
    at.button(key="peer_set_FHU_withdraw").click().run()  # the demo's set is submitted
    item = at.selectbox(key="peer_item_FHU").value
    at.radio(key=f"peer_level_FHU_{item}").set_value("2 Beginning")
    at.text_area(key=f"peer_rationale_FHU_{item}").input("Agendas but no sign-in sheets.")
    at.text_area(key=f"peer_suggestions_FHU_{item}").input("Collect sign-ins by school.")
    at.button(key=f"peer_save_FHU_{item}").click().run()
    assert not at.error, [e.value for e in at.error]
    with demo_db.session() as s:
        row = s.scalar(
            select(Rating).where(
                Rating.cycle_id == cycles.get_cycle(s, "2015-16").id,
                Rating.item_id == item,
                Rating.district_id == _district_id(demo_db, "FHU"),
                Rating.rater_district_id == _district_id(demo_db, "CPU"),
            )
        )
    assert (row.level, row.narrative, row.suggestions) == (
        2,
        "Agendas but no sign-in sheets.",
        "Collect sign-ins by school.",
    )


def test_rated_items_are_ticked_and_counted_for_the_reviewer(app_as):
    at = app_as("lead@ecu.example", "peer_review")
    at.selectbox(key="peer_district").set_value("DCU").run()
    assert at.caption[0].value == "Self-evaluation submitted · you have rated 0 of 16 items"
    item = at.selectbox(key="peer_item_DCU").value
    at.radio(key=f"peer_level_DCU_{item}").set_value("3 Implementing")
    at.text_area(key=f"peer_rationale_DCU_{item}").input("Agendas and sign-in sheets.")
    at.button(key=f"peer_save_DCU_{item}").click().run()
    assert at.caption[0].value == "Peer review · you have rated 1 of 16 items"
    rated = [row[0] for row in overview_rows(at) if row[3] == "Rated"]
    assert rated == [item]


def test_a_change_made_elsewhere_shows_at_the_next_rerun(app_as, demo_db):
    at = app_as("lead@ecu.example", "peer_review")
    at.selectbox(key="peer_district").set_value("DCU").run()
    assert at.metric[0].value == "79,700"
    with demo_db.session() as s:  # as the command line, or another server process, would
        s.scalar(select(District).where(District.code == "DCU")).enrollment = 80000
    at.run()
    assert at.metric[0].value == "80,000"


def test_a_rating_saved_in_another_browser_shows_at_the_next_rerun(app_as):
    at = app_as("lead@ecu.example", "peer_review")
    at.selectbox(key="peer_district").set_value("DCU").run()
    item = at.selectbox(key="peer_item_DCU").value
    other = app_as("lead@ecu.example", "peer_review")
    other.selectbox(key="peer_district").set_value("DCU").run()
    other.radio(key=f"peer_level_DCU_{item}").set_value("3 Implementing")
    other.button(key=f"peer_save_DCU_{item}").click().run()
    at.run()
    assert at.caption[0].value == "Peer review · you have rated 1 of 16 items"


def test_the_self_evaluation_page_shows_a_save_at_once(app_as):
    at = app_as("lead@alv.example", "self_evaluation")
    rated = int(at.get("progress")[0].proto.text.split(" of ")[0])
    item = next(row[0] for row in overview_rows(at) if row[2] == "–")
    at.selectbox(key="self_item").set_value(item).run()
    at.radio(key=f"self_level_{item}").set_value("4 Fully implemented").run()  # autosaved
    assert not at.error
    assert at.get("progress")[0].proto.text.startswith(f"{rated + 1} of ")


def test_setup_triad_upload_with_bad_rows_names_row_and_column(app_as):
    at = app_as("coordinator@core.example", "setup")
    at.file_uploader(key="triads_file").set_value(
        ("triads.csv", b"triad,district_code\nNorth,ALV\n,CPU\n", "text/csv")
    )
    at.run()
    at.button(key="preview_triads").click().run()
    assert at.error[0].value == (
        "triads.csv: 1 problem, nothing was saved: row 3, column triad: empty"
    )


def test_setup_districts_upload_with_bad_rows_gives_one_message_and_saves_nothing(app_as, demo_db):
    at = app_as("coordinator@core.example", "setup")
    at.file_uploader(key="districts_file").set_value(
        (
            "districts.csv",
            b"code,name,enrollment\nZZ1,Zed,ten thousand\nZZ2,,-500\n",
            "text/csv",
        )
    )
    at.run()
    at.button(key="preview_districts").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "districts.csv: 3 problems, nothing was saved; the first: row 2, column enrollment: "
        "'ten thousand' is not a whole number ≥ 0"
    ]
    # The first problems as a table, and all of them as a CSV to download.
    shown = next(d.value for d in at.dataframe if "Problem" in d.value.columns)
    assert shown.to_dict("records") == [
        {"Row": 2, "Column": "enrollment", "Problem": "'ten thousand' is not a whole number ≥ 0"},
        {"Row": 3, "Column": "name", "Problem": "empty"},
        {"Row": 3, "Column": "enrollment", "Problem": "'-500' is not a whole number ≥ 0"},
    ]
    assert "Download all 3 problems (CSV)" in str(at.get("download_button")[0].proto)
    with demo_db.session() as s:
        assert s.scalar(select(District).where(District.code.in_(["ZZ1", "ZZ2"]))) is None


def _district_rows(at: AppTest) -> dict[str, dict[str, object]]:
    table = at.dataframe[0].value
    return {row["Code"]: row.drop("Code").to_dict() for _, row in table.iterrows()}


def test_setup_districts_show_counts_from_the_cycles_index_data(app_as):
    at = app_as("coordinator@core.example", "setup")
    rows = _district_rows(at)
    assert rows["ALV"] == {
        "Name": "Alder Valley Unified",
        "Students": 11200,
        "Schools": "9",
        "Priority": "2",
        "Focus": "1",
        "Reward": "0",
    }
    assert rows["FHU"]["Schools"] == "490"
    assert at.caption[0].value == (
        "Schools and priority/focus/reward schools: cycle 2015-16, index data 2015-16."
    )


def with_demo_unchanged(db) -> bool:
    with db.reading() as s:
        return s.scalar(select(District).where(District.code == "ZZ1")) is None


def test_setup_old_districts_file_loads_with_its_counts_ignored_and_says_so(app_as, demo_db):
    at = app_as("coordinator@core.example", "setup")
    at.file_uploader(key="districts_file").set_value(
        (
            "districts.csv",
            b"code,name,enrollment,school_count,priority_count\nZZ1,Zed,4200,12,3\n",
            "text/csv",
        )
    )
    at.run()
    at.button(key="preview_districts").click().run()
    assert with_demo_unchanged(demo_db)
    preview = next(d.value for d in at.dataframe if "Becomes" in d.value.columns)
    assert preview.to_dict("records") == [{"Code": "ZZ1", "Was": "new", "Becomes": "Zed, 4200"}]
    at.button(key="import_districts").click().run()
    assert not at.error
    assert [s.value for s in at.success] == [
        inert(
            "Imported districts.csv: 1 district(s) added, 0 changed, 0 unchanged. districts.csv: "
            "column(s) school_count, priority_count ignored: a district's schools and its "
            "priority/focus/reward counts now come from each cycle's imported index data."
        )
    ]
    with demo_db.reading() as s:
        audited = [e.after for e in events(s) if e.action == "import districts"]
    assert [(a["file"], a["added"], a["changed"], a["unchanged"]) for a in audited] == [
        ("districts.csv", 1, 0, 0)
    ]
    # The cycle's index data has no ZZ1 schools: not imported, never the 12 typed in the file.
    assert _district_rows(at)["ZZ1"] == {
        "Name": "Zed",
        "Students": 4200,
        "Schools": "not imported",
        "Priority": "not imported",
        "Focus": "not imported",
        "Reward": "not imported",
    }


def test_coordinator_builds_all_packets_and_gets_one_download(app_as):
    at = app_as("coordinator@core.example", "packets")
    assert at.selectbox(key="packet_district").value == "ALL"
    # Six packets, CPU's kept as final on the way: more than the default 30 s on a busy machine.
    at.button(key="build_packets").click().run(timeout=120)
    assert not at.exception and not at.error
    assert at.download_button(key="download_packet").label == "Download 6 packets"


def test_district_sees_no_packet_before_its_review_is_final(app_as):
    at = app_as("lead@alv.example", "packets")
    assert at.info[0].value.startswith("No packet is available to you yet")


def test_changing_the_level_autosaves_a_draft(app_as, demo_db):
    at = app_as("lead@alv.example", "self_evaluation")
    item = at.selectbox(key="self_item").value
    before = _self_row(demo_db, "ALV", item)
    at.radio(key=f"self_level_{item}").set_value("1 Not started").run()
    after = _self_row(demo_db, "ALV", item)
    assert after.level == 1
    assert after.row_version == (before.row_version + 1 if before else 1)


def test_context_measures_left_empty_are_not_reported_as_zero(app_as, demo_db):
    at = app_as("lead@bhu.example", "self_evaluation")
    at.selectbox(key="self_item").set_value("P2-STAKEHOLDER").run()
    assert at.number_input(key="self_ctx_P2-STAKEHOLDER_parents_reached").value is None
    at.number_input(key="self_ctx_P2-STAKEHOLDER_parents_reached").set_value(120).run()
    at.radio(key="self_level_P2-STAKEHOLDER").set_value("2 Beginning").run()
    row = _self_row(demo_db, "BHU", "P2-STAKEHOLDER")
    assert (row.level, row.context_values) == (2, {"parents_reached": 120})


def test_successful_submit_is_committed(app_as, demo_db):
    from review.accounts import actor_for
    from review.cycles import cycle_rubric
    from review.db import User
    from review.rubrics import Catalogue
    from review.settings import PROJECT_ROOT

    alv = _district_id(demo_db, "ALV")
    with demo_db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        rubric = cycle_rubric(Catalogue(PROJECT_ROOT / "rubrics"), cycle)
        lead = actor_for(s.scalar(select(User).where(User.email == "lead@alv.example")))
        for item in rubric.items:
            row = ratings.find_rating(s, cycle, alv, item.id, alv)
            if row is None:
                ratings.save_self_rating(
                    s,
                    lead,
                    cycle,
                    rubric,
                    district_id=alv,
                    item_id=item.id,
                    data=RatingInput(level=3),
                    expected_version=None,
                )
    at = app_as("lead@alv.example", "self_evaluation")
    at.button(key="submit_self").click().run()
    assert [s.value for s in at.success] == [
        "Submitted. Your peer reviewers can now rate your district."
    ]
    with demo_db.session() as s:
        assert (
            cycles.participation(s, cycles.get_cycle(s, "2015-16"), alv).phase == "self_submitted"
        )


def _evidence_id(db, code, file_name):
    with db.session() as s:
        return s.scalar(
            select(Evidence.id).where(
                Evidence.district_id == _district_id(db, code), Evidence.file_name == file_name
            )
        )


def test_peer_page_previews_a_file_only_once_it_is_opened(app_as, demo_db):
    at = app_as("lead@alv.example", "peer_review")
    assert at.selectbox(key="peer_district").value == "CPU"
    at.selectbox(key="peer_item_CPU").set_value("P2-STAKEHOLDER").run()
    labels = [e.label for e in at.expander if " KB" in e.label]
    assert labels == ["stakeholder_meeting_agenda.pdf · 3 KB", "parent_meeting_signin.csv · 2 KB"]
    assert not at.dataframe and not at.download_button

    at.session_state[
        f"evidence_peer_{_evidence_id(demo_db, 'CPU', 'parent_meeting_signin.csv')}"
    ] = True
    at.run()
    table = at.dataframe[0].value
    assert len(table) == 20
    assert table.iloc[0][["date", "name", "role"]].to_dict() == {
        "date": "2015-10-29",
        "name": "Marisol Quillfeather",
        "role": "Parent",
    }
    assert [b.label for b in at.download_button] == ["Download"]

    agenda = _evidence_id(demo_db, "CPU", "stakeholder_meeting_agenda.pdf")
    at.session_state[f"evidence_peer_{agenda}"] = True
    at.run()
    assert "*Page 1*" in [m.value for m in at.markdown]
    assert any("School Quality Improvement Index" in t.value for t in at.text)
    assert len(at.download_button) == 2


def test_question_from_a_reviewer_is_answered_on_the_district_page(app_as, demo_db):
    reviewer = app_as("lead@dcu.example", "peer_review")
    reviewer.selectbox(key="peer_district").set_value("ECU").run()
    item = reviewer.selectbox(key="peer_item_ECU").value
    assert not [t for t in reviewer.text_area if t.key == f"question_ECU_{item}"]
    reviewer.session_state[f"questions_ECU_{item}"] = True
    reviewer.run()
    reviewer.text_area(key=f"question_ECU_{item}").input("Which schools did the survey miss?")
    reviewer.button(key=f"ask_ECU_{item}").click().run()
    assert reviewer.success[0].value == "Sent. The district sees it on its self-evaluation page."
    # Emptied once sent, so a second click cannot send the same question again.
    assert reviewer.text_area(key=f"question_ECU_{item}").value == ""

    district = app_as("lead@ecu.example", "self_evaluation")
    district.selectbox(key="self_item").set_value(item).run()
    assert "Which schools did the survey miss?" in [t.value for t in district.text]
    question = next(k for k in (b.key for b in district.button) if k.startswith("answer_button_"))
    district.text_area(key=question.replace("answer_button_", "answer_")).input(
        "Two alternative schools; they are surveyed in spring."
    )
    district.button(key=question).click().run()
    assert not district.error, [e.value for e in district.error]
    assert [s.value for s in district.success] == ["Answer sent."]
    assert district.text_area(key=question.replace("answer_button_", "answer_")).value == ""

    reviewer.run()
    texts = [t.value for t in reviewer.text]
    assert texts[-2:] == [
        "Which schools did the survey miss?",
        "Two alternative schools; they are surveyed in spring.",
    ]


def test_a_save_that_finds_the_database_busy_keeps_the_text_in_the_form(
    app_as, demo_db, monkeypatch
):
    at = app_as("lead@alv.example", "self_evaluation")
    item = at.selectbox(key="self_item").value
    before = _self_row(demo_db, "ALV", item)
    tries = []

    def locked(_session):
        tries.append(1)
        raise OperationalError("UPDATE ratings", {}, Exception("database is locked"))

    original = Database.write
    monkeypatch.setattr(
        Database, "write", lambda self, work, **kw: original(self, lambda s: locked(s), **kw)
    )
    at.text_area(key=f"self_narrative_{item}").input("Forums at every school, twice a term.")
    at.button(key=f"save_{item}").click().run()
    assert not at.exception
    # The narrative's own autosave meets the lock too: every attempt was retried, then refused.
    assert at.error and {e.value for e in at.error} == {str(Busy())}
    assert tries and len(tries) % RETRIES == 0
    assert (
        at.text_area(key=f"self_narrative_{item}").value == "Forums at every school, twice a term."
    )
    after = _self_row(demo_db, "ALV", item)
    assert (after.row_version, after.narrative) == (before.row_version, before.narrative)


def test_a_narrative_is_held_to_the_limit_and_one_at_the_limit_is_saved(app_as, demo_db):
    at = app_as("lead@alv.example", "self_evaluation")
    item = at.selectbox(key="self_item").value
    before = _self_row(demo_db, "ALV", item)
    box = f"self_narrative_{item}"
    at.text_area(key=box).input("x" * (MAX_TEXT + 1)).run()  # the field takes no more
    assert not at.exception and not at.error
    assert at.text_area(key=box).value == before.narrative
    assert _self_row(demo_db, "ALV", item).row_version == before.row_version
    at.text_area(key=box).input("y" * MAX_TEXT).run()
    assert not at.exception and not at.error
    after = _self_row(demo_db, "ALV", item)
    assert (after.row_version, after.narrative) == (before.row_version + 1, "y" * MAX_TEXT)


def test_a_final_districts_packet_is_kept_and_listed_with_its_checksum(app_as, demo_db):
    """A district made final (here directly, as a finished review would leave it) shows its
    kept packet: the version, its SHA-256, and a download of exactly those bytes."""
    import hashlib

    from sqlalchemy import select

    from review import accounts, cycles, packets
    from review.access import Phase
    from review.db import User

    with demo_db.session() as s:
        coordinator = accounts.actor_for(
            s.scalar(select(User).where(User.email == "coordinator@core.example"))
        )
        cycle = cycles.get_cycle(s, "2015-16")
        part = cycles.participation(s, cycle, cycles.get_district(s, "DCU").id, lock="update")
        cycles.set_phase(s, coordinator, part, Phase.FINAL)
    at = app_as("lead@dcu.example", "packets")
    assert at.selectbox(key="packet_district").value == "DCU"
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    with demo_db.reading() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        [kept] = packets.kept(s, cycle, cycles.get_district(s, "DCU").id)
        data = packets.stored_bytes(s, kept.sha256)
    assert list(table["Version"]) == [1]
    assert list(table["SHA-256"]) == [hashlib.sha256(data).hexdigest()]
    assert list(table["By"]) == ["Dunmore City Unified review lead (demo)"]  # who opened it first
    assert at.download_button(key="download_kept").label == "Download DCU-2015-16-packet-v1.zip"
