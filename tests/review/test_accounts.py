import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from review import accounts
from review.access import Role
from review.db import SignInSession, User
from review.errors import PermissionDenied
from review.settings import Settings

T0 = datetime(2016, 1, 10, 9, 0, tzinfo=UTC)


def test_sign_in_with_right_password_returns_actor(world):
    actor = accounts.sign_in(world.db, world.settings, "LEAD@a.example ", "password1", at=T0)
    assert (actor.email, actor.district_id) == ("lead@a.example", world.district_id("A"))
    assert actor.roles == frozenset({Role.DISTRICT_EDITOR, Role.PEER_REVIEWER})


def test_sign_in_unknown_and_wrong_password_give_the_same_message(world):
    for email, password in (("nobody@x.example", "password1"), ("lead@a.example", "nope")):
        with pytest.raises(PermissionDenied) as err:
            accounts.sign_in(world.db, world.settings, email, password, at=T0)
        assert str(err.value) == "The e-mail or password is not right."


def test_repeated_failures_lock_the_account_for_a_while(world):
    for _ in range(world.settings.login_max_failures):
        with pytest.raises(PermissionDenied):
            accounts.sign_in(world.db, world.settings, "lead@a.example", "wrong", at=T0)
    with pytest.raises(PermissionDenied) as err:
        accounts.sign_in(
            world.db, world.settings, "lead@a.example", "password1", at=T0 + timedelta(minutes=1)
        )
    assert str(err.value) == (
        "Too many failed sign-ins: this account is locked for 15 more minute(s)."
    )
    later = T0 + timedelta(minutes=world.settings.login_lock_minutes + 1)
    assert accounts.sign_in(world.db, world.settings, "lead@a.example", "password1", at=later)


@pytest.mark.parametrize(
    ("email", "password", "roles", "district", "message"),
    [
        (
            "not-an-email",
            "password1",
            [Role.OBSERVER],
            None,
            "'not-an-email' is not an e-mail address",
        ),
        (
            "x@y.example",
            "short",
            [Role.OBSERVER],
            None,
            "x@y.example: the password needs at least 8 characters",
        ),
        (
            "x@y.example",
            "password1",
            [Role.DISTRICT_EDITOR],
            None,
            "x@y.example: district roles need a district",
        ),
        (
            "x@y.example",
            "password1",
            [Role.DISTRICT_EDITOR],
            "ZZ",
            "x@y.example: no district with code 'ZZ'",
        ),
    ],
)
def test_create_user_refuses_bad_input(world, email, password, roles, district, message):
    with world.db.session() as s, pytest.raises(Exception) as err:
        accounts.create_user(
            s,
            world.settings,
            email=email,
            name="X",
            roles=roles,
            district_code=district,
            password=password,
        )
    assert str(err.value) == message


GOOGLE = "https://accounts.google.com"
MICROSOFT = "https://login.microsoftonline.com/{tenantid}/v2.0"
TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"


def _sso(settings, **changes):
    values = {
        "sso_issuers": (GOOGLE, MICROSOFT),
        "sso_tenants": (),
        "sso_email_domains": ("core.example", "@A.example"),
        **changes,
    }
    return settings.model_copy(update=values)


def _claims(**changes):
    return {"iss": GOOGLE, "email": "Board@core.example", "email_verified": True, **changes}


def test_sso_settings_are_comma_separated_lists():
    settings = Settings.from_env(
        {
            "REVIEW_SSO_ISSUERS": f" {GOOGLE} ,{MICROSOFT},",
            "REVIEW_SSO_TENANTS": TENANT,
            "REVIEW_SSO_EMAIL_DOMAINS": "core.example, a.example",
        }
    )
    assert settings.sso_issuers == (GOOGLE, MICROSOFT)
    assert settings.sso_tenants == (TENANT,)
    assert settings.sso_email_domains == ("core.example", "a.example")
    assert Settings.from_env({}).sso_issuers == ()


def test_a_verified_email_of_a_trusted_issuer_is_the_identity(world):
    settings = _sso(world.settings)
    assert accounts.external_identity(_claims(), settings) == "board@core.example"
    microsoft = _claims(
        iss=f"https://login.microsoftonline.com/{TENANT}/v2.0/", tid=TENANT, email="x@a.example"
    )
    assert accounts.external_identity(microsoft, settings) == "x@a.example"
    tenants = _sso(world.settings, sso_tenants=(TENANT.upper(),))
    assert accounts.external_identity(microsoft, tenants) == "x@a.example"


NO_EMAIL = (
    "Your organisation's account gave no e-mail address, so it cannot be matched to an "
    "account here; ask your coordinator."
)
UNVERIFIED = (
    "Your organisation has not verified the e-mail address board@core.example, so it cannot "
    "sign you in here; ask your coordinator."
)
MS_TENANT = "https://login.microsoftonline.com/other-tenant/v2.0"


