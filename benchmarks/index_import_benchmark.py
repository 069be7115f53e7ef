"""Index import at network scale: parse + preview, and apply, of a 3.2-million-row file on SQLite.

Generates (seeded; not timed) the network file of `index_benchmark.py` (about 10,000 schools x
3 years x 9 metrics x 12 groups) in a temporary folder, and from it the file of one district
(`--district`, with one value in ten changed and its last school dropped). Then, each step in a
fresh subprocess so that its peak RSS is its own:

1. the network file into an empty cycle: parse + preview, then apply;
2. the same file again into the cycle that now holds it (every row unchanged): parse + preview;
3. the one-district file into that cycle (the others kept): parse + preview, then apply.

"apply" is the command line's `--apply`: parse, then in one transaction work the change out
again, write it, store the district summaries and audit it. It prints; it does not assert.

Run: python benchmarks/index_import_benchmark.py [--schools 10000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPEC = "core-sqii@2016-17"
COORDINATOR = "coordinator@bench.example"
DISTRICT = "FRESNO"  # a mid-sized district: Los Angeles alone is more than half the network


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=10_000, help="about how many schools")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--district", default=DISTRICT, help="the district of the second file")
    parser.add_argument("--step", choices=["preview", "apply"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        _step(args.step, args.data, args.db)
        return
    with tempfile.TemporaryDirectory(prefix="index-import-bench-") as folder:
        root = Path(folder)
        network, district, made = _files(root, args.schools, args.seed, args.district)
        db = root / "bench.db"
        _database(db)
        print(made)
        for label, step, path in (
            ("network file, empty cycle", "preview", network),
            ("network file, empty cycle", "apply", network),
            ("same file again, all unchanged", "preview", network),
            (f"one district ({args.district}), others kept", "preview", district),
            (f"one district ({args.district}), others kept", "apply", district),
        ):
            result = _measure(step, path, db)
            print(f"{label:40} {step:8} {_line(result)}")


def _line(result: dict[str, Any]) -> str:
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result["stages"].items())
    return f"{stages}; peak RSS {result['peak_mb']:,.0f} MB; {result['summary']}"


# --- data --------------------------------------------------------------------------------------


def _files(root: Path, schools: int, seed: int, code: str) -> tuple[Path, Path, str]:
    import pandas as pd

    from benchmarks.index_benchmark import write_csv

    network = root / "network.csv"
    rows, seconds = write_csv(network, schools, seed)
    frame = pd.read_csv(network, dtype=str, keep_default_na=False)
    one = frame[frame["district_id"] == code].copy()
    del frame
    last = one["school_id"].iloc[-1]
    one = one[one["school_id"] != last]
    value = one["value"].astype(float)
    changed = value.index[::10]
    one.loc[changed, "value"] = (value[changed] * 0.9).round(1).astype(str)
    district = root / "district.csv"
    one.to_csv(district, index=False)
    size = network.stat().st_size / 1e6
    return (
        network,
        district,
        f"data: {rows:,} rows, {size:,.0f} MB CSV; {code}: {len(one):,} rows "
        f"(generated in {seconds:.1f} s, untimed)",
    )


def _database(path: Path) -> None:
    from review import accounts, cycles
    from review.db import Database
    from review.index.catalogue import SpecCatalogue
    from review.settings import Settings

    settings = Settings.from_env({}, database_url=f"sqlite:///{path}", bcrypt_rounds=4)
    db = Database(settings.database_url)
    with db.session() as s:
        actor = accounts.create_first_coordinator(
            s, settings, email=COORDINATOR, name="Coordinator", password="benchmark-password"
        )
        from benchmarks.index_benchmark import ENROLLMENT

        for code, students in ENROLLMENT.items():
            cycles.save_district(s, actor, code=code, name=code.title(), enrollment=students)
        from review.rubrics import Catalogue

        cycles.create_cycle(
            s,
            actor,
            Catalogue(settings.rubrics_dir),
            name="2016-17",
            rubric_key="core-p2@2015-16",
            index_spec=SPEC,
        )
        SpecCatalogue(settings.index_specs_dir).get_key(SPEC)
    db.dispose()


# --- one step, in its own process ---------------------------------------------------------------


def _measure(step: str, data: Path, db: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--step", step, "--data", str(data), "--db", str(db)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{step} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _step(step: str, data: Path, db_path: Path) -> None:
    from review import accounts
    from review.db import Database
    from review.index.catalogue import SpecCatalogue
    from review.index.cycle_import import apply_import, preview_import
    from review.index.importer import read_results_file
    from review.index.store import find_cycle

    specs = SpecCatalogue(ROOT / "index_specs")
    db = Database(f"sqlite:///{db_path}")
    start = time.perf_counter()
    file = read_results_file(data)
    parsed = time.perf_counter()
    work = apply_import if step == "apply" else preview_import
    with db.session() if step == "apply" else db.reading() as s:
        from review.access import Action

        actor = accounts.command_line_actor(s, COORDINATOR, Action.MANAGE_CYCLE)
        preview = work(s, actor, find_cycle(s, "2016-17"), file, replace_cycle=False, specs=specs)
    done = time.perf_counter()
    db.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    unchanged = sum(c.unchanged for c in preview.changes)
    summary = (
        f"{preview.added:,} added, {preview.changed:,} changed, {preview.removed:,} removed, "
        f"{unchanged:,} unchanged, {preview.kept:,} kept"
    )
    print(
        json.dumps(
            {
                "stages": {"parse": parsed - start, step: done - parsed, "total": done - start},
                "peak_mb": peak_mb,
                "summary": summary,
            }
        )
    )


if __name__ == "__main__":
    main()
