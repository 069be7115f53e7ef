import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from review import accounts, audit
from review.access import Action, Role
from review.db import SignInSession, User
from review.errors import InvalidInput, NotFound, PermissionDenied
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
            by=world.coordinator,
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
    assert str(err.value) == "This account is disabled; ask your coordinator."


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


def _stamp(world, email):
    with world.db.reading() as s:
        user = s.scalar(select(User).where(User.email == email))
        return accounts.current_actor(s, user.id, None)


def _sessions_of(world, user_id):
    with world.db.reading() as s:
        return s.scalar(
            select(func.count()).select_from(SignInSession).where(SignInSession.user_id == user_id)
        )


def test_the_current_actor_follows_roles_and_refuses_a_disabled_or_gone_account(world):
    lead, epoch = _stamp(world, "lead@a.example")
    with world.db.session() as s:
        s.get(User, lead.user_id).roles = [Role.PEER_REVIEWER.value]
    with world.db.reading() as s:
        assert accounts.current_actor(s, lead.user_id, epoch)[0].roles == {Role.PEER_REVIEWER}
    with world.db.session() as s:
        accounts.disable_user(s, world.coordinator, "lead@a.example")
    with world.db.reading() as s, pytest.raises(PermissionDenied) as err:
        accounts.current_actor(s, lead.user_id, None)
    assert str(err.value) == "This account is disabled; ask your coordinator."
    with world.db.reading() as s, pytest.raises(PermissionDenied, match="no longer exists"):
        accounts.current_actor(s, 9999, None)


def test_a_password_change_ends_the_accounts_sessions_and_open_tabs(world):
    lead = _lead(world)
    _, epoch = _stamp(world, "lead@a.example")
    with world.db.session() as s:
        token = accounts.start_session(s, lead, world.settings, at=T0)
        other = accounts.start_session(s, world.observer, world.settings, at=T0)
    with world.db.session() as s:
        accounts.create_user(
            s,
            world.settings,
            email="lead@a.example",
            name="Lead A",
            roles=[Role.DISTRICT_EDITOR, Role.PEER_REVIEWER],
            district_code="A",
            password="brand-new-1",
            by=world.coordinator,
        )
    with world.db.reading() as s:
        assert accounts.resume_session(s, token, at=T0) is None
        assert accounts.resume_session(s, other, at=T0) == world.observer
        with pytest.raises(PermissionDenied) as err:
            accounts.current_actor(s, lead.user_id, epoch)
        assert str(err.value) == (
            "You have been signed out: this account's password was changed or its sessions "
            "were ended. Sign in again."
        )
        assert accounts.current_actor(s, lead.user_id, epoch + 1)[1] == epoch + 1


def test_saving_an_account_without_a_password_keeps_its_sessions(world):
    lead = _lead(world)
    _, epoch = _stamp(world, "lead@a.example")
    with world.db.session() as s:
        accounts.start_session(s, lead, world.settings, at=T0)
        accounts.create_user(
            s,
            world.settings,
            email="lead@a.example",
            name="Lead of A",
            roles=[Role.DISTRICT_EDITOR],
            district_code="A",
            password=None,
            by=world.coordinator,
        )
    assert _sessions_of(world, lead.user_id) == 1
    assert _stamp(world, "lead@a.example")[1] == epoch


def test_disabling_ends_sessions_and_enabling_does_not_revive_them(world):
    lead = _lead(world)
    _, epoch = _stamp(world, "lead@a.example")
    with world.db.session() as s:
        accounts.start_session(s, lead, world.settings, at=T0)
    with world.db.session() as s:
        accounts.disable_user(s, world.coordinator, "Lead@A.example")
    assert _sessions_of(world, lead.user_id) == 0
    with pytest.raises(PermissionDenied) as err:
        accounts.sign_in(world.db, world.settings, "lead@a.example", "password1", at=T0)
    assert str(err.value) == "This account is disabled; ask your coordinator."
    with pytest.raises(PermissionDenied) as err:
        accounts.sign_in(world.db, world.settings, "lead@a.example", "wrong-one", at=T0)
    assert str(err.value) == "The e-mail or password is not right."
    with world.db.session() as s:
        accounts.enable_user(s, world.coordinator, "lead@a.example")
    with world.db.reading() as s, pytest.raises(PermissionDenied, match="Sign in again"):
        accounts.current_actor(s, lead.user_id, epoch)
    assert accounts.sign_in(world.db, world.settings, "lead@a.example", "password1", at=T0)
    with world.db.reading() as s:
        trail = [
            (e.action, e.user_id, e.before, e.after)
            for e in audit.events(s, entity="user")
            if e.action in ("disable user", "enable user")
        ]
    assert trail == [
        ("disable user", world.coordinator.user_id, {"active": True}, {"active": False}),
        ("enable user", world.coordinator.user_id, {"active": False}, {"active": True}),
    ]


