import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from review import accounts
from review.access import Role
from review.db import SignInSession, User
from review.errors import PermissionDenied

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


def test_sign_in_external_maps_known_email_only(world):
    with world.db.session() as s:
        assert accounts.sign_in_external(s, "Board@core.example").email == "board@core.example"
        with pytest.raises(PermissionDenied, match="has no account here"):
            accounts.sign_in_external(s, "stranger@x.example")


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
