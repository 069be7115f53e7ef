"""Single sign-on on the sign-in page, with the provider's identity mocked through `at.user`."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from review.db import SignInSession
from review.demo import COORDINATOR_EMAIL
from tests.ui.conftest import APP, TIMEOUT

ISSUER = "https://id.core.example"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret-not-for-prod",
    "client_id": "test-client",
    "client_secret": "test-secret",
    "server_metadata_url": f"{ISSUER}/.well-known/openid-configuration",
}


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEW_SSO_ISSUERS", ISSUER)
    monkeypatch.setenv("REVIEW_SSO_EMAIL_DOMAINS", "core.example")


def _signed_in_by_provider(**claims: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "iss": ISSUER, "sub": "1", **claims}
    return at.run()


def _page(at: AppTest) -> tuple[list[str], list[str], list[str]]:
    return (
        [t.value for t in at.title],
        [e.value for e in at.error],
        [b.label for b in at.button if b.key in ("sso", "sso_sign_out")],
    )


def test_an_unverified_email_is_refused_and_can_sign_out_of_the_provider(demo_db, trusted):
    at = _signed_in_by_provider(email=COORDINATOR_EMAIL, email_verified=False)
    assert _page(at) == (
        ["District Peer Review"],
        [
            "Your organisation has not verified the e-mail address coordinator@core.example, so "
            "it cannot sign you in here; ask your coordinator."
        ],
        ["Sign out of single sign-on"],
    )
    assert "actor" not in at.session_state
    at.button(key="sso_sign_out").click().run()
    assert at.user == {"is_logged_in": False}
    at.run()
    assert _page(at) == (["District Peer Review"], [], ["Sign in with your organisation's account"])


def test_an_untrusted_issuer_is_refused(demo_db, trusted):
    at = _signed_in_by_provider(
        iss="https://evil.example", email=COORDINATOR_EMAIL, email_verified=True
    )
    assert _page(at) == (
        ["District Peer Review"],
        ["Single sign-on through https://evil.example is not trusted here."],
        ["Sign out of single sign-on"],
    )
    assert "actor" not in at.session_state


def test_an_identity_without_an_email_is_refused_in_words(demo_db, trusted):
    at = _signed_in_by_provider(name="No Mail")
    assert not at.exception
    assert _page(at) == (
        ["District Peer Review"],
        [
            "Your organisation's account gave no e-mail address, so it cannot be matched to an "
            "account here; ask your coordinator."
        ],
        ["Sign out of single sign-on"],
    )


def test_no_trusted_issuer_configured_refuses_everyone(demo_db):
    at = _signed_in_by_provider(email=COORDINATOR_EMAIL, email_verified=True)
    assert _page(at)[1] == [f"Single sign-on through {ISSUER} is not trusted here."]


def test_a_verified_email_of_a_trusted_issuer_signs_in_and_sign_out_ends_both(demo_db, trusted):
    at = _signed_in_by_provider(email="Coordinator@core.example", email_verified=True)
    assert [t.value for t in at.title] == ["My work"]
    assert at.session_state["actor"].email == COORDINATOR_EMAIL
    assert not at.error

    at.sidebar.button(key="sign_out").click().run()
    # Streamlit's logout ran (it clears the provider's identity), and the app's session ended.
    assert at.user == {"is_logged_in": False}
    # The run stopped at the logout: no rerun followed, which would start a new run and drop
    # the queued redirect that deletes the identity cookie (no page was drawn after it).
    assert [t.value for t in at.title] == []
    with demo_db.session() as s:
        assert s.scalars(select(SignInSession)).all() == []
    # The browser is sent to Streamlit's logout endpoint and comes back as a new session.
    again = AppTest.from_file(APP, default_timeout=TIMEOUT)
    again.secrets["auth"] = AUTH
    again.user = at.user
    again.run()
    assert _page(again) == (
        ["District Peer Review"],
        [],
        ["Sign in with your organisation's account"],
    )
