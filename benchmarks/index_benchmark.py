"""Index summary at network scale: our pandas/numpy path against plain DuckDB SQL, same CSV.

Generates (seeded; not timed) about 10,000 schools x 3 years x 9 metrics x 12 groups (3.24
million rows) as CSV in a temporary folder, then runs each contender in a fresh subprocess
(so its peak RSS is its own) from the CSV to every district summary:

- ours: `read_results` (validation) -> `compute_index` -> `summarise_network` (band counts,
  medians, group gaps, trends, lagging schools, school table) plus one school drill-down per
  district;
- duckdb: `read_csv` and SQL for the same levels, lowest racial/ethnic groups, scores, points,
  overall levels and summaries, fetched into Python.

Both report a digest of their results (band counts, medians, lagging flags, overall levels) so
the run also checks that they agree. Targets: ours <= 1.5 x DuckDB, peak memory < 2 GB.
It prints; it does not assert.

Run: python benchmarks/index_benchmark.py [--schools 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.5
TARGET_MEMORY_MB = 2048
YEARS = ("2014-15", "2015-16", "2016-17")
SPEC = "core-sqii@2016-17"
# 2014-15 enrollment of the ten CORE districts (domain.md §1.3): schools follow these shares.
ENROLLMENT = {
    "CLOVIS": 41_169,
    "FRESNO": 73_543,
    "GARDENGROVE": 46_177,
    "LONGBEACH": 79_709,
    "LOSANGELES": 646_683,
    "OAKLAND": 48_077,
    "SACRAMENTO": 46_868,
    "SANFRANCISCO": 58_414,
    "SANGER": 11_204,
    "SANTAANA": 56_815,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=10_000, help="about how many schools")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (median)")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--run", choices=["ours", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        _contender(args.run, args.csv)
        return
    with tempfile.TemporaryDirectory(prefix="index-bench-") as folder:
        csv_path = Path(folder) / "results.csv"
        rows, seconds = write_csv(csv_path, args.schools, args.seed)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"data: {rows:,} rows, {size_mb:,.0f} MB CSV (generated in {seconds:.1f} s, untimed)")
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
        for _ in range(args.repeat):  # interleaved, so load from other work hits both alike
            for name in CONTENDERS:
                runs[name].append(_measure(name, csv_path))
    _report(runs)


# --- data --------------------------------------------------------------------------------------


def write_csv(path: Path, schools: int, seed: int) -> tuple[int, float]:
    """The network's results as CSV (also what `index_import_benchmark.py` imports)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from review.index.demo_data import generate_results

    start = time.perf_counter()
    total = sum(ENROLLMENT.values())
    per_school = 1000
    districts = [(code, round(n / total * schools * per_school)) for code, n in ENROLLMENT.items()]
    frame = generate_results(districts, YEARS, seed, students_per_school=per_school, complete=True)
    frame["designation"] = frame["designation"].astype("string").fillna("")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.cast(
        pa.schema(
            [
                pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type)
                for f in table.schema
            ]
        )
    )
    with path.open("wb") as out:
        out.write((",".join(table.column_names) + "\n").encode())
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(table, out, write_options=options)
    return len(frame), time.perf_counter() - start


# --- running ------------------------------------------------------------------------------------


def _measure(name: str, csv_path: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--run", name, "--csv", str(csv_path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _contender(name: str, csv_path: Path) -> None:
    run = CONTENDERS[name]
    prepare = PREPARE[name]
    prepare()  # imports are not timed: each contender pays only for its work
    start = time.perf_counter()
    digest = run(csv_path)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stages = digest.pop("stages", {})
    text = json.dumps(digest, sort_keys=True)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak_mb,
                "digest": hashlib.sha256(text.encode()).hexdigest()[:16],
                "lagging": digest["lagging"],
                "stages": stages,
            }
        )
    )


