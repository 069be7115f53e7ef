import hashlib
import io
import json
import zipfile

import pytest

from exports.packet import build_packet
from review.cli import main
from review.rubrics import Catalogue


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
