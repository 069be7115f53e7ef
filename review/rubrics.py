"""Rubric files: schema, loading with precise errors, publication hashes, diff and crosswalk.

A rubric lives in `rubrics/<rubric-id>/<version>.yaml`. A published version never changes:
`rubrics/published.json` records the content hash of each published version, and a file whose
content no longer matches is refused.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from review.errors import NotFound, RubricError
from review.versioned import (
    VersionedFiles,
    check_path,
    describe,
    read_yaml,
)
from review.versioned import (
    content_hash as content_hash,
)

RUBRIC_ID = r"^[a-z0-9][a-z0-9-]*$"
VERSION = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _omit_unrecorded(data: dict[str, Any], defaults: dict[str, object]) -> dict[str, Any]:
    # Fields added after versions were published are left out while at their default, so the
    # content (and hash) of a version written before them stays what was published.
    return {k: v for k, v in data.items() if k not in defaults or v != defaults[k]}


QUOTED_FROM = "Quoted from"
WRITTEN_FOR_PRODUCT = "Written for this product"


class Source(_Frozen):
    """A published work a version quotes, cited so that a reader could find it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    short: str = Field(min_length=1)  # e.g. Marsh et al. (2016), PACE
    citation: str = Field(min_length=1)  # authors, year, title, publisher


class Quote(_Frozen):
    """A descriptor that is a source's words verbatim: which source, and where in it."""

    source: str = Field(min_length=1)
    location: str = Field(min_length=1)  # a section, endnote or page a reader can find


class Correction(_Frozen):
    """What a version corrects in an earlier one (shown to users with the version)."""

    version: str = Field(pattern=VERSION)
    summary: str = Field(min_length=1)


class ScaleLevel(_Frozen):
    level: int = Field(ge=0, le=10)
    label: str = Field(min_length=1)
    meaning: str = Field(min_length=1)


class ContextMeasure(_Frozen):
    """A count a district reports for an item, read per 1,000 students (e.g. parents reached)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)


class Principle(_Frozen):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = Field(min_length=1)


class Compliance(_Frozen):
    """Final level thresholds: at least `meets` meets, at least `partially_meets` partially."""

    meets: int
    partially_meets: int

    @model_validator(mode="after")
    def _ordered(self) -> Compliance:
        if self.partially_meets > self.meets:
            raise ValueError("partially_meets must not be above meets")
        return self


class Item(_Frozen):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    principle: str
    title: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    descriptors: dict[int, str]
    evidence_expectations: list[str] = Field(default_factory=list)
    evidence_required: bool = False
    required: bool = True
    allow_not_applicable: bool = False
    exemplars: dict[int, str] = Field(default_factory=dict)
    context_measures: list[ContextMeasure] = Field(default_factory=list)
    # Descriptor levels that quote a source verbatim; in a version that records provenance,
    # every other descriptor (and the prompt) was written for this product.
    quoted: dict[int, Quote] = Field(default_factory=dict)
    source_note: str | None = None  # how the item stands to its sources, shown with it

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _omit_unrecorded(handler(self), {"quoted": {}, "source_note": None})

    @field_validator("descriptors")
    @classmethod
    def _descriptors_not_blank(cls, value: dict[int, str]) -> dict[int, str]:
        for level, text in value.items():
            if not text.strip():
                raise ValueError(f"descriptor for level {level} is blank")
        return value


class Crosswalk(_Frozen):
    """How item ids of an earlier version map onto this one (old id -> new id)."""

    from_version: str
    items: dict[str, str] = Field(default_factory=dict)


class Rubric(_Frozen):
    id: str = Field(pattern=RUBRIC_ID)
    version: str = Field(pattern=VERSION)
    title: str = Field(min_length=1)
    school_year: str
    scale: list[ScaleLevel] = Field(min_length=2)
    compliance: Compliance
    settings: dict[str, int | str] = Field(default_factory=dict)
    principles: list[Principle] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    crosswalk: Crosswalk | None = None
    # Whether this version says, for each descriptor, whose words it is (see `provenance`).
    provenance_recorded: bool = False
    sources: list[Source] = Field(default_factory=list)
    corrects: Correction | None = None

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        defaults = {"provenance_recorded": False, "sources": [], "corrects": None}
        return _omit_unrecorded(handler(self), defaults)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Rubric:
        # A workbook import asks for every problem with its place (`inconsistencies`), not the
        # first one as an exception.
        if not (info.context or {}).get(COLLECT_INCONSISTENCIES):
            found = inconsistencies(self)
            if found:
                raise ValueError(found[0].message)
        return self

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def levels(self) -> list[int]:
        return sorted(s.level for s in self.scale)

    @property
    def top_level(self) -> int:
        return self.levels[-1]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFound(f"rubric {self.key} has no item {item_id}")

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise NotFound(f"rubric {self.key} has no source {source_id}")

    def provenance(self, item: Item, level: int) -> str | None:
        """Whose words the descriptor is: "Quoted from <source>, <where>", "Written for this
        product", or None when this version does not record it."""
        if not self.provenance_recorded:
            return None
        quote = item.quoted.get(level)
        if quote is None:
            return WRITTEN_FOR_PRODUCT
        return f"{QUOTED_FROM} {self.source(quote.source).short}, {quote.location}"

    def text(self, template: str) -> str:
        """Fill a prompt or descriptor with this version's settings (e.g. PDSA cycles a year)."""
        return template.format(**self.settings) if _placeholders(template) else template

    def label(self, level: int | None) -> str:
        if level is None:
            return "not rated"
        return next((f"{s.level} {s.label}" for s in self.scale if s.level == level), str(level))

    def compliance_status(self, level: int | None) -> str:
        """'meets', 'partially meets', 'does not meet', or 'not rated' for a final level."""
        if level is None:
            return "not rated"
        if level >= self.compliance.meets:
            return "meets"
        if level >= self.compliance.partially_meets:
            return "partially meets"
        return "does not meet"