def _report(runs: dict[str, list[dict[str, Any]]]) -> None:
    def median(name: str, key: str) -> float:
        return statistics.median(float(r[key]) for r in runs[name])

    ours, duck = median("ours", "seconds"), median("duckdb", "seconds")
    ratio = ours / duck
    for name in CONTENDERS:
        times = ", ".join(f"{float(r['seconds']):.2f}" for r in runs[name])
        print(
            f"{name:>7}: median {median(name, 'seconds'):.2f} s (runs: {times}); "
            f"peak RSS {median(name, 'peak_mb'):,.0f} MB"
        )
    middle = sorted(runs["ours"], key=lambda r: float(r["seconds"]))[len(runs["ours"]) // 2]
    if middle["stages"]:
        timed = ", ".join(f"{name} {sec:.2f} s" for name, sec in middle["stages"].items())
        print(f"  ours stages (median run): {timed}")
    ok_ratio = "meets" if ratio <= TARGET_RATIO else "MISSES"
    peak = max(float(r["peak_mb"]) for r in runs["ours"])
    ok_memory = "meets" if peak < TARGET_MEMORY_MB else "MISSES"
    print(f"  ratio: ours / duckdb = {ratio:.2f} ({ok_ratio} the target <= {TARGET_RATIO})")
    print(f" memory: ours peak {peak:,.0f} MB ({ok_memory} the target < {TARGET_MEMORY_MB} MB)")
    digests = {str(r["digest"]) for rs in runs.values() for r in rs}
    agree = "agree" if len(digests) == 1 else "DISAGREE"
    print(
        f"results: {agree} (digest {', '.join(sorted(digests))}; lagging flags "
        f"{runs['ours'][0]['lagging']} vs {runs['duckdb'][0]['lagging']})"
    )


# --- ours ---------------------------------------------------------------------------------------


def _prepare_ours() -> None:
    import review.index.summary  # noqa: F401


def _run_ours(csv_path: Path) -> dict[str, object]:
    from review.index.catalogue import SpecCatalogue
    from review.index.compute import compute_index
    from review.index.importer import read_results
    from review.index.summary import school_detail, summarise_network

    spec = SpecCatalogue(ROOT / "index_specs").get_key(SPEC)
    marks = [time.perf_counter()]
    frame = read_results(csv_path)
    marks.append(time.perf_counter())
    results = compute_index(frame, spec)
    marks.append(time.perf_counter())
    summaries = summarise_network(results, details=False)
    for summary in summaries:  # the drill-down is built when a school is picked
        school_detail(results, summary.schools[0].school_id)
    marks.append(time.perf_counter())
    digest = _digest_ours(summaries)
    stages = ("read+validate", "compute", "summaries")
    digest["stages"] = {
        name: end - begin for name, (begin, end) in zip(stages, pairwise(marks), strict=True)
    }
    return digest


def _digest_ours(summaries: Any) -> dict[str, Any]:
    """What both contenders must agree on; SQL has no rows where nothing was counted."""
    bands, medians, overall, gaps, trends = {}, {}, {}, {}, {}
    lagging = 0
    for s in summaries:
        for m in s.metrics:
            if m.schools_with_level:
                key = f"{s.district_id}/{m.metric_id}"
                bands[key] = [b.schools for b in m.bands]
                medians[key] = float(m.median_level)
        for g in s.group_gaps:
            if g.schools:
                key = f"{s.district_id}/{g.metric_id}/{g.group_id}"
                gaps[key] = [g.schools, float(g.median_gap), float(g.median_group_level)]
        for t in s.trends:
            if t.schools_with_level:
                key = f"{s.district_id}/{t.metric_id}/{t.year}"
                trends[key] = [
                    t.schools_with_level,
                    float(t.median_level),
                    t.above_average,
                    t.below_average,
                ]
        for row in s.schools:
            overall[row.school_id] = row.overall_level
        lagging += len(s.lagging)
    return {
        "bands": bands,
        "medians": medians,
        "overall": overall,
        "gaps": gaps,
        "trends": trends,
        "lagging": lagging,
    }


# --- duckdb -------------------------------------------------------------------------------------


def _prepare_duckdb() -> None:
    import duckdb  # noqa: F401


def _run_duckdb(csv_path: Path) -> dict[str, object]:
    import duckdb

    from review.index.catalogue import SpecCatalogue

    spec = SpecCatalogue(ROOT / "index_specs").get_key(SPEC)
    con = duckdb.connect()
    _load_settings(con, spec)
    con.execute(
        f"""
        CREATE TABLE results AS SELECT * FROM read_csv('{csv_path}', header = true, columns = {{
            'school_id': 'VARCHAR', 'school_name': 'VARCHAR', 'district_id': 'VARCHAR',
            'school_type': 'VARCHAR', 'year': 'VARCHAR', 'metric': 'VARCHAR',
            'group': 'VARCHAR', 'n': 'INTEGER', 'value': 'DOUBLE', 'designation': 'VARCHAR'}})
        """
    )
    for statement in _SQL.split(";"):
        if statement.strip():
            con.execute(statement)
    return _digest_duckdb(con)


def _load_settings(con: Any, spec: Any) -> None:
    """The spec as small tables: metrics (with cut points), applicability, groups, domains."""
    metrics = []
    for order, m in enumerate(spec.metrics):
        sign = 1.0 if m.better == "higher" else -1.0
        metrics.append(
            (m.id, order, sign, m.domain, m.counts, float(m.weight), m.subgroups, *m.cut_points)
        )
    cuts = ", ".join(f"c{i} DOUBLE" for i in range(1, 10))
    con.execute(
        "CREATE TABLE metrics (metric VARCHAR, m_order INT, sign DOUBLE, domain VARCHAR, "
        f"counts BOOLEAN, weight DOUBLE, subgroups BOOLEAN, {cuts})"
    )
    con.executemany(f"INSERT INTO metrics VALUES ({', '.join(['?'] * 16)})", metrics)
    con.execute("CREATE TABLE applies (metric VARCHAR, school_type VARCHAR)")
    con.executemany(
        "INSERT INTO applies VALUES (?, ?)",
        [(m.id, t) for m in spec.metrics for t in m.school_types],
    )
    con.execute("CREATE TABLE groups (grp VARCHAR, g_order INT, kind VARCHAR)")
    con.executemany(
        "INSERT INTO groups VALUES (?, ?, ?)",
        [
            (g, i, "race" if g.startswith("race_") else "all" if g == "all" else "sub")
            for i, g in enumerate(spec.group_ids)
        ],
    )
    con.execute("CREATE TABLE domains (domain VARCHAR, dweight DOUBLE)")
    con.executemany(
        "INSERT INTO domains VALUES (?, ?)",
        [(d.id, float(d.weight)) for d in spec.domains],
    )
    con.execute(
        "CREATE TABLE settings AS SELECT ? AS n_size, ? AS share_all, ? AS share_sub, "
        "? AS lag_level, ? AS lag_below, ? AS summary_year",
        [
            spec.n_size,
            float(spec.group_shares.all_students),
            float(spec.group_shares.subgroups),
            spec.lagging.at_or_below_level,
            spec.lagging.levels_below_network_median,
            spec.school_year,
        ],
    )
    overall = ", ".join(str(c) for c in spec.overall_cut_points)
    con.execute(f"CREATE TABLE overall_cuts AS SELECT [{overall}]::DOUBLE[] AS cuts")


_LEVEL = " + ".join(f"(round(m.sign * r.value, 9) >= m.sign * m.c{i})::INT" for i in range(1, 10))

_SQL = f"""
CREATE TABLE schools AS
SELECT school_id, any_value(school_name) AS school_name, any_value(district_id) AS district_id,
       any_value(school_type) AS school_type
FROM results GROUP BY school_id;

CREATE TABLE levels AS
SELECT r.school_id, r.year, r.metric, r."group" AS grp, r.n, r.value, m.sign,
       1 + {_LEVEL} AS level, r.n >= s.n_size AS reportable
FROM results r JOIN metrics m USING (metric), settings s;

CREATE TABLE lowest AS
SELECT l.school_id, l.year, l.metric,
       arg_min(l.grp, (l.sign * l.value, g.g_order)) AS grp,
       arg_min(l.level, (l.sign * l.value, g.g_order)) AS level
FROM levels l JOIN groups g USING (grp)
WHERE g.kind = 'race' AND l.reportable
GROUP BY ALL;

CREATE TABLE all_levels AS
SELECT l.school_id, l.year, l.metric, l.level AS all_level
FROM levels l JOIN schools sc USING (school_id)
JOIN applies a ON a.metric = l.metric AND a.school_type = sc.school_type
WHERE l.grp = 'all' AND l.reportable;

CREATE TABLE scores AS
WITH sub AS (
    SELECT school_id, year, metric, sum(level) AS total, count(*) AS k FROM (
        SELECT school_id, year, metric, level FROM levels
        WHERE grp IN ('el', 'swd', 'sed') AND reportable
        UNION ALL
        SELECT school_id, year, metric, level FROM lowest
    ) GROUP BY ALL
)
SELECT l.school_id, l.year, l.metric, l.level AS all_level,
       CASE WHEN m.subgroups AND sub.k > 0
            THEN (s.share_all * l.level + s.share_sub * sub.total / sub.k)
                 / (s.share_all + s.share_sub)
            ELSE l.level END AS score
FROM levels l JOIN metrics m USING (metric) CROSS JOIN settings s
LEFT JOIN sub USING (school_id, year, metric)
WHERE l.grp = 'all' AND l.reportable;

CREATE TABLE points AS
SELECT sc.school_id, sc.year, sc.metric, m.domain, d.dweight,
       d.dweight * m.weight / sum(m.weight) OVER (PARTITION BY sc.school_id, sc.year, m.domain)
           * sc.score / 10 AS points
FROM scores sc JOIN metrics m USING (metric) JOIN domains d USING (domain)
JOIN schools s USING (school_id)
JOIN applies a ON a.metric = sc.metric AND a.school_type = s.school_type
WHERE m.counts;

CREATE TABLE overall AS
WITH per_domain AS (
    SELECT school_id, year, domain, sum(points) AS points, any_value(dweight) AS dweight
    FROM points GROUP BY ALL
)
SELECT school_id, year, sum(points) / sum(dweight) * 100 AS score,
       1 + len(list_filter((SELECT cuts FROM overall_cuts),
                           lambda c: c <= round(sum(points) / sum(dweight) * 100, 9))) AS level
FROM per_domain GROUP BY ALL;

CREATE TABLE network_median AS
SELECT year, metric, median(all_level) AS network_median FROM all_levels GROUP BY ALL;

CREATE TABLE band_counts AS
SELECT s.district_id, a.metric,
       count(*) FILTER (WHERE all_level BETWEEN 1 AND 3) AS below,
       count(*) FILTER (WHERE all_level BETWEEN 4 AND 7) AS average,
       count(*) FILTER (WHERE all_level BETWEEN 8 AND 10) AS above,
       median(all_level) AS median_level
FROM all_levels a JOIN schools s USING (school_id), settings st
WHERE a.year = st.summary_year GROUP BY ALL;

CREATE TABLE group_gaps AS
WITH g AS (
    SELECT school_id, year, metric, grp, level FROM levels WHERE grp <> 'all' AND reportable
    UNION ALL SELECT school_id, year, metric, 'lowest_race', level FROM lowest
)
SELECT s.district_id, g.metric, g.grp, count(*) AS schools,
       median(a.all_level - g.level) AS median_gap, median(g.level) AS median_group_level
FROM g JOIN all_levels a USING (school_id, year, metric) JOIN schools s USING (school_id)
JOIN metrics m ON m.metric = g.metric, settings st
WHERE g.year = st.summary_year AND m.subgroups GROUP BY ALL;

CREATE TABLE trends AS
SELECT s.district_id, a.metric, a.year, count(*) AS schools, median(all_level) AS median_level,
       count(*) FILTER (WHERE all_level >= 8) AS above, count(*) FILTER (WHERE all_level <= 3)
           AS below
FROM all_levels a JOIN schools s USING (school_id) GROUP BY ALL;

CREATE TABLE lagging AS
SELECT a.school_id, a.metric, a.all_level
FROM all_levels a JOIN network_median n USING (year, metric), settings st
WHERE a.year = st.summary_year
  AND (a.all_level <= st.lag_level OR a.all_level <= n.network_median - st.lag_below);

CREATE TABLE designations AS
SELECT school_id, year, any_value(designation) AS designation FROM results GROUP BY ALL;

CREATE TABLE school_table AS
SELECT s.school_id, s.school_name, s.district_id, s.school_type, o.score, o.level, d.designation
FROM schools s CROSS JOIN settings st
LEFT JOIN overall o ON o.school_id = s.school_id AND o.year = st.summary_year
LEFT JOIN designations d ON d.school_id = s.school_id AND d.year = st.summary_year;
"""


def _digest_duckdb(con: Any) -> dict[str, Any]:
    bands, medians, overall, gaps, trends = {}, {}, {}, {}, {}
    rows = con.execute("SELECT * FROM band_counts").fetchall()
    for district, metric, below, average, above, median in rows:
        bands[f"{district}/{metric}"] = [below, average, above]
        medians[f"{district}/{metric}"] = float(median)
    for district, metric, group, schools, gap, level in con.execute(
        "SELECT * FROM group_gaps"
    ).fetchall():
        gaps[f"{district}/{metric}/{group}"] = [schools, float(gap), float(level)]
    for district, metric, year, schools, median, above, below in con.execute(
        "SELECT * FROM trends"
    ).fetchall():
        trends[f"{district}/{metric}/{year}"] = [schools, float(median), above, below]
    school_rows = con.execute("SELECT * FROM school_table").fetchall()
    for school_id, _, _, _, _, level, _ in school_rows:
        overall[school_id] = level
    lagging = con.execute("SELECT * FROM lagging").fetchall()
    return {
        "bands": bands,
        "medians": medians,
        "overall": overall,
        "gaps": gaps,
        "trends": trends,
        "lagging": len(lagging),
    }


CONTENDERS = {"ours": _run_ours, "duckdb": _run_duckdb}
PREPARE = {"ours": _prepare_ours, "duckdb": _prepare_duckdb}


if __name__ == "__main__":
    main()
