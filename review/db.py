"""Database tables (SQLAlchemy 2) and the engine, with migrations applied on open.

The tables are the storage shape; the domain works on the frozen models in `review.model`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)

from review.access import Phase, Role
from review.errors import Busy

T = TypeVar("T")


class Base(DeclarativeBase):
    pass


# The allowed values of every enumerated column, checked by the database itself (migration 0006).
SOURCES = ("self", "peer")
RATING_STATUSES = ("draft", "submitted", "withdrawn")  # a rater's set: drafted, sent, taken back
ASSIGNMENT_KINDS = ("triad", "calibration")
COMMENT_KINDS = ("question", "answer", "discussion")
PHASES = tuple(p.value for p in Phase)
ROLES = tuple(r.value for r in Role)


def one_of(column: str, values: Sequence[str]) -> CheckConstraint:
    """A CHECK that `column` holds one of `values` (named `<column>_allowed`)."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_allowed")


# A rating or decision is a level or "not applicable", never both.
LEVEL_OR_NOT_APPLICABLE = "level IS NULL OR NOT not_applicable"


class District(Base):
    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Not in the index data, so typed in. Schools and designations are counted from each
    # cycle's imported index data (`review.index.counts`), never stored here.
    enrollment: Mapped[int] = mapped_column(Integer)


class Cycle(Base):
    __tablename__ = "cycles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    rubric_id: Mapped[str] = mapped_column(String(64))
    rubric_version: Mapped[str] = mapped_column(String(64))
    rubric_hash: Mapped[str] = mapped_column(String(64))
    index_spec: Mapped[str | None] = mapped_column(String(128), nullable=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deadlines: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Moved by every index import, in the import's transaction: what computed index results
    # are cached by (`ui.context.index_results`), so a corrected import shows at once.
    index_imports: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Triad(Base):
    __tablename__ = "triads"
    __table_args__ = (UniqueConstraint("cycle_id", "name"),)  # its index serves cycle_id too
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))