COLLECT_INCONSISTENCIES = "collect_inconsistencies"

Path_ = tuple[str | int, ...]


class Inconsistency(_Frozen):
    """A rule across fields a rubric breaks; `path` is where (e.g. ("items", 2, "principle"))."""

    path: Path_
    message: str


def inconsistencies(rubric: Rubric) -> list[Inconsistency]:
    """Every cross-field rule `rubric` breaks, in file order (none for a valid rubric)."""
    found: list[Inconsistency] = []

    def fault(path: Path_, message: str) -> None:
        found.append(Inconsistency(path=path, message=message))

    levels = [s.level for s in rubric.scale]
    for n, level in enumerate(levels):
        if level in levels[:n]:
            fault(("scale", n, "level"), "scale: levels must be distinct")
    known = set(levels)
    principles = {p.id for p in rubric.principles}
    source_ids = [s.id for s in rubric.sources]
    for n, source_id in enumerate(source_ids):
        if source_id in source_ids[:n]:
            fault(("sources", n, "id"), f"source {source_id}: id is used twice")
    seen: set[str] = set()
    for n, item in enumerate(rubric.items):
        if item.id in seen:
            fault(("items", n, "id"), f"item {item.id}: id is used twice")
        seen.add(item.id)
        if item.principle not in principles:
            fault(
                ("items", n, "principle"),
                f"item {item.id}: principle {item.principle!r} is not declared",
            )
        if set(item.descriptors) != known:
            fault(
                ("items", n, "descriptors"),
                f"item {item.id}: descriptors: needs exactly one per level {sorted(known)}, "
                f"has {sorted(item.descriptors)}",
            )
        for level, quote in item.quoted.items():
            if level not in known:
                message = f"item {item.id}: quoted: level not on the scale"
                fault(("items", n, "quoted", level), message)
            if quote.source not in source_ids:
                fault(
                    ("items", n, "quoted", level, "source"),
                    f"item {item.id}: quoted: source {quote.source!r} is not declared",
                )
            if not rubric.provenance_recorded:
                fault(
                    ("items", n, "quoted", level),
                    f"item {item.id}: quoted: the version does not record provenance",
                )
        for level in item.exemplars:
            if level not in known:
                fault(
                    ("items", n, "exemplars", level),
                    f"item {item.id}: exemplars: level not on the scale",
                )
        texts: list[tuple[Path_, str]] = [(("items", n, "prompt"), item.prompt)]
        texts += [(("items", n, "descriptors", lv), t) for lv, t in item.descriptors.items()]
        if item.source_note is not None:
            texts.append((("items", n, "source_note"), item.source_note))
        for path, text in texts:
            for name in sorted(_placeholders(text)):
                if name not in rubric.settings:
                    fault(path, f"item {item.id}: unknown setting {{{name}}}")
    for field in ("meets", "partially_meets"):
        if getattr(rubric.compliance, field) not in known:
            level = getattr(rubric.compliance, field)
            fault(("compliance", field), f"compliance: level {level} is not on the scale")
    if rubric.crosswalk:
        for old, new in rubric.crosswalk.items.items():
            if new not in seen:
                message = f"crosswalk: {old} -> {new}: {new} is not an item"
                fault(("crosswalk", "items", old), message)
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def parse_rubric(path: Path) -> Rubric:
    """Read and validate one rubric file.

    Raises:
        RubricError: naming the file, and the item id and field where one is at fault.
    """
    raw = read_yaml(path, RubricError, "rubric")
    try:
        rubric = Rubric.model_validate(raw)
    except ValidationError as exc:
        raise RubricError(f"{path}: {describe(exc, raw, ('items',))}") from None
    check_path(path, rubric, RubricError)
    return rubric


