"""Every setting of the product, declared once with its default and help.

`Settings.from_env()` is the only code that reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Setting(NamedTuple):
    name: str
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "REVIEW_DATABASE_URL",
        "sqlite:///data/review.db",
        "SQLAlchemy URL of the database. A relative SQLite path is taken from the project folder. "
        "PostgreSQL: postgresql+psycopg://user:password@host/dbname",
    ),
    Setting(
        "rubrics_dir", "REVIEW_RUBRICS_DIR", "rubrics", "Folder of rubric files, one per version."
    ),
    Setting(
        "index_specs_dir",
        "REVIEW_INDEX_SPECS_DIR",
        "index_specs",
        "Folder of index specification files, one per version.",
    ),
    Setting(
        "max_evidence_mb",
        "REVIEW_MAX_EVIDENCE_MB",
        "25",
        "Largest evidence file accepted, in megabytes.",
    ),
    Setting(
        "login_max_failures",
        "REVIEW_LOGIN_MAX_FAILURES",
        "5",
        "Failed sign-ins in a row before an account is locked for a while.",
    ),
    Setting(
        "login_lock_minutes",
        "REVIEW_LOGIN_LOCK_MINUTES",
        "15",
        "How long an account stays locked after too many failed sign-ins.",
    ),
    Setting(
        "session_hours",
        "REVIEW_SESSION_HOURS",
        "12",
        "How long a browser stays signed in (reloads included) before asking again.",
    ),
    Setting(
        "bcrypt_rounds",
        "REVIEW_BCRYPT_ROUNDS",
        "12",
        "Work factor of password hashes (4 is only for tests).",
    ),
    Setting(
        "sso_issuers",
        "REVIEW_SSO_ISSUERS",
        "",
        "Single sign-on providers trusted, by their `iss` claim, separated by commas; "
        "`{tenantid}` in one stands for the identity's `tid` claim (Microsoft's multi-tenant "
        "issuer). Empty: single sign-on refuses everyone.",
    ),
    Setting(
        "sso_tenants",
        "REVIEW_SSO_TENANTS",
        "",
        "Tenants trusted (`tid` claim), separated by commas, for multi-tenant providers such as "
        "Microsoft. Empty: the tenant is not checked.",
    ),
    Setting(
        "sso_email_domains",
        "REVIEW_SSO_EMAIL_DOMAINS",
        "",
        "E-mail domains trusted for single sign-on, separated by commas. Empty: single sign-on "
        "refuses everyone.",
    ),
)


class Settings(BaseModel):
    """The settings in force; build with `from_env()` at the edge and pass down."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str
    rubrics_dir: Path
    index_specs_dir: Path
    max_evidence_mb: int
    login_max_failures: int
    login_lock_minutes: int
    session_hours: int = Field(gt=0)
    bcrypt_rounds: int
    sso_issuers: tuple[str, ...] = ()
    sso_tenants: tuple[str, ...] = ()
    sso_email_domains: tuple[str, ...] = ()

    @field_validator("sso_issuers", "sso_tenants", "sso_email_domains", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        # The environment holds one string; a comma-separated list is what people write there.
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def max_evidence_bytes(self) -> int:
        return self.max_evidence_mb * 1024 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every setting from `environ` (default: the process environment)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {s.name: env.get(s.env, s.default) for s in SETTINGS}
        values.update(overrides)
        values["database_url"] = _absolute_sqlite(str(values["database_url"]))
        for key in ("rubrics_dir", "index_specs_dir"):
            path = Path(values[key])
            values[key] = path if path.is_absolute() else PROJECT_ROOT / path
        try:
            return cls(**values)
        except ValueError as exc:
            raise ValueError(f"invalid setting: {_first_error(exc)}") from None


def _absolute_sqlite(url: str) -> str:
    """Anchor a relative SQLite file at the project folder, so the app works from any cwd."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str(PROJECT_ROOT / url[len(prefix) :])
    return url


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        field = first["loc"][0]
        env = next(s.env for s in SETTINGS if s.name == field)
        return f"{env}: {first['msg']}"
    return str(exc)
