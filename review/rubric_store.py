"""Rubric versions published from workbooks, kept in the database (table `rubric_versions`).

The files under `rubrics/` stay the shipped versions; a version a coordinator authors in Excel is
stored here with its hash, so every app process and every backup has it. `StoredRubrics` lets a
`Catalogue` find these versions as well as the files.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review import access, audit
from review.access import Action, Actor
from review.db import Database, RubricVersion
from review.errors import RubricError
from review.rubrics import Catalogue, Rubric, content_hash


class StoredRubrics:
    """The database's rubric versions, for `Catalogue(root, stored=StoredRubrics(db))`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def versions(self) -> dict[str, Rubric]:
        with self.db.reading() as session:
            rows = session.scalars(select(RubricVersion).order_by(RubricVersion.id))
            return {r.key: r for r in (_checked(row) for row in rows)}

    def version(self, rubric_id: str, version: str) -> Rubric | None:
        with self.db.reading() as session:
            row = session.scalar(
                select(RubricVersion).where(
                    RubricVersion.rubric_id == rubric_id, RubricVersion.version == version
                )
            )
            return _checked(row) if row is not None else None

    def stamp(self) -> tuple[tuple[str, str, str], ...]:
        """What identifies the stored versions (they never change, so keys and hashes do)."""
        with self.db.reading() as session:
            rows = session.execute(
                select(RubricVersion.rubric_id, RubricVersion.version, RubricVersion.sha256)
            )
            return tuple(sorted((a, b, c) for a, b, c in rows))


def _checked(row: RubricVersion) -> Rubric:
    rubric = Rubric.model_validate_json(row.content)
    if content_hash(rubric) != row.sha256:
        raise RubricError(
            f"{rubric.key} in the database no longer matches its recorded hash "
            f"{row.sha256[:12]}…; a published version must not change: restore it from a backup"
        )
    return rubric


def publish(
    session: Session, actor: Actor, catalogue: Catalogue, rubric: Rubric, *, based_on: str
) -> str:
    """Store `rubric` as a new published version and audit it; returns its content hash.

    Raises:
        PermissionDenied: unless `actor` is a coordinator.
        RubricError: if the version already exists (as a file, a record, or in the database).
    """
    access.require(actor, Action.MANAGE_CYCLE)
    if catalogue.exists(rubric.id, rubric.version):
        raise _taken(rubric.key)
    digest = content_hash(rubric)
    session.add(
        RubricVersion(
            rubric_id=rubric.id,
            version=rubric.version,
            sha256=digest,
            content=rubric.model_dump_json(),
            based_on=based_on,
            published_by=actor.user_id,
            published_at=audit.now(),
        )
    )
    try:
        session.flush()
    except IntegrityError:  # published by someone else since the check above
        raise _taken(rubric.key) from None
    audit.record(
        session,
        actor,
        "publish rubric",
        "rubric",
        rubric.key,
        after={"sha256": digest, "based_on": based_on, "from": "workbook"},
    )
    return digest


def _taken(key: str) -> RubricError:
    return RubricError(
        f"{key} is already published, and a published version never changes: "
        "choose a new version name"
    )
