"""Review packets: time, pages and bytes per packet, and all packets for 60 districts.

Run: .venv/bin/python benchmarks/packet_benchmark.py

Measures (1) one packet on the demo network, (2) one packet at 40 items x 3 raters with 120
schools of index data, (3) every packet of a 30- and a 60-district network as `export all` does
(index computed once per cycle). Targets: at most 2 s per packet, all 60 within 60 s, and twice
the districts costing no more than 2.2x the time. Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402

from benchmarks._network import demo_network, generated_network  # noqa: E402
from exports.packet import build_all, build_packet  # noqa: E402
from review.cycles import get_cycle, participants  # noqa: E402
from review.db import Database  # noqa: E402
from review.index.district import cycle_results, district_summary  # noqa: E402
from review.rubrics import Catalogue  # noqa: E402
from review.settings import Settings  # noqa: E402

SPEC = "core-sqii@2015-16"
SCHOOLS_PER_DISTRICT = 120
STUDENTS_PER_SCHOOL = 1_250  # the demo generator's default, so enrollment sets school count


def pages_of(packet: bytes) -> int:
    archive = zipfile.ZipFile(io.BytesIO(packet))
    pdf = next(n for n in archive.namelist() if n.endswith(".pdf"))
    return len(PdfReader(io.BytesIO(archive.read(pdf))).pages)


def export_all(db: Database, settings: Settings, jobs: int) -> tuple[float, int]:
    """Every packet of the cycle, as `python -m review export all --jobs N` builds them."""
    start = time.perf_counter()
    with db.session() as s:
        cycle = get_cycle(s, "2015-16")
        codes = [d.code for d, _ in participants(s, cycle)]
    results = cycle_results(db, settings.index_specs_dir, cycle)
    summaries = {code: district_summary(results, code, details=False) for code in codes}
    total_bytes = 0
    for _, _, data in build_all(
        settings.database_url, settings.rubrics_dir, "2015-16", summaries, jobs=jobs
    ):
        total_bytes += len(data)
    return time.perf_counter() - start, total_bytes


def one_packet(db: Database, settings: Settings, code: str) -> tuple[float, int, int]:
    with db.session() as s:
        cycle = get_cycle(s, "2015-16")
    results = cycle_results(db, settings.index_specs_dir, cycle)
    summary = district_summary(results, code, details=False)
    start = time.perf_counter()
    with db.session() as s:
        _, data = build_packet(
            s,
            Catalogue(settings.rubrics_dir),
            cycle_name="2015-16",
            district_code=code,
            index=summary,
        )
    return time.perf_counter() - start, pages_of(data), len(data)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo_db, demo_settings = demo_network(folder / "demo")
        seconds, pages, size = one_packet(demo_db, demo_settings, "CPU")
        print(f"demo packet (CPU, 16 items): {seconds:.2f} s, {pages} pages, {size:,} bytes")

        schools = SCHOOLS_PER_DISTRICT * STUDENTS_PER_SCHOOL
        big_db, big_settings = generated_network(
            folder / "one", 3, index_spec=SPEC, students=lambda n: schools
        )
        seconds, pages, size = one_packet(big_db, big_settings, "D001")
        print(
            f"one packet, 40 items x 3 raters, {SCHOOLS_PER_DISTRICT} schools of index data: "
            f"{seconds:.2f} s, {pages} pages, {size:,} bytes   (target <= 2 s)"
        )

        totals = {}
        jobs = os.cpu_count() or 1
        for districts in (30, 60):
            db, settings = generated_network(folder / f"n{districts}", districts, index_spec=SPEC)
            total, size = export_all(db, settings, jobs)
            totals[districts] = total
            print(
                f"all packets, {districts} districts, {jobs} processes: {total:.1f} s total, "
                f"{total / districts:.2f} s per packet, {size / districts:,.0f} bytes per packet"
            )
        print(
            f"target: 60 districts within 60 s -> {totals[60]:.1f} s; "
            f"60 vs 30 districts: {totals[60] / totals[30]:.2f}x (target <= 2.2x)"
        )


if __name__ == "__main__":
    main()