@pytest.mark.parametrize(
    ("claims", "changes", "message"),
    [
        (_claims(email=None), {}, NO_EMAIL),
        ({"iss": GOOGLE, "email_verified": True}, {}, NO_EMAIL),
        (_claims(email="  "), {}, NO_EMAIL),
        (_claims(email_verified=False), {}, UNVERIFIED),
        (_claims(email_verified="true"), {}, UNVERIFIED),
        ({"iss": GOOGLE, "email": "board@core.example"}, {}, UNVERIFIED),
        (
            _claims(iss="https://evil.example"),
            {},
            "Single sign-on through https://evil.example is not trusted here.",
        ),
        (
            _claims(iss=None),
            {},
            "Single sign-on through a provider that gave no issuer is not trusted here.",
        ),
        (
            _claims(),
            {"sso_issuers": ()},
            "Single sign-on through https://accounts.google.com is not trusted here.",
        ),
        (
            _claims(iss=MS_TENANT),
            {},
            f"Single sign-on through {MS_TENANT} is not trusted here.",
        ),
        (
            _claims(iss=MS_TENANT, tid="other-tenant"),
            {"sso_tenants": (TENANT,)},
            f"Single sign-on from tenant other-tenant of {MS_TENANT} is not trusted here.",
        ),
        (
            _claims(),
            {"sso_tenants": (TENANT,)},
            f"Single sign-on through {GOOGLE} gave no tenant, and only listed tenants are "
            "trusted here.",
        ),
        (
            _claims(email="someone@gmail.com"),
            {},
            "E-mail addresses at gmail.com are not trusted for single sign-on here; "
            "ask your coordinator.",
        ),
        (
            _claims(email="someone@sub.core.example"),
            {},
            "E-mail addresses at sub.core.example are not trusted for single sign-on here; "
            "ask your coordinator.",
        ),
        (
            _claims(),
            {"sso_email_domains": ()},
            "E-mail addresses at core.example are not trusted for single sign-on here; "
            "ask your coordinator.",
        ),
    ],
)
def test_an_untrusted_identity_is_refused_saying_why(world, claims, changes, message):
    with pytest.raises(PermissionDenied) as err:
        accounts.external_identity(claims, _sso(world.settings, **changes))
    assert str(err.value) == message


def test_sign_in_external_maps_a_trusted_identity_to_its_active_account(world):
    settings = _sso(world.settings)
    with world.db.session() as s:
        assert accounts.sign_in_external(s, settings, _claims()) == world.observer
        with pytest.raises(PermissionDenied) as err:
            accounts.sign_in_external(s, settings, _claims(email="stranger@core.example"))
        assert str(err.value) == (
            "stranger@core.example has no account here; ask your coordinator to add you."
        )
        with pytest.raises(PermissionDenied) as err:
            accounts.sign_in_external(s, settings, _claims(email_verified=False))
        assert str(err.value) == UNVERIFIED
        s.scalar(select(User).where(User.email == "board@core.example")).active = False
    with world.db.session() as s, pytest.raises(PermissionDenied) as err:
        accounts.sign_in_external(s, settings, _claims())
    assert str(err.value) == "board@core.example: this account is disabled; ask your coordinator."


def _lead(world):
    return accounts.sign_in(world.db, world.settings, "lead@a.example", "password1", at=T0)


def test_a_session_token_resumes_the_account_until_it_expires(world):
    actor = _lead(world)
    with world.db.session() as s:
        token = accounts.start_session(s, actor, world.settings, at=T0)
    hours = world.settings.session_hours
    with world.db.session() as s:
        stored = s.scalar(select(SignInSession.token_sha256))
        assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
        later = T0 + timedelta(hours=hours) - timedelta(seconds=1)
        assert accounts.resume_session(s, token, at=later) == actor
        assert accounts.resume_session(s, token, at=T0 + timedelta(hours=hours)) is None
        assert accounts.resume_session(s, token + "x", at=T0) is None


def test_an_ended_session_resumes_nothing(world):
    actor = _lead(world)
    with world.db.session() as s:
        token = accounts.start_session(s, actor, world.settings, at=T0)
        other = accounts.start_session(s, actor, world.settings, at=T0)
    with world.db.session() as s:
        accounts.end_session(s, token)
    with world.db.session() as s:
        assert accounts.resume_session(s, token, at=T0) is None
        assert accounts.resume_session(s, other, at=T0) == actor


def test_a_session_follows_the_account_as_it_is_now(world):
    actor = _lead(world)
    with world.db.session() as s:
        token = accounts.start_session(s, actor, world.settings, at=T0)
    with world.db.session() as s:
        user = s.get(User, actor.user_id)
        user.roles = [Role.PEER_REVIEWER.value]
    with world.db.session() as s:
        resumed = accounts.resume_session(s, token, at=T0)
        assert resumed is not None and resumed.roles == frozenset({Role.PEER_REVIEWER})
        s.get(User, actor.user_id).active = False
    with world.db.session() as s:
        assert accounts.resume_session(s, token, at=T0) is None


def test_starting_a_session_drops_expired_ones(world):
    actor = _lead(world)
    with world.db.session() as s:
        accounts.start_session(s, actor, world.settings, at=T0)
    with world.db.session() as s:
        accounts.start_session(s, actor, world.settings, at=T0 + timedelta(days=30))
    with world.db.session() as s:
        assert s.scalar(select(func.count()).select_from(SignInSession)) == 1