def dump_yaml(rubric: Rubric) -> str:
    """The version as rubric-file YAML (canonical: no comments; `parse_rubric` reads it back)."""
    data = rubric.model_dump(exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


class StoredVersions(Protocol):
    """Versions published outside the rubric folder (in the database: `review.rubric_store`)."""

    def versions(self) -> dict[str, Rubric]:
        """Every stored version by key, each checked against its recorded hash."""
        ...

    def version(self, rubric_id: str, version: str) -> Rubric | None: ...


class Catalogue(VersionedFiles[Rubric]):
    """The rubric files under one folder, with their publication record, and, when given
    `stored`, the versions published into the database (a file of the same key comes first).
    """

    noun = "rubric"
    example = "core-p2@2015-16"

    def __init__(self, root: Path, stored: StoredVersions | None = None) -> None:
        super().__init__(root, parse_rubric, RubricError)
        self.stored = stored

    def all(self) -> list[Rubric]:
        files = super().all()
        if self.stored is None:
            return files
        named = {r.key for r in files}
        extra = [r for k, r in self.stored.versions().items() if k not in named]
        return sorted([*files, *extra], key=lambda r: (r.id, r.version))

    def published(self) -> dict[str, str]:
        record = super().published()
        if self.stored is not None:
            for key, rubric in self.stored.versions().items():
                record.setdefault(key, content_hash(rubric))
        return record

    def get(self, model_id: str, version: str) -> Rubric:
        if (self.root / model_id / f"{version}.yaml").is_file() or self.stored is None:
            return super().get(model_id, version)
        found = self.stored.version(model_id, version)
        if found is None:
            known = ", ".join(r.key for r in self.all()) or "none"
            raise NotFound(f"no rubric {model_id}@{version} (known: {known})")
        return found

    def exists(self, rubric_id: str, version: str) -> bool:
        """Whether `rubric_id@version` is taken: a file, a recorded hash, or a stored version."""
        if (self.root / rubric_id / f"{version}.yaml").is_file():
            return True
        if f"{rubric_id}@{version}" in super().published():
            return True
        return self.stored is not None and self.stored.version(rubric_id, version) is not None


class Change(_Frozen):
    # added | removed | renamed | reworded | descriptor | guidance | requirement | setting | rubric
    # (guidance covers which descriptors are quoted and the note on sources)
    kind: str
    item: str
    detail: str


def diff(old: Rubric, new: Rubric) -> list[Change]:
    """What changed from `old` to `new`, using `new`'s crosswalk to follow renamed items."""
    walk = (
        new.crosswalk.items if new.crosswalk and new.crosswalk.from_version == old.version else {}
    )
    old_items = {i.id: i for i in old.items}
    new_items = {i.id: i for i in new.items}
    pairs = {old_id: walk.get(old_id, old_id) for old_id in old_items}
    changes: list[Change] = []
    for old_id, new_id in pairs.items():
        if new_id not in new_items:
            changes.append(Change(kind="removed", item=old_id, detail=old_items[old_id].title))
            continue
        if new_id != old_id:
            changes.append(Change(kind="renamed", item=new_id, detail=f"was {old_id}"))
        changes.extend(_item_changes(old_items[old_id], new_items[new_id]))
    for new_id, item in new_items.items():
        if new_id not in pairs.values():
            changes.append(Change(kind="added", item=new_id, detail=item.title))
    for name in sorted(set(old.settings) | set(new.settings)):
        before, after = old.settings.get(name), new.settings.get(name)
        if before != after:
            changes.append(Change(kind="setting", item="-", detail=f"{name}: {before} -> {after}"))
    # Whatever else a version holds, so that a preview of a workbook hides no change.
    fields = ("title", "school_year", "scale", "compliance", "principles", "crosswalk")
    for field in (*fields, "provenance_recorded", "sources", "corrects"):
        if getattr(old, field) != getattr(new, field):
            detail = f"{field.replace('_', ' ')} changed"
            changes.append(Change(kind="rubric", item="-", detail=detail))
    return changes


def _item_changes(old: Item, new: Item) -> list[Change]:
    changes = []
    if (old.title, old.prompt) != (new.title, new.prompt):
        changes.append(Change(kind="reworded", item=new.id, detail="title or prompt reworded"))
    for level in sorted(set(old.descriptors) | set(new.descriptors)):
        if old.descriptors.get(level) != new.descriptors.get(level):
            changes.append(
                Change(kind="descriptor", item=new.id, detail=f"level {level} descriptor changed")
            )
    guidance = (
        "principle",
        "evidence_expectations",
        "exemplars",
        "context_measures",
        "allow_not_applicable",
        "quoted",
        "source_note",
    )
    for field in guidance:
        if getattr(old, field) != getattr(new, field):
            changes.append(Change(kind="guidance", item=new.id, detail=f"{field} changed"))
    if (old.evidence_required, old.required) != (new.evidence_required, new.required):
        changes.append(
            Change(
                kind="requirement",
                item=new.id,
                detail=f"evidence required {old.evidence_required} -> {new.evidence_required}, "
                f"item required {old.required} -> {new.required}",
            )
        )
    return changes


def crosswalk_item(rubric: Rubric, old_item_id: str) -> str | None:
    """The id in `rubric` that an earlier version's item became, or None if it was dropped."""
    if rubric.crosswalk and old_item_id in rubric.crosswalk.items:
        return rubric.crosswalk.items[old_item_id]
    return old_item_id if any(i.id == old_item_id for i in rubric.items) else None
