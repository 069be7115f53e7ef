import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from exports import packet
from exports.packet import build_packet
from review.cli import main
from review.rubrics import Catalogue
from review.settings import PROJECT_ROOT


def test_packet_zip_manifest_checksums_match(rated, rubrics_dir):
    with rated.db.session() as s:
        _, data = build_packet(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    assert [f["path"] for f in manifest["files"]] == [
        "A-2015-16-packet.pdf",
        "A-2015-16-packet.xlsx",
        "evidence/001-agenda.pdf",
        "evidence/002-agenda.pdf",
    ]
    for entry in manifest["files"]:
        content = archive.read(entry["path"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["bytes"]
    assert archive.read("evidence/001-agenda.pdf").startswith(b"%PDF-1.4\n%synthetic")


def test_packet_is_deterministic(rated, rubrics_dir):
    with rated.db.session() as s:
        first = build_packet(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")
        second = build_packet(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")
    assert first[1] == second[1]


@pytest.fixture
def cli_env(rated, monkeypatch, rubrics_dir):
    monkeypatch.setenv("REVIEW_DATABASE_URL", rated.settings.database_url)
    monkeypatch.setenv("REVIEW_RUBRICS_DIR", str(rubrics_dir))
    return rated


def test_export_all_writes_every_packet(cli_env, tmp_path, capsys):
    assert main(["export", "all", "--cycle", "2015-16", "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"{c}-2015-16-packet.zip" for c in "ABCDE"
    ]
    assert "5/5" in capsys.readouterr().err


def test_export_failure_leaves_no_partial_packet(cli_env, tmp_path, monkeypatch, capsys):
    import exports.packet

    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    real = exports.packet.build_packet
    monkeypatch.setattr(exports.packet, "build_packet", failing)
    out = tmp_path / "out"
    args = ["export", "all", "--cycle", "2015-16", "--out", str(out), "--jobs", "1"]
    assert main(args) == 1
    assert capsys.readouterr().err.endswith("error: disk full\n")
    assert list(out.iterdir()) == []


def test_export_unknown_district_is_one_line_error(cli_env, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["export", "packet", "--cycle", "2015-16", "--district", "ZZ", "--out", str(out)])
    assert code == 2
    assert capsys.readouterr().err == "error: no district with code 'ZZ'\n"
    assert not out.exists()


def test_export_all_in_parallel_gives_the_same_packets(cli_env, tmp_path):
    for jobs in ("1", "2"):
        args = ["export", "all", "--cycle", "2015-16", "--out", str(tmp_path / jobs)]
        assert main([*args, "--jobs", jobs]) == 0
    for one in sorted((tmp_path / "1").iterdir()):
        assert (tmp_path / "2" / one.name).read_bytes() == one.read_bytes()


# A copy of `python -m review` whose packets take a minute each, in the workers too: spawned
# workers import this script as their main module, so the patch reaches them.
SLOW_EXPORT = """
import sys
import time

import exports.packet

_real = exports.packet.build_packet


def _slow(*args, **kwargs):
    time.sleep(60)
    return _real(*args, **kwargs)


exports.packet.build_packet = _slow

if __name__ == "__main__":
    from review.cli import main

    sys.exit(main(sys.argv[1:]))
"""


def _marked(marker: str) -> dict[int, str]:
    """The live processes whose environment carries `marker`, with their command lines."""
    found = {}
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"EXPORT_TEST_MARK={marker}".encode() in environ.read_bytes().split(b"\0"):
                cmdline = environ.with_name("cmdline").read_bytes()
                found[int(environ.parent.name)] = cmdline.replace(b"\0", b" ").decode()
        except OSError:  # ended meanwhile, or not ours to read
            continue
    return found


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_export_killed_mid_run_leaves_no_workers_and_the_next_run_is_clean(
    cli_env, tmp_path, rubrics_dir
):
    script = tmp_path / "slow_export.py"
    script.write_text(SLOW_EXPORT)
    marker = uuid.uuid4().hex
    out = tmp_path / "out"
    env = {
        **os.environ,
        "EXPORT_TEST_MARK": marker,
        "PYTHONPATH": str(PROJECT_ROOT),
        "REVIEW_DATABASE_URL": cli_env.settings.database_url,
        "REVIEW_RUBRICS_DIR": str(rubrics_dir),
    }
    args = ["export", "all", "--cycle", "2015-16", "--out", str(out), "--jobs", "2"]
    export = subprocess.Popen([sys.executable, str(script), *args], env=env, cwd=tmp_path)
    try:
        # Mid-run: the parent, the two workers and the stage folder all exist.
        started = _wait(lambda: len(_marked(marker)) >= 3 and any(out.glob(".partial-*")), 60)
        assert started, _marked(marker)
    finally:
        export.kill()  # SIGKILL: no cleanup code of the export runs
        export.wait()
    try:
        assert _wait(lambda: not _marked(marker), 10), _marked(marker)
    finally:
        for pid in _marked(marker):  # a failed run's orphans: this test started them
            os.kill(pid, signal.SIGKILL)
    assert [p.name for p in out.iterdir()][0].startswith(".partial-")  # the killed run's

    assert main(args[:-1] + ["1"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [f"{c}-2015-16-packet.zip" for c in "ABCDE"]


def test_only_leftovers_of_ended_processes_are_removed(tmp_path):
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(ended.stdout)
    host = packet._host_tag()
    for name in (
        f".partial-{host}-{dead_pid}-abc",  # killed run's stage folder
        f".partial-{host}-{os.getpid()}-def",  # a run in progress
        f".partial-00000000-{dead_pid}-ghi",  # another machine's: its pids mean nothing here
    ):
        (tmp_path / name).mkdir()
    (tmp_path / f".partial-{host}-{dead_pid}-jkl").write_bytes(b"half a packet")
    (tmp_path / "A-2015-16-packet.zip").write_bytes(b"done")
    removed = packet.remove_stale_partials(tmp_path)
    assert [p.name for p in removed] == [
        f".partial-{host}-{dead_pid}-abc",
        f".partial-{host}-{dead_pid}-jkl",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            f".partial-{host}-{os.getpid()}-def",
            f".partial-00000000-{dead_pid}-ghi",
            "A-2015-16-packet.zip",
        ]
    )
