"""Local accounts: bcrypt password hashes, sign-in with a lock after repeated failures, and
the single sign-on identities a deployment trusts."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache

import bcrypt
from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from review import audit
from review.access import Action, Actor, Role, require
from review.db import Database, District, SignInSession, User
from review.errors import InvalidInput, NotFound, PermissionDenied
from review.settings import Settings

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
DISABLED = "This account is disabled; ask your coordinator."


def hash_password(password: str, rounds: int) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        name=user.name,
        email=user.email,
        district_id=user.district_id,
        roles=frozenset(Role(r) for r in user.roles),
    )


def create_user(
    session: Session,
    settings: Settings,
    *,
    email: str,
    name: str,
    roles: list[Role],
    district_code: str | None,
    password: str | None,
    by: Actor,
) -> User:
    """Create or update an account; district roles need a district. Only a coordinator may
    (the network's first coordinator comes from `create_first_coordinator`).

    Raises:
        PermissionDenied: `by` is not a coordinator.
        InvalidInput: for a malformed e-mail, a short password, or a role without its district.
    """
    require(by, Action.MANAGE_CYCLE)
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an e-mail address")
    if not name.strip():
        raise InvalidInput(f"{email}: a name is required")
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(f"{email}: the password needs at least {MIN_PASSWORD} characters")
    district_id = None
    if district_code:
        district = session.scalar(select(District).where(District.code == district_code))
        if district is None:
            raise NotFound(f"{email}: no district with code {district_code!r}")
        district_id = district.id
    needs_district = {Role.DISTRICT_EDITOR, Role.PEER_REVIEWER} & set(roles)
    if needs_district and district_id is None:
        raise InvalidInput(f"{email}: district roles need a district")
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    before = _public(user) if user else None
    if user is None:
        user = User(email=email, name=name, roles=[], failed_signins=0, active=True)
        session.add(user)
    user.name = name.strip()
    user.roles = sorted(r.value for r in roles)
    user.district_id = district_id
    if password is not None:
        user.password_hash = hash_password(password, settings.bcrypt_rounds)
        if before is not None:
            session.flush()
            end_sessions(session, user.id)
    session.flush()
    audit.record(session, by, "save user", "user", user.id, before=before, after=_public(user))
    return user


class Account(BaseModel):
    """One account as Cycle setup lists it."""

    model_config = ConfigDict(frozen=True)

    email: str
    name: str
    district: str | None  # its code
    roles: tuple[Role, ...]
    active: bool
    failed_signins: int
    locked_until: datetime | None


def list_accounts(session: Session, actor: Actor) -> list[Account]:
    """Every account by e-mail (coordinators only)."""
    require(actor, Action.MANAGE_CYCLE)
    rows = session.execute(
        select(User, District.code)
        .outerjoin(District, District.id == User.district_id)
        .options(joinedload(User.role_rows))
        .order_by(User.email)
    ).unique()
    return [
        Account(
            email=user.email,
            name=user.name,
            district=code,
            roles=tuple(Role(r) for r in user.roles),
            active=user.active,
            failed_signins=user.failed_signins,
            locked_until=user.locked_until,
        )
        for user, code in rows
    ]


def _public(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "name": user.name,
        "roles": list(user.roles),
        "district_id": user.district_id,
        "active": user.active,
    }


def sign_in(
    db: Database, settings: Settings, email: str, password: str, *, at: datetime | None = None
) -> Actor:
    """Check a password; repeated failures lock the account for a while.

    Each try first takes one of the account's allowed failures in the database (a conditional
    UPDATE), so guesses sent in parallel try at most `login_max_failures` passwords before the
    lock. The slow hash check runs between two short units of work, never holding a lock; an
    unknown account costs the same hash check. The failure count is committed even though the
    sign-in is refused.

    Raises:
        PermissionDenied: with one message for an unknown account or a wrong password (so
            the form does not reveal which accounts exist), another for a locked account, and
            `DISABLED` for a disabled account's right password.
    """
    at = at or audit.now()
    refused = PermissionDenied("The e-mail or password is not right.")
    attempt = db.write(lambda session: _take_attempt(session, settings, email, at))
    if isinstance(attempt, PermissionDenied):
        raise attempt
    stored = attempt[1] if attempt else _dummy_hash(settings.bcrypt_rounds)
    right = bcrypt.checkpw(password.encode("utf-8"), stored.encode("ascii"))
    if attempt is None:
        raise refused
    actor = db.write(lambda session: _settle_attempt(session, settings, attempt[0], right, at))
    if actor is None:
        raise refused
    if isinstance(actor, PermissionDenied):
        raise actor
    return actor


def _take_attempt(
    session: Session, settings: Settings, email: str, at: datetime
) -> tuple[int, str] | PermissionDenied | None:
    """The account's id and hash with one failure reserved; None for no usable account."""
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    # A disabled account still takes the attempt: only the right password learns it is disabled.
    if user is None or not user.password_hash:
        return None
    taken = session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.locked_until.is_(None), User.locked_until <= at),
            User.failed_signins < settings.login_max_failures,
        )
        .values(failed_signins=User.failed_signins + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(user)
        if user.locked_until is None or _aware(user.locked_until) <= at:
            return PermissionDenied("Too many failed sign-ins: try again in a few minutes.")
        minutes = int((_aware(user.locked_until) - at).total_seconds() // 60) + 1
        return PermissionDenied(
            f"Too many failed sign-ins: this account is locked for {minutes} more minute(s)."
        )
    return user.id, user.password_hash


def _settle_attempt(
    session: Session, settings: Settings, user_id: int, right: bool, at: datetime
) -> Actor | PermissionDenied | None:
    """The right password clears the failures; a wrong one that used the last locks."""
    if right:
        session.execute(
            update(User)
            .where(User.id == user_id)
            .values(failed_signins=0, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        user = session.get(User, user_id, populate_existing=True)
        if user is not None and not user.active:
            return PermissionDenied(DISABLED)
        return actor_for(user) if user is not None else None
    locked = session.execute(
        update(User)
        .where(User.id == user_id, User.failed_signins >= settings.login_max_failures)
        .values(locked_until=at + timedelta(minutes=settings.login_lock_minutes), failed_signins=0)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount == 1:  # type: ignore[attr-defined]
        audit.record(session, None, "lock account", "user", user_id, at=at)
    return None


@cache
def _dummy_hash(rounds: int) -> str:
    """A hash no password matches, for the same work on an unknown account."""
    return hash_password(secrets.token_urlsafe(16), rounds)


def external_identity(claims: Mapping[str, object], settings: Settings) -> str:
    """The e-mail of a single sign-on identity this deployment trusts, in lower case.

    Trusted means: issued by a provider in `sso_issuers` (and, when `sso_tenants` is set, from
    one of those tenants), with an e-mail the provider marks verified (`email_verified` exactly
    true) in one of `sso_email_domains`. An unverified e-mail proves nothing: many providers
    let anyone type any address into their profile.

    Raises:
        PermissionDenied: saying which of these the identity fails.
    """
    issuer = _claim(claims, "iss")
    tenant = _claim(claims, "tid")
    if not _trusted_issuer(issuer, tenant, settings.sso_issuers):
        shown = issuer or "a provider that gave no issuer"
        raise PermissionDenied(f"Single sign-on through {shown} is not trusted here.")
    if settings.sso_tenants and tenant.lower() not in {t.lower() for t in settings.sso_tenants}:
        if not tenant:
            raise PermissionDenied(
                f"Single sign-on through {issuer} gave no tenant, and only listed tenants are "
                "trusted here."
            )
        raise PermissionDenied(
            f"Single sign-on from tenant {tenant} of {issuer} is not trusted here."
        )
    email = _claim(claims, "email").lower()
    if not email:
        raise PermissionDenied(
            "Your organisation's account gave no e-mail address, so it cannot be matched to an "
            "account here; ask your coordinator."
        )
    if claims.get("email_verified") is not True:
        raise PermissionDenied(
            f"Your organisation has not verified the e-mail address {email}, so it cannot sign "
            "you in here; ask your coordinator."
        )
    domain = email.rpartition("@")[2]
    if domain not in {d.lower().lstrip("@") for d in settings.sso_email_domains}:
        raise PermissionDenied(
            f"E-mail addresses at {domain} are not trusted for single sign-on here; "
            "ask your coordinator."
        )
    return email


def _claim(claims: Mapping[str, object], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def _trusted_issuer(issuer: str, tenant: str, trusted: tuple[str, ...]) -> bool:
    """Whether `issuer` is listed; `{tenantid}` in a listed issuer is the identity's tenant."""
    if not issuer:
        return False
    for entry in trusted:
        expected = entry.replace("{tenantid}", tenant) if tenant else entry
        if "{tenantid}" not in expected and expected.rstrip("/") == issuer.rstrip("/"):
            return True
    return False


def sign_in_external(session: Session, settings: Settings, claims: Mapping[str, object]) -> Actor:
    """Map a trusted single sign-on identity (see `external_identity`) to its active account.

    Raises:
        PermissionDenied: for an untrusted identity, an e-mail without an account (naming only
            that e-mail), or a disabled account.
    """
    email = external_identity(claims, settings)
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        raise PermissionDenied(f"{email} has no account here; ask your coordinator to add you.")
    if not user.active:
        raise PermissionDenied(DISABLED)
    return actor_for(user)


def start_session(
    session: Session, actor: Actor, settings: Settings, *, at: datetime | None = None
) -> str:
    """A new random token that keeps this browser signed in for `session_hours`.

    Only the token's SHA-256 is stored, so a copy of the database signs nobody in.
    """
    at = at or audit.now()
    token = secrets.token_urlsafe(32)
    session.add(
        SignInSession(
            user_id=actor.user_id,
            token_sha256=_digest(token),
            created_at=at,
            expires_at=at + timedelta(hours=settings.session_hours),
        )
    )
    # Expired rows of anyone are dropped here, so the table never grows without bound.
    session.execute(delete(SignInSession).where(SignInSession.expires_at < at))
    return token


def resume_session(session: Session, token: str, *, at: datetime | None = None) -> Actor | None:
    """The account a browser's token signs in, or None if it is unknown, expired or disabled.

    The actor is built from the account as it is now, so a role removed since sign-in is gone.
    """
    at = at or audit.now()
    row = session.scalar(select(SignInSession).where(SignInSession.token_sha256 == _digest(token)))
    if row is None or _aware(row.expires_at) <= at:
        return None
    user = session.get(User, row.user_id)
    # A lock (failed passwords by someone) does not end a session begun with the right one.
    if user is None or not user.active:
        return None
    return actor_for(user)


def end_session(session: Session, token: str) -> None:
    """Sign the browser holding `token` out: the token no longer resumes anything."""
    session.execute(delete(SignInSession).where(SignInSession.token_sha256 == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes even for timezone-aware columns; they were stored as UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def current_actor(session: Session, user_id: int, epoch: int | None) -> tuple[Actor, int]:
    """The account as it is now, for a browser signed in to it under credential stamp `epoch`
    (None: whatever the stamp is now); returns the actor and the stamp.

    Read on every run of the app (one query, roles joined), so a removed role, a disabled
    account or a changed password acts at the next click in every open tab.

    Raises:
        PermissionDenied: the account is gone or disabled, or its sessions were ended (a
            password change, a disable) since this browser signed in; the browser signs out.
    """
    user = (
        session.scalars(select(User).options(joinedload(User.role_rows)).where(User.id == user_id))
        .unique()
        .first()
    )
    if user is None:
        raise PermissionDenied("This account no longer exists; you have been signed out.")
    if not user.active:
        raise PermissionDenied(DISABLED)
    if epoch is not None and user.session_epoch != epoch:
        raise PermissionDenied(
            "You have been signed out: this account's password was changed or its sessions "
            "were ended. Sign in again."
        )
    return actor_for(user), user.session_epoch


def end_sessions(session: Session, user_id: int) -> None:
    """End every browser session of the account: cookies stop resuming, and open tabs (which
    remember the credential stamp they signed in under) are signed out at their next run."""
    session.execute(delete(SignInSession).where(SignInSession.user_id == user_id))
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_epoch=User.session_epoch + 1)
        .execution_options(synchronize_session=False)
    )


def disable_user(session: Session, actor: Actor, email: str) -> None:
    """Disable an account and end its sessions at once; a coordinator's action.

    Raises:
        PermissionDenied: `actor` is not a coordinator.
        NotFound: no account with that e-mail.
        InvalidInput: the account is `actor`'s own (the network would lose its coordinator
            by a slip), or it is already disabled.
    """
    require(actor, Action.MANAGE_CYCLE)
    user = _account(session, email)
    if user.id == actor.user_id:
        raise InvalidInput(f"{user.email} is your own account; another coordinator can disable it.")
    _set_active(session, actor, user, active=False)
    end_sessions(session, user.id)


def enable_user(session: Session, actor: Actor, email: str) -> None:
    """Let a disabled account sign in again; a coordinator's action.

    Raises:
        PermissionDenied: `actor` is not a coordinator.
        NotFound: no account with that e-mail.
        InvalidInput: the account is not disabled.
    """
    require(actor, Action.MANAGE_CYCLE)
    _set_active(session, actor, _account(session, email), active=True)


def unlock_user(session: Session, actor: Actor, email: str) -> None:
    """Clear an account's failed sign-ins and its lock; a coordinator's action.

    Raises:
        PermissionDenied: `actor` is not a coordinator.
        NotFound: no account with that e-mail.
        InvalidInput: the account has no failed sign-ins and no lock.
    """
    require(actor, Action.MANAGE_CYCLE)
    user = _account(session, email)
    before = {"failed_signins": user.failed_signins, "locked_until": _iso(user.locked_until)}
    # Compare-and-set on what was read: a sign-in failing meanwhile is not wiped unseen.
    cleared = session.execute(
        update(User)
        .where(
            User.id == user.id,
            User.failed_signins == user.failed_signins,
            User.locked_until.is_(None)
            if user.locked_until is None
            else User.locked_until == user.locked_until,
            or_(User.failed_signins > 0, User.locked_until.is_not(None)),
        )
        .values(failed_signins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    if cleared.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(user)
        if user.failed_signins or user.locked_until is not None:
            raise InvalidInput(f"{user.email}: a sign-in failed just now; unlock it again.")
        raise InvalidInput(f"{user.email} is not locked and has no failed sign-ins.")
    audit.record(
        session,
        actor,
        "unlock user",
        "user",
        user.id,
        before=before,
        after={"failed_signins": 0, "locked_until": None},
    )


def _account(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise NotFound(f"no account with the e-mail {email!r}")
    return user


def _set_active(session: Session, actor: Actor, user: User, *, active: bool) -> None:
    # The UPDATE checks the state it changes, so of two coordinators exactly one does it.
    changed = session.execute(
        update(User)
        .where(User.id == user.id, User.active.is_(not active))
        .values(active=active)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        state = "enabled" if active else "disabled"
        raise InvalidInput(f"{user.email} is already {state}.")
    action = "enable user" if active else "disable user"
    audit.record(
        session,
        actor,
        action,
        "user",
        user.id,
        before={"active": not active},
        after={"active": active},
    )


def _iso(value: datetime | None) -> str | None:
    return _aware(value).isoformat() if value is not None else None


def command_line_actor(session: Session, email: str | None, action: Action) -> Actor:
    """The account a command line's `--as EMAIL` names, checked for `action` as the app would.

    Raises:
        PermissionDenied: no e-mail given, no such account, a disabled account, or one whose
            roles do not allow `action`.
    """
    if not email:
        raise PermissionDenied(
            "this command changes review data: name your account with --as EMAIL"
        )
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise PermissionDenied(f"--as {email}: there is no account with that e-mail")
    if not user.active:
        raise PermissionDenied(f"--as {email}: this account is disabled; ask your coordinator")
    actor = actor_for(user)
    require(actor, action)
    return actor


def refuse_if_accounts(session: Session) -> None:
    """Raise InvalidInput when the database has any account (bootstrap is for an empty one)."""
    if session.scalar(select(func.count()).select_from(User)):
        raise InvalidInput(
            "the database already has accounts; a coordinator adds more in Cycle setup > Users"
        )


def create_first_coordinator(
    session: Session, settings: Settings, *, email: str, name: str | None, password: str
) -> Actor:
    """The network's first account, a coordinator; only on a database with no accounts.

    Raises:
        InvalidInput: the database already has accounts, a malformed e-mail, a short password.
    """
    refuse_if_accounts(session)
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an e-mail address")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"{email}: the password needs at least {MIN_PASSWORD} characters")
    user = User(
        email=email,
        name=(name or "").strip() or email.split("@", 1)[0],
        roles=[Role.COORDINATOR.value],
        password_hash=hash_password(password, settings.bcrypt_rounds),
        failed_signins=0,
        active=True,
    )
    session.add(user)
    session.flush()
    # Made by the operator, not by an account: the event carries no user.
    audit.record(session, None, "create first coordinator", "user", user.id, after=_public(user))
    return actor_for(user)
