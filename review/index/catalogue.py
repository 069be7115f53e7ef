"""Index spec files: loading with precise errors, content hashes and the publication record.

Mirrors `review.rubrics`: `index_specs/published.json` records the hash of each published
version, and a file whose content no longer matches its record is refused.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from review.errors import NotFound
from review.index.spec import IndexSpec, SpecError

PUBLISHED_FILE = "published.json"


def content_hash(spec: IndexSpec) -> str:
    """SHA-256 of the canonical content: layout and comments of the file do not count."""
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_spec(path: Path) -> IndexSpec:
    """Read and validate one index spec file.

    Raises:
        SpecError: naming the file, and the metric and field where one is at fault.
    """
    raw = _read_yaml(path)
    try:
        spec = IndexSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(f"{path}: {_describe(exc, raw)}") from None
    expected = (path.parent.name, path.stem)
    if (spec.id, spec.version) != expected:
        raise SpecError(
            f"{path}: id/version {spec.key} do not match the path "
            f"(expected {expected[0]}@{expected[1]})"
        )
    return spec


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: the file is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise SpecError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: expected a mapping of spec fields at the top")
    return raw


def _describe(exc: ValidationError, raw: dict[str, Any]) -> str:
    parts = []
    for error in exc.errors()[:5]:
        loc = list(error["loc"])
        where = []
        if len(loc) >= 2 and loc[0] in ("metrics", "domains", "groups") and isinstance(loc[1], int):
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


class SpecCatalogue:
    """The index spec files under one folder, with their publication record."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def paths(self) -> list[Path]:
        return sorted(self.root.glob("*/*.yaml"))

    def published(self) -> dict[str, str]:
        path = self.root / PUBLISHED_FILE
        if not path.exists():
            return {}
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def check(self, path: Path) -> IndexSpec:
        """Load a file and refuse it if it changes a published version.

        Raises:
            SpecError: the file is malformed, or differs from its published hash.
        """
        spec = parse_spec(path)
        recorded = self.published().get(spec.key)
        if recorded is not None and recorded != content_hash(spec):
            raise SpecError(
                f"{path}: {spec.key} is published and its content has changed "
                f"(recorded hash {recorded[:12]}…, file now {content_hash(spec)[:12]}…); "
                "publish a new version instead of editing this one"
            )
        return spec

    def all(self) -> list[IndexSpec]:
        return [self.check(p) for p in self.paths()]

    def get(self, spec_id: str, version: str) -> IndexSpec:
        """The checked spec `spec_id@version`.

        Raises:
            NotFound: no such file (the message lists the known specs).
            SpecError: the file is malformed or changed after publication.
        """
        path = self.root / spec_id / f"{version}.yaml"
        if not path.is_file():
            known = ", ".join(f"{p.parent.name}@{p.stem}" for p in self.paths()) or "none"
            raise NotFound(f"no index spec {spec_id}@{version} in {self.root} (known: {known})")
        return self.check(path)

    def get_key(self, key: str) -> IndexSpec:
        """The spec named ``ID@VERSION``, e.g. ``core-sqii@2016-17``."""
        spec_id, sep, version = key.partition("@")
        if not sep or not spec_id or not version or "/" in key or ".." in key:
            raise SpecError(f"{key!r}: expected ID@VERSION, e.g. core-sqii@2016-17")
        return self.get(spec_id, version)

    def publish(self, spec: IndexSpec) -> str:
        """Record a version's hash; refuses to re-record a different hash for it.

        Returns:
            The content hash now recorded in `published.json`.
        """
        record = self.published()
        digest = content_hash(spec)
        if record.get(spec.key, digest) != digest:
            raise SpecError(f"{spec.key} is already published with other content")
        record[spec.key] = digest
        text = json.dumps(dict(sorted(record.items())), indent=2) + "\n"
        (self.root / PUBLISHED_FILE).write_text(text, encoding="utf-8")
        return digest
