"""Taking access away acts at the next click in every open tab of the account.

Two tabs of the same person are two AppTest sessions; between their reruns the coordinator
removes a role, disables the account or changes its password, as another browser would.
"""

from __future__ import annotations

from sqlalchemy import func, select

from review import accounts
from review.access import Role
from review.db import AuditEvent, Database, SignInSession, User
from review.demo import PASSWORD
from review.settings import Settings

LEAD = "lead@cpu.example"
COORDINATOR = "coordinator@core.example"


def _coordinator(db: Database):
    with db.reading() as s:
        return accounts.actor_for(s.scalar(select(User).where(User.email == COORDINATOR)))


def _events(db: Database, action: str) -> int:
    with db.reading() as s:
        return s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )


def _rate(tab, item: int, text: str) -> None:
    """Fill in a rating of FHU's `item`-th item, unsaved (FHU is in peer review; each tab rates
    its own item, so neither meets the other's save as a conflict)."""
    tab.selectbox(key="peer_district").set_value("FHU").run()
    chosen = tab.selectbox(key="peer_item_FHU")
    chosen.set_value(chosen.options[item].split(" · ")[0]).run()
    rationale = next(t for t in tab.text_area if t.key and t.key.startswith("peer_rationale_"))
    rationale.input(text)


def _save(tab) -> None:
    next(b for b in tab.button if b.label == "Save rating").click().run()


def _signed_out_because(tab) -> list[str]:
    assert [t.value for t in tab.title] == ["District Peer Review"]  # the sign-in page
    return [w.value for w in tab.warning]


def test_a_removed_role_is_gone_at_the_next_click_in_another_tab(app_as, demo_db):
    one, two = app_as(LEAD, "peer_review"), app_as(LEAD, "peer_review")
    one.selectbox(key="peer_district").set_value("FHU").run()
    one.button(key="peer_set_FHU_withdraw").click().run()  # the demo's set is submitted
    before = _events(demo_db, "save peer rating")
    _rate(two, 1, "Saved from a tab whose role was taken away.")
    _rate(one, 0, "Graduation data cited in the evidence binder.")
    _save(one)
    assert _events(demo_db, "save peer rating") == before + 1

    with demo_db.session() as s:
        accounts.create_user(
            s,
            Settings.from_env(),
            email=LEAD,
            name="Lead CPU",
            roles=[Role.DISTRICT_EDITOR],
            district_code="CPU",
            password=None,
            by=_coordinator(demo_db),
        )
    _save(two)  # its next click

    assert _events(demo_db, "save peer rating") == before + 1
    assert [t.value for t in two.title] == ["Rate a district"]
    assert [e.value for e in two.error] == ["You do not have access to this page."]
    assert not two.exception


def test_a_disabled_account_is_signed_out_of_every_tab_at_its_next_run(app_as, demo_db):
    one, two = app_as(LEAD, "peer_review"), app_as(LEAD, "home")
    _rate(one, 0, "Typed before the account was disabled.")
    before = _events(demo_db, "save peer rating")

    with demo_db.session() as s:
        accounts.disable_user(s, _coordinator(demo_db), LEAD)
    _save(one)
    two.run()

    assert _events(demo_db, "save peer rating") == before
    for tab in (one, two):
        assert _signed_out_because(tab) == ["This account is disabled; ask your coordinator."]
    two.run()  # said once; the tab stays signed out
    assert _signed_out_because(two) == []


def test_a_password_change_signs_the_other_tabs_out_and_the_new_password_works(app_as, demo_db):
    one, two = app_as(LEAD, "home"), app_as(LEAD, "home")
    with demo_db.session() as s:
        token = accounts.start_session(s, one.session_state["actor"], Settings.from_env())
        accounts.create_user(
            s,
            Settings.from_env(),
            email=LEAD,
            name="Lead CPU",
            roles=[Role.DISTRICT_EDITOR, Role.PEER_REVIEWER],
            district_code="CPU",
            password="a-new-password-1",
            by=_coordinator(demo_db),
        )
    two.run()

    assert _signed_out_because(two) == [
        "You have been signed out: this account's password was changed or its sessions "
        "were ended. Sign in again."
    ]
    with demo_db.reading() as s:
        assert accounts.resume_session(s, token) is None  # its cookie signs nobody in
    two.text_input(key="email").input(LEAD)
    two.text_input(key="password").input(PASSWORD)
    two.button[0].click().run()
    assert [e.value for e in two.error] == ["The e-mail or password is not right."]
    two.text_input(key="password").input("a-new-password-1")
    two.button[0].click().run()
    assert [t.value for t in two.title] == ["My work"]


def test_the_coordinator_disables_enables_and_unlocks_in_cycle_setup(app_as, demo_db):
    lead = app_as(LEAD, "home")
    setup = app_as(COORDINATOR, "setup")
    setup.selectbox(key="switch_email").set_value(LEAD).run()
    setup.button(key="disable_user").click().run()
    assert [s.value for s in setup.success] == [
        f"Account {LEAD} disabled; its sessions have ended."
    ]
    with demo_db.reading() as s:
        user = s.scalar(select(User).where(User.email == LEAD))
        assert user.active is False
        assert (
            s.scalar(
                select(func.count())
                .select_from(SignInSession)
                .where(SignInSession.user_id == user.id)
            )
            == 0
        )
    lead.run()
    assert _signed_out_because(lead) == ["This account is disabled; ask your coordinator."]

    setup.selectbox(key="switch_email").set_value(LEAD).run()
    setup.button(key="disable_user").click().run()
    assert [e.value for e in setup.error] == [f"{LEAD} is already disabled."]
    setup.button(key="enable_user").click().run()
    assert [s.value for s in setup.success] == [f"Account {LEAD} enabled."]
    setup.button(key="unlock_user").click().run()
    assert [e.value for e in setup.error] == [f"{LEAD} is not locked and has no failed sign-ins."]
    assert accounts.sign_in(demo_db, Settings.from_env(), LEAD, PASSWORD).email == LEAD


def test_a_coordinator_changing_their_own_password_stays_signed_in_here_only(app_as):
    other = app_as(COORDINATOR, "home")
    setup = app_as(COORDINATOR, "setup")
    setup.text_input(key="user_email").input(COORDINATOR)
    setup.text_input(key="user_name").input("Coordinator")
    setup.multiselect(key="user_roles").select("coordinator")
    setup.text_input(key="user_password").input("another-pass-1")
    next(b for b in setup.button if b.label == "Save account").click().run()

    assert [s.value for s in setup.success] == [f"Account {COORDINATOR} saved."]
    setup.run()
    assert [t.value for t in setup.title] == ["Cycle setup"]
    other.run()
    assert _signed_out_because(other)[0].startswith("You have been signed out")
