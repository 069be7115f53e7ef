"""Index spec files: loading with precise errors, content hashes and the publication record.

Versioned like rubrics (`review.versioned`): `index_specs/published.json` records the hash of
each published version, and a file whose content no longer matches its record is refused.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from review.index.spec import IndexSpec, SpecError
from review.versioned import VersionedFiles, check_path, content_hash, describe, read_yaml

__all__ = ["SpecCatalogue", "content_hash", "parse_spec"]


def parse_spec(path: Path) -> IndexSpec:
    """Read and validate one index spec file.

    Raises:
        SpecError: naming the file, and the metric and field where one is at fault.
    """
    raw = read_yaml(path, SpecError, "spec")
    try:
        spec = IndexSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(f"{path}: {describe(exc, raw, ('metrics', 'domains', 'groups'))}") from None
    check_path(path, spec, SpecError)
    return spec


class SpecCatalogue(VersionedFiles[IndexSpec]):
    """The index spec files under one folder, with their publication record."""

    noun = "index spec"
    example = "core-sqii@2016-17"

    def __init__(self, root: Path) -> None:
        super().__init__(root, parse_spec, SpecError)
