"""Offline self-evaluation workbook of 60 items: export, then read + preview, and apply, on SQLite.

Sets up (not timed) a cycle on a generated 60-item rubric with every self-rating saved with a
narrative of `--chars` characters, and a workbook of it in which `--edited` items have a new
level and narrative. Each step runs in a fresh subprocess so that its peak RSS is its own, with
openpyxl imported and the rubric loaded before the clock starts (a running app has both); the
Python peak is what the step itself allocated (tracemalloc, in a second run on a copy).

1. export: read the district and write the workbook;
2. preview: read the uploaded workbook (checks, limits) and work out what changes;
3. apply: the same, then save each edited item (compare-and-set) and audit the import.

Run: python benchmarks/offline_workbook_benchmark.py [--items 60] [--edited 20] [--chars 2000]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from random import Random
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LEAD = "lead@a.bench.example"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--edited", type=int, default=20)
    parser.add_argument("--chars", type=int, default=2_000, help="characters per narrative")
    parser.add_argument("--step", choices=["export", "preview", "apply"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(_step(args.step, args.root)))
        return
    with tempfile.TemporaryDirectory(prefix="offline-bench-") as folder:
        root = Path(folder)
        _setup(root, args.items, args.chars)
        exported = _measure("export", root)
        print(f"export   {_line(exported)}")
        workbook = root / "exported.xlsx"
        (root / "filled.xlsx").write_bytes(_edit(workbook.read_bytes(), args.edited))
        size = (root / "filled.xlsx").stat().st_size
        print(f"workbook {args.items} items, {args.edited} edited, {size / 1e3:,.0f} kB")
        for step in ("preview", "apply"):
            print(f"{step:8} {_line(_measure(step, root))}")


def _line(result: dict[str, Any]) -> str:
    return (
        f"{result['seconds']:.2f} s; peak RSS {result['peak_mb']:,.0f} MB (process); "
        f"Python peak {result['python_mb']:,.1f} MB (the step); {result['summary']}"
    )


def _settings(root: Path) -> Any:
    from review.settings import Settings

    return Settings.from_env(
        {}, database_url=f"sqlite:///{root}/bench.db", rubrics_dir=root / "rubrics", bcrypt_rounds=4
    )


def _setup(root: Path, items: int, chars: int) -> None:
    import yaml

    from review import accounts, cycles, ratings
    from review.access import Role
    from review.db import Database
    from review.rubrics import Catalogue

    folder = root / "rubrics" / "bench"
    folder.mkdir(parents=True)
    rubric = {
        "id": "bench",
        "version": "v1",
        "title": "Benchmark rubric",
        "school_year": "2015-16",
        "scale": [
            {"level": n, "label": f"Level {n}", "meaning": f"Level {n}."} for n in (1, 2, 3, 4)
        ],
        "compliance": {"meets": 3, "partially_meets": 2},
        "principles": [{"id": "P2", "title": "Principle 2"}],
        "items": [
            {
                "id": f"ITEM-{n:02}",
                "principle": "P2",
                "title": f"Item {n}",
                "prompt": f"What did the district do about item {n}? " * 3,
                "descriptors": {
                    level: f"descriptor {level} of item {n} " * 8 for level in range(1, 5)
                },
            }
            for n in range(1, items + 1)
        ],
    }
    (folder / "v1.yaml").write_text(yaml.safe_dump(rubric, sort_keys=False))
    settings = _settings(root)
    db = Database(settings.database_url)
    random = Random(2016)
    with db.session() as s:
        coordinator = accounts.create_first_coordinator(
            s, settings, email="coord@bench.example", name="Coordinator", password="password1"
        )
        for code in ("A", "B", "C"):
            cycles.save_district(s, coordinator, code=code, name=f"District {code}", enrollment=1)
        lead = accounts.actor_for(
            accounts.create_user(
                s,
                settings,
                email=LEAD,
                name="Lead A",
                roles=[Role.DISTRICT_EDITOR],
                district_code="A",
                password="password1",
                by=coordinator,
            )
        )
        catalogue = Catalogue(settings.rubrics_dir)
        cycle = cycles.create_cycle(
            s, coordinator, catalogue, name="2015-16", rubric_key="bench@v1"
        )
        cycles.define_triads(s, coordinator, cycle, {"North": ["A", "B", "C"]})
        for item in catalogue.get("bench", "v1").items:
            ratings.save_self_rating(
                s,
                lead,
                cycle,
                catalogue.get("bench", "v1"),
                district_id=lead.district_id or 0,
                item_id=item.id,
                data=ratings.RatingInput(level=2, narrative=_prose(random, chars)),
                expected_version=None,
            )
    db.dispose()


WORDS = [
    "district",
    "schools",
    "parents",
    "survey",
    "meetings",
    "evidence",
    "students",
    "data",
    "plan",
    "cycle",
    "improvement",
    "teachers",
    "principals",
    "family",
    "engagement",
    "attendance",
    "results",
    "goals",
    "review",
    "quarterly",
    "team",
]


def _prose(random: Random, chars: int) -> str:
    """Text of about `chars` characters that compresses like prose, not like one letter."""
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < chars:
        words.append(random.choice(WORDS))
    return " ".join(words)[:chars]


def _edit(data: bytes, edited: int) -> bytes:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Items"]
    header = [c.value for c in sheet[1]]
    level, narrative = header.index("Level") + 1, header.index("Narrative") + 1
    for row in range(2, 2 + edited):
        sheet.cell(row=row, column=level, value="3 Level 3")
        sheet.cell(row=row, column=narrative, value=f"Rewritten offline, row {row}. " * 40)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _measure(step: str, root: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--step", step, "--root", str(root)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.splitlines()[-1]))


def _step(step: str, root: Path) -> dict[str, Any]:
    """Run `step` twice: timed, and on a copy of the database under tracemalloc (which slows
    it) for the Python memory the step allocated at its peak."""
    import openpyxl  # noqa: F401  (imported once per app process; 1-2 s on a busy machine)

    from review.cycles import cycle_rubric, get_cycle
    from review.db import Database
    from review.rubrics import Catalogue

    settings = _settings(root)
    shutil.copy(root / "bench.db", root / "traced.db")
    traced = Database(f"sqlite:///{root}/traced.db")
    db = Database(settings.database_url)
    with db.reading() as s:
        rubric = cycle_rubric(Catalogue(settings.rubrics_dir), get_cycle(s, "2015-16"))
    tracemalloc.start()
    _work(step, root, traced, rubric)
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    traced.dispose()
    started = time.perf_counter()
    summary = _work(step, root, db, rubric)
    seconds = time.perf_counter() - started
    db.dispose()
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "python_mb": python_peak / 1e6,
        "summary": summary,
    }


def _work(step: str, root: Path, db: Any, rubric: Any) -> str:
    from review.access import Action
    from review.accounts import command_line_actor
    from review.cycles import get_cycle
    from review.offline.selfeval import apply_import, export_workbook, preview_import
    from review.offline.workbook import read_workbook

    with db.session() if step == "apply" else db.reading() as s:
        actor = command_line_actor(s, LEAD, Action.READ_PRACTICE)
        cycle = get_cycle(s, "2015-16")
        district_id = actor.district_id or 0
        if step == "export":
            _, written = export_workbook(s, actor, cycle, rubric, district_id)
            (root / "exported.xlsx").write_bytes(written)
            return f"{len(written) / 1e3:,.0f} kB written"
        workbook = read_workbook((root / "filled.xlsx").read_bytes(), "filled.xlsx")
        work = apply_import if step == "apply" else preview_import
        return work(s, actor, cycle, rubric, district_id, workbook).summary()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
