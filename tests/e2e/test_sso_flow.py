"""Single sign-on in Chromium against a local OIDC provider (`oidc-provider-mock`).

The app's `redirect_uri` names its own port, so the app is served on a port chosen here; the
provider runs on a thread of this process. Everything is on 127.0.0.1, the host the browser
uses: the identity cookie belongs to that host.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from benchmarks._serve import free_port
from review.demo import COORDINATOR_EMAIL
from tests.e2e.conftest import DemoServer, serve_demo

try:
    import oidc_provider_mock
except ImportError:  # the dev extra installs it
    oidc_provider_mock = None

SSO_BUTTON = "Sign in with your organisation's account"
UNVERIFIED = (
    "Your organisation has not verified the e-mail address coordinator@core.example, so it "
    "cannot sign you in here; ask your coordinator."
)


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    if oidc_provider_mock is None:
        message = "oidc-provider-mock is not installed (pip install -e '.[dev]')"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the single sign-on test cannot run: {message}")
        pytest.skip(message)
    users = [
        oidc_provider_mock.User(
            sub=sub,
            claims={"email": COORDINATOR_EMAIL, "email_verified": verified, "name": sub},
        )
        for sub, verified in (("unverified", False), ("verified", True))
    ]
    folder = tmp_path_factory.mktemp("sso")
    with oidc_provider_mock.run_server_in_thread(user_claims=users) as provider:
        issuer = f"http://127.0.0.1:{provider.server_port}"
        port = free_port()
        secrets = folder / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "e2e-cookie-secret-not-for-production"\n'
            'client_id = "e2e-client"\n'
            'client_secret = "e2e-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        env = {
            "STREAMLIT_SECRETS_FILES": str(secrets),
            "REVIEW_SSO_ISSUERS": issuer,
            "REVIEW_SSO_EMAIL_DOMAINS": "core.example",
        }
        with serve_demo(folder, lambda db, settings: None, env=env, port=port) as server:
            yield server


def _sign_in_at_provider(page: Page, server: DemoServer, sub: str) -> None:
    page.goto(server.url)
    page.get_by_role("button", name=SSO_BUTTON).click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_role("button", name=sub, exact=True).click()


def _end_provider_session(page: Page) -> None:
    """The provider's sign-out page, where Streamlit's logout sends the browser; then back."""
    expect(page.get_by_role("heading", name="End Session")).to_be_visible()
    page.get_by_role("button", name="End session").click()


def _signed_out(page: Page) -> None:
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible()
    expect(page.get_by_role("heading", name="My work")).to_have_count(0)
    expect(page.get_by_text(UNVERIFIED)).to_have_count(0)


def test_an_unverified_email_is_refused_and_signs_out(page: Page, sso_server: DemoServer) -> None:
    _sign_in_at_provider(page, sso_server, "unverified")
    expect(page.get_by_text(UNVERIFIED)).to_be_visible()
    expect(page.get_by_role("heading", name="My work")).to_have_count(0)
    page.get_by_role("button", name="Sign out of single sign-on").click()
    _end_provider_session(page)
    _signed_out(page)
    page.reload()
    _signed_out(page)


def test_a_verified_coordinator_signs_in_and_out_and_a_reload_stays_out(
    page: Page, sso_server: DemoServer
) -> None:
    # Sign-out once kept the identity cookie 4 times in 13: go round more than once.
    for _ in range(3):
        _sign_in_at_provider(page, sso_server, "verified")
        expect(page.get_by_role("heading", name="My work")).to_be_visible()
        page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
        _end_provider_session(page)
        _signed_out(page)
        page.reload()
        _signed_out(page)