class Participation(Base):
    """A district's place in a cycle: its triad and its phase."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("cycle_id", "district_id"), one_of("phase", PHASES))
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    triad_id: Mapped[int] = mapped_column(ForeignKey("triads.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(32), default="draft")
    context: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("cycle_id", "reviewer_district_id", "reviewed_district_id"),
        Index("ix_assignments_cycle_reviewed", "cycle_id", "reviewed_district_id"),
        one_of("kind", ASSIGNMENT_KINDS),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    reviewer_district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    reviewed_district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="triad")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id"), nullable=True, index=True
    )
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )
    password_hash: Mapped[str | None] = mapped_column(String(100), nullable=True)
    failed_signins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Moves with every password change: browsers signed in under an older value are signed out.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def roles(self) -> list[str]:
        return [row.role for row in self.role_rows]

    @roles.setter
    def roles(self, roles: Sequence[str]) -> None:
        # Kept rows stay: replacing them would insert a (user, role) that is still there.
        wanted = set(roles)
        self.role_rows = [row for row in self.role_rows if row.role in wanted] + [
            UserRole(role=role) for role in sorted(wanted - set(self.roles))
        ]


class UserRole(Base):
    """One role a user holds."""

    __tablename__ = "user_roles"
    __table_args__ = (one_of("role", ROLES),)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class SignInSession(Base):
    """A browser that stays signed in across reloads: only the token's SHA-256 is stored."""

    __tablename__ = "sign_in_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Rating(Base):
    """One rater's rating of one item for one district; `rater_district_id` equals the rated
    district for the self-rating."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("cycle_id", "district_id", "item_id", "rater_district_id"),
        one_of("source", SOURCES),
        one_of("status", RATING_STATUSES),
        CheckConstraint(LEVEL_OR_NOT_APPLICABLE, name="level_or_not_applicable"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    rater_district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    source: Mapped[str] = mapped_column(String(8))  # self | peer
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    narrative: Mapped[str] = mapped_column(Text, default="")
    suggestions: Mapped[str] = mapped_column(Text, default="")
    context_values: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Blob(Base):
    """Evidence bytes, stored once per content hash."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("cycle_id", "district_id", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class EvidenceLink(Base):
    __tablename__ = "evidence_links"
    __table_args__ = (UniqueConstraint("evidence_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(64))


class Comment(Base):
    """A question, answer or discussion message on one item of one district."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_cycle_district_item", "cycle_id", "district_id", "item_id"),
        one_of("kind", COMMENT_KINDS),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id"), nullable=True, index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class IndexResult(Base):
    """One school-level result row of the School Quality Improvement Index, as imported."""

    __tablename__ = "index_results"
    __table_args__ = (
        UniqueConstraint("cycle_id", "school_id", "year", "metric", "student_group"),
        Index("ix_index_results_cycle_district", "cycle_id", "district_code"),
        # Covers the district counts (`review.index.counts`): the latest year, then one
        # district's schools and designations, without reading the rows themselves.
        Index(
            "ix_index_results_cycle_year_schools",
            "cycle_id",
            "year",
            "district_code",
            "school_id",
            "designation",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    school_id: Mapped[str] = mapped_column(String(64))
    school_name: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str] = mapped_column(String(32))
    school_type: Mapped[str] = mapped_column(String(32))
    year: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(64))
    student_group: Mapped[str] = mapped_column(String(64))
    n: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column()
    designation: Mapped[str | None] = mapped_column(String(16), nullable=True)


class IndexSummary(Base):
    """One district's index summary, computed by an index import in that import's transaction.

    Valid only for the import that wrote it: `index_imports` and `index_spec` are the cycle's
    values then, and a reader asks for the cycle's current ones, so a summary of an older import
    is never shown (an import also deletes the cycle's earlier summaries). `summary` is the
    `DistrictSummary` as JSON, details included; NULL when the district has no results.
    `summary_format` names the code that computed it (`review.index.stored.SUMMARY_FORMAT`).
    """

    __tablename__ = "index_summaries"
    __table_args__ = (UniqueConstraint("cycle_id", "district_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    district_code: Mapped[str] = mapped_column(String(32))
    index_imports: Mapped[int] = mapped_column(Integer)
    index_spec: Mapped[str] = mapped_column(String(128))
    summary_format: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)


class FrozenPacket(Base):
    """A final district's review packet as built once after its finalization committed.

    `version` is the district's finalization count in the cycle (1 for the first; a reopened
    and finalized again district gets 2), so a packet is never rebuilt for a finalization and
    the unique key makes two builders agree. The ZIP's bytes are a Blob, kept by SHA-256.
    """

    __tablename__ = "frozen_packets"
    __table_args__ = (UniqueConstraint("cycle_id", "district_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    made_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class RubricVersion(Base):
    """A rubric version published from a workbook: stored here so every app process and every
    backup has it. Never updated: a change is a new version (`review.rubric_store`).

    `content` is the rubric as canonical JSON; `sha256` its content hash, checked on every read.
    """

    __tablename__ = "rubric_versions"
    __table_args__ = (UniqueConstraint("rubric_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    based_on: Mapped[str | None] = mapped_column(String(130), nullable=True)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


MIGRATIONS = Path(__file__).with_name("migrations")


BUSY_TIMEOUT_MS = 5_000  # how long an SQLite writer waits for another writer's commit
RETRIES = 5  # attempts of a unit of work that met a lock or a serialization failure


def make_engine(url: str) -> Engine:
    """An engine with SQLite tuned for several readers and enforced foreign keys."""
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling would begin every transaction deferred; we begin
    # them ourselves (`_sqlite_begin`), as SQLAlchemy's SQLite documentation recommends.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes the write lock when it begins, waiting up to the busy timeout. Begun
    # deferred, it would read, then fail at its first write with "database is locked" as soon
    # as another writer had committed since its read: SQLite cannot wait in that case.
    mode = conn.get_execution_options().get(_BEGIN, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


_BEGIN = "sqlite_begin"


def writer(engine: Engine) -> Engine:
    """`engine` with every transaction begun as a writer's (SQLite's BEGIN IMMEDIATE)."""
    return engine.execution_options(**{_BEGIN: "IMMEDIATE"})


def is_transient(error: BaseException) -> bool:
    """A lock or serialization failure: the unit of work may succeed if run again."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in ("40001", "40P01"):  # serialization, deadlock
        return True
    message = str(original).lower()
    return isinstance(error, OperationalError) and ("locked" in message or "busy" in message)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction fit to change the schema (see `_foreign_keys_deferred`)."""
    with engine.connect() as connection, _foreign_keys_deferred(connection), connection.begin():
        yield connection


@contextmanager
def _foreign_keys_deferred(connection: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off while migrating, checked before they are on again.

    Changing a table on SQLite means copying it and dropping the old one, and a dropped parent
    would take its children with it (ON DELETE CASCADE). The pragma only acts outside a
    transaction, hence its own connection.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection  # outside SQLAlchemy's transaction
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left rows without their parent: {broken[:10]}")
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


_writing = threading.local()  # whether this thread is inside `Database.session`


class Database:
    """The one storage handle: an engine plus a session factory; migrated when opened."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        migrate(self.engine)
        self._sessions = sessionmaker(writer(self.engine), expire_on_commit=False)
        self._readers = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work that writes: committed when the block ends, rolled back on any error.

        On SQLite it holds the write lock from its start, so its reads and writes are never
        interleaved with another writer's.
        """
        if getattr(_writing, "now", False):
            # On SQLite the inner one would wait for the outer one's lock: for ever.
            raise RuntimeError("a unit of work that writes was opened inside another one")
        _writing.now = True
        try:
            with self._sessions() as session, session.begin():
                yield session
        finally:
            _writing.now = False

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A unit of work that only reads: it never waits for writers nor makes them wait."""
        with self._readers() as session:  # closed unwritten: its transaction is rolled back
            yield session

    def write(self, work: Callable[[Session], T], *, attempts: int = RETRIES) -> T:
        """`work(session)` in its own unit of work, run again if it met a lock or a
        serialization failure; `Busy` once `attempts` runs all met one.

        `work` must be safe to run again: everything it wrote was rolled back.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.session() as session:
                    return work(session)
            except DBAPIError as error:
                if not is_transient(error):
                    raise
                if attempt == attempts:
                    raise Busy() from error
                time.sleep(random.uniform(0, 0.05 * 2**attempt))  # apart, not in step
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


class Decision(Base):
    """The reconciled (final) level of one item for one district.

    Raw ratings are never changed: a decision points at the ratings it was decided from
    (`decision_ratings`). `level` is `None` only when the item was decided "not applicable".
    A replacing UPDATE names the `row_version` it replaces in its WHERE clause.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("cycle_id", "district_id", "item_id"),
        CheckConstraint(
            "method IN ('agreement', 'choice', 'consensus', 'adjudication')",
            name="ck_decisions_method",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    item_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    method: Mapped[str] = mapped_column(String(16))  # agreement | choice | consensus | adjudication
    rationale: Mapped[str] = mapped_column(Text, default="")
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # open when decided
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    row_version: Mapped[int] = mapped_column(Integer, default=1)


class DecisionRating(Base):
    """A rating a decision was decided from (raw ratings themselves are never changed)."""

    __tablename__ = "decision_ratings"
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), primary_key=True, index=True)


