"""Versioned, append-only files (rubrics, index specs): one file per version, never edited.

`<root>/<id>/<version>.yaml` holds a version; `<root>/published.json` records the content hash
of each published version, and a file whose content no longer matches its record is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from review.errors import NotFound, ReviewError

PUBLISHED_FILE = "published.json"


class Versioned(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def key(self) -> str: ...

    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


V = TypeVar("V", bound=Versioned)


def content_hash(model: BaseModel | Versioned) -> str:
    """SHA-256 of the canonical content: layout and comments of the file do not count."""
    canonical = json.dumps(model.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def read_yaml(path: Path, error: type[ReviewError], noun: str) -> dict[str, Any]:
    """The mapping at the top of a YAML file; every failure names the file (and line)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise error(f"{path}: the file is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise error(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise error(f"{path}: expected a mapping of {noun} fields at the top")
    return raw


def describe(exc: ValidationError, raw: dict[str, Any], lists: Sequence[str]) -> str:
    """Validation errors in words, naming the entry (by its id) of `lists` and the field."""
    parts = []
    for error in exc.errors()[:5]:
        loc = list(error["loc"])
        where = []
        if len(loc) >= 2 and loc[0] in lists and isinstance(loc[1], int):
            entries = raw.get(str(loc[0])) or []
            entry = entries[loc[1]] if loc[1] < len(entries) else None
            entry_id = entry.get("id") if isinstance(entry, dict) else None
            where.append(f"{str(loc[0])[:-1]} {entry_id or '#' + str(loc[1] + 1)}")
            loc = loc[2:]
        if loc:
            where.append("field " + ".".join(str(p) for p in loc))
        msg = error["msg"].removeprefix("Value error, ")
        parts.append((", ".join(where) + ": " if where else "") + msg)
    more = len(exc.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def check_path(path: Path, model: Versioned, error: type[ReviewError]) -> None:
    expected = (path.parent.name, path.stem)
    if (model.id, model.version) != expected:
        raise error(
            f"{path}: id/version {model.id}@{model.version} do not match the path "
            f"(expected {expected[0]}@{expected[1]})"
        )


class VersionedFiles(Generic[V]):
    """The versions under one folder, with their publication record."""

    noun = "file"
    example = "id@version"

    def __init__(self, root: Path, parse: Callable[[Path], V], error: type[ReviewError]) -> None:
        self.root = root
        self._parse = parse
        self._error = error

    def paths(self) -> list[Path]:
        return sorted(self.root.glob("*/*.yaml"))

    def published(self) -> dict[str, str]:
        path = self.root / PUBLISHED_FILE
        if not path.exists():
            return {}
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def check(self, path: Path) -> V:
        """Load a file and refuse it if it changes a published version."""
        model = self._parse(path)
        recorded = self.published().get(model.key)
        if recorded is not None and recorded != content_hash(model):
            raise self._error(
                f"{path}: {model.key} is published and its content has changed "
                f"(recorded hash {recorded[:12]}…, file now {content_hash(model)[:12]}…); "
                "publish a new version instead of editing this one"
            )
        return model

    def all(self) -> list[V]:
        return [self.check(p) for p in self.paths()]

    def get(self, model_id: str, version: str) -> V:
        """The checked version `model_id@version`; NotFound lists the known ones."""
        path = self.root / model_id / f"{version}.yaml"
        if not path.is_file():
            known = ", ".join(f"{p.parent.name}@{p.stem}" for p in self.paths()) or "none"
            raise NotFound(f"no {self.noun} {model_id}@{version} (known: {known})")
        return self.check(path)

    def get_key(self, key: str) -> V:
        """The version named ``ID@VERSION``."""
        model_id, sep, version = key.partition("@")
        if not sep or not model_id or not version or "/" in key or ".." in key:
            raise self._error(f"{key!r}: expected ID@VERSION, e.g. {self.example}")
        return self.get(model_id, version)

    def publish(self, model: V) -> str:
        """Record a version's hash; refuses to re-record a different hash for it."""
        record = self.published()
        digest = content_hash(model)
        if record.get(model.key, digest) != digest:
            raise self._error(f"{model.key} is already published with other content")
        record[model.key] = digest
        text = json.dumps(dict(sorted(record.items())), indent=2) + "\n"
        (self.root / PUBLISHED_FILE).write_text(text, encoding="utf-8")
        return digest
