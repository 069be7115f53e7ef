import subprocess
import sys

import pytest

from review.cli import main
from review.settings import PROJECT_ROOT


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("REVIEW_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("REVIEW_BCRYPT_ROUNDS", "4")
    return tmp_path


def test_rubric_list_shows_shipped_versions(env, capsys):
    assert main(["rubric", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["core-p2@2014-15", "published"],
        ["core-p2@2015-16", "published"],
    ]


def test_rubric_check_shipped_files_exit_zero(env, capsys):
    files = sorted(str(p) for p in (PROJECT_ROOT / "rubrics").glob("*/*.yaml"))
    assert main(["rubric", "check", *files]) == 0
    assert capsys.readouterr().out.count("ok: ") == 2


def test_rubric_check_truncated_file_names_file_and_exits_one(env, capsys, tmp_path):
    source = PROJECT_ROOT / "rubrics" / "core-p2" / "2015-16.yaml"
    broken = tmp_path / "core-p2" / "2015-16.yaml"
    broken.parent.mkdir()
    broken.write_text(source.read_text()[:3000])
    assert main(["rubric", "check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {broken}: ")
    assert err.count("\n") == 1


def test_rubric_check_hand_broken_item_names_item_and_field(env, capsys, tmp_path):
    source = PROJECT_ROOT / "rubrics" / "core-p2" / "2015-16.yaml"
    broken = tmp_path / "core-p2" / "2015-16.yaml"
    broken.parent.mkdir()
    text = source.read_text()
    broken.write_text(text.replace("evidence_required: true", "evidence_required: maybe", 1))
    assert main(["rubric", "check", str(broken)]) == 1
    assert "field evidence_required" in capsys.readouterr().err


def test_rubric_check_edited_published_version_is_refused(env, capsys, monkeypatch, tmp_path):
    root = tmp_path / "rubrics"
    (root / "core-p2").mkdir(parents=True)
    for p in (PROJECT_ROOT / "rubrics").rglob("*.*"):
        (root / p.relative_to(PROJECT_ROOT / "rubrics")).write_bytes(p.read_bytes())
    target = root / "core-p2" / "2015-16.yaml"
    target.write_text(target.read_text().replace("LEA did not attempt", "LEA did not try", 1))
    monkeypatch.setenv("REVIEW_RUBRICS_DIR", str(root))
    assert main(["rubric", "check", str(target)]) == 1
    assert "publish a new version instead of editing this one" in capsys.readouterr().err


def test_rubric_diff_lists_real_differences(env, capsys):
    assert main(["rubric", "diff", "core-p2@2014-15", "core-p2@2015-16"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("core-p2@2014-15 -> core-p2@2015-16: ")
    kinds = {line.split()[0] for line in out[1:]}
    assert {"added", "removed", "renamed", "setting"} <= kinds


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rubric", "diff", "core-p2", "core-p2@2015-16"], "error: 'core-p2': expected ID@VERSION"),
        (["rubric", "diff", "core-p2@1999", "core-p2@2015-16"], "error: no rubric core-p2@1999"),
        (["rubric", "check", "/nonexistent/x.yaml"], "error: /nonexistent/x.yaml: cannot read"),
    ],
)
def test_cli_bad_input_is_one_line_error(env, capsys, argv, message):
    assert main(argv) in (1, 2)
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_cli_unknown_command_is_one_line_error_without_traceback(env):
    result = subprocess.run(
        [sys.executable, "-m", "review", "frobnicate"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: argument command: invalid choice: 'frobnicate'")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("argv", [[], ["rubric"], ["rubric", "diff"], ["demo"]])
def test_cli_help_works_for_every_command(argv):
    result = subprocess.run(
        [sys.executable, "-m", "review", *argv, "--help"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m review")


def test_demo_twice_leaves_the_same_counts(env, capsys):
    assert main(["demo"]) == 0
    first = capsys.readouterr().out
    assert "Demo network loaded" in first
    assert main(["demo"]) == 0
    second = capsys.readouterr().out
    assert "; nothing changed" in second
    assert first.splitlines()[1:] == second.splitlines()[1:]


def test_bad_setting_is_one_line_error(env, capsys, monkeypatch):
    monkeypatch.setenv("REVIEW_MAX_EVIDENCE_MB", "lots")
    assert main(["rubric", "list"]) == 2
    assert capsys.readouterr().err.startswith("error: invalid setting: REVIEW_MAX_EVIDENCE_MB: ")