PROPOSAL_STATUSES = ("proposed", "confirmed", "sent_to_coordinator")


class ConsensusProposal(Base):
    """A level one reviewing district proposes for an item (a choice or a consensus).

    It becomes the decision once every reviewing district has confirmed it; one proposal per
    item, replaced (while unconfirmed) by a newer one.
    """

    __tablename__ = "consensus_proposals"
    __table_args__ = (
        UniqueConstraint("cycle_id", "district_id", "item_id"),
        CheckConstraint(
            "status IN ('proposed', 'confirmed', 'sent_to_coordinator')",
            name="ck_consensus_proposals_status",
        ),
        CheckConstraint("method IN ('choice', 'consensus')", name="ck_consensus_proposals_method"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    item_id: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))  # choice | consensus
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    rationale: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposer_district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    status: Mapped[str] = mapped_column(String(24), default="proposed")
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConsensusConfirmation(Base):
    """One reviewing district's confirmation of a proposal (the proposer's district too)."""

    __tablename__ = "consensus_confirmations"
    __table_args__ = (UniqueConstraint("proposal_id", "district_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("consensus_proposals.id", ondelete="CASCADE")
    )
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalibrationReview(Base):
    """An item a coordinator sent back for calibration across the network; open until resolved."""

    __tablename__ = "calibration_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