def test_disable_enable_and_unlock_refuse_what_does_not_apply(world):
    cases = [
        (accounts.enable_user, "lead@a.example", "lead@a.example is already enabled."),
        (accounts.unlock_user, "lead@a.example", "lead@a.example is not locked and has no failed"),
        (accounts.disable_user, "coord@core.example", "coord@core.example is your own account"),
        (
            accounts.disable_user,
            "nobody@x.example",
            "no account with the e-mail 'nobody@x.example'",
        ),
    ]
    for change, email, message in cases:
        with world.db.session() as s, pytest.raises((InvalidInput, NotFound)) as err:
            change(s, world.coordinator, email)
        assert str(err.value).startswith(message)
    with world.db.session() as s:
        accounts.disable_user(s, world.coordinator, "lead@a.example")
    with world.db.session() as s, pytest.raises(InvalidInput) as err:
        accounts.disable_user(s, world.coordinator, "lead@a.example")
    assert str(err.value) == "lead@a.example is already disabled."


@pytest.mark.parametrize(
    "change", [accounts.disable_user, accounts.enable_user, accounts.unlock_user]
)
@pytest.mark.parametrize("who", ["observer", "lead"])
def test_only_a_coordinator_disables_enables_or_unlocks(world, change, who):
    actor = world.observer if who == "observer" else world.leads["A"]
    with world.db.session() as s, pytest.raises(PermissionDenied) as err:
        change(s, actor, "lead@b.example")
    assert str(err.value) == f"{actor.name} may not set up cycles, districts, triads and users."


def test_unlock_clears_a_lock_at_once(world):
    for _ in range(world.settings.login_max_failures):
        with pytest.raises(PermissionDenied):
            accounts.sign_in(world.db, world.settings, "lead@a.example", "wrong", at=T0)
    with world.db.session() as s:
        accounts.unlock_user(s, world.coordinator, "lead@a.example")
    with world.db.reading() as s:
        user = s.scalar(select(User).where(User.email == "lead@a.example"))
        assert (user.failed_signins, user.locked_until) == (0, None)
        (event,) = [e for e in audit.events(s, entity="user") if e.action == "unlock user"]
        assert (event.user_id, event.before["failed_signins"], event.after) == (
            world.coordinator.user_id,
            0,
            {"failed_signins": 0, "locked_until": None},
        )
        assert event.before["locked_until"].startswith("2016-01-10T09:15:00")
    assert accounts.sign_in(world.db, world.settings, "lead@a.example", "password1", at=T0)


def test_single_sign_on_tells_a_disabled_account_so(world):
    with world.db.session() as s:
        accounts.disable_user(s, world.coordinator, "board@core.example")
    with world.db.reading() as s, pytest.raises(PermissionDenied) as err:
        accounts.sign_in_external(s, _sso(world.settings), _claims())
    assert str(err.value) == "This account is disabled; ask your coordinator."


def test_command_line_actor_is_checked_like_the_app(world):
    with world.db.reading() as s:
        assert (
            accounts.command_line_actor(s, "Coord@core.example", Action.MANAGE_CYCLE)
            == world.coordinator
        )
        for email, message in (
            ("board@core.example", "Board may not set up cycles, districts, triads and users."),
            ("x@y.example", "--as x@y.example: there is no account with that e-mail"),
            (None, "this command changes review data: name your account with --as EMAIL"),
        ):
            with pytest.raises(PermissionDenied) as err:
                accounts.command_line_actor(s, email, Action.MANAGE_CYCLE)
            assert str(err.value) == message


def test_the_first_coordinator_only_on_an_empty_database(world):
    with world.db.session() as s, pytest.raises(InvalidInput, match="already has accounts"):
        accounts.create_first_coordinator(
            s, world.settings, email="new@core.example", name=None, password="longenough1"
        )
    with world.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 7


def test_the_first_coordinator_on_an_empty_database_can_sign_in(db, settings):
    with db.session() as s:
        made = accounts.create_first_coordinator(
            s, settings, email=" Boss@Core.example", name=None, password="longenough1"
        )
    assert (made.email, made.name, made.roles) == (
        "boss@core.example",
        "boss",
        frozenset({Role.COORDINATOR}),
    )
    assert accounts.sign_in(db, settings, "boss@core.example", "longenough1", at=T0) == made
    with db.reading() as s:
        (event,) = audit.events(s, entity="user")
    assert (event.action, event.user_id, event.entity_id) == (
        "create first coordinator",
        None,
        str(made.user_id),
    )


@pytest.mark.parametrize("who", ["observer", "lead"])
def test_only_a_coordinator_creates_accounts_or_grants_roles(world, who):
    actor = world.observer if who == "observer" else world.leads["A"]
    for email in ("new@core.example", "lead@b.example"):  # a new account, and a re-role
        with world.db.session() as s, pytest.raises(PermissionDenied) as refused:
            accounts.create_user(
                s,
                world.settings,
                email=email,
                name="Made coordinator",
                roles=[Role.COORDINATOR],
                district_code=None,
                password="password1",
                by=actor,
            )
        assert "may not set up cycles, districts, triads and users" in str(refused.value)
    with world.db.reading() as s:
        roles = {u.email: u.roles for u in s.scalars(select(User))}
    assert "new@core.example" not in roles
    assert roles["lead@b.example"] == ["district_editor", "peer_reviewer"]
