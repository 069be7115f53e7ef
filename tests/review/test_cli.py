import io
import json
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import func, select, update

from review import accounts
from review.access import Role
from review.cli import main
from review.db import AuditEvent, Database, User
from review.settings import PROJECT_ROOT, Settings


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
        ["core-p2@2014-15.1", "published"],
        ["core-p2@2015-16", "published"],
        ["core-p2@2015-16.1", "published"],
    ]


def test_rubric_check_shipped_files_exit_zero(env, capsys):
    files = sorted(str(p) for p in (PROJECT_ROOT / "rubrics").glob("*/*.yaml"))
    assert main(["rubric", "check", *files]) == 0
    assert capsys.readouterr().out.count("ok: ") == 4


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


@pytest.mark.parametrize("argv", [[], ["rubric"], ["rubric", "diff"], ["demo"], ["init"]])
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


def test_demo_prints_each_account_with_whom_it_rates_and_the_triads(env, capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index("Demo accounts (synthetic; password for all: demo-review-2015):")
    assert out[start : start + 12] == [
        "Demo accounts (synthetic; password for all: demo-review-2015):",
        "  coordinator@core.example   coordinator",
        "  lead@alv.example           district editor of ALV, peer reviewer of CPU, FHU",
        "  lead@bhu.example           district editor of BHU, peer reviewer of DCU, ECU",
        "  lead@cpu.example           district editor of CPU, peer reviewer of ALV, FHU",
        "  lead@dcu.example           district editor of DCU, peer reviewer of BHU, ECU",
        "  lead@ecu.example           district editor of ECU, peer reviewer of BHU, DCU",
        "  lead@fhu.example           district editor of FHU, peer reviewer of ALV, CPU",
        "  board@core.example         observer",
        "Who reviews whom in cycle 2015-16 (each district rates the others of its triad):",
        "  Triad North: ALV Alder Valley Unified, CPU Cedar Plains Unified, FHU Fairhaven Unified",
        "  Triad South: BHU Birch Harbor Unified, DCU Dunmore City Unified, ECU Elm Creek Unified",
    ]
    # Then the packets kept for the final districts (their checksums cover the load's times).
    assert [line.split(" (SHA-256 ")[0] for line in out[start + 12 :]] == [
        "Packets of the final districts (frozen, as finalizing keeps them):",
        *(f"  kept packet {code}-2014-15-packet-v1.zip" for code in ("ALV", "BHU", "CPU")),
        *(f"  kept packet {code}-2014-15-packet-v1.zip" for code in ("DCU", "ECU", "FHU")),
        "  kept packet CPU-2015-16-packet-v1.zip",
    ]


def _run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(PROJECT_ROOT / "scripts" / "run"), *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_run_script_says_its_plan_and_serves_on_this_machine_by_default():
    result = _run_script("--print")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "==> 1. Set up Python in .venv with the app and its tools (first run only: a few minutes)",
        "==> 2. Load the demo network into the database (once; it prints the accounts and triads)",
        "==> 3. Serve the app on http://127.0.0.1:8501 until Ctrl+C",
    ]


def test_run_script_serves_on_the_address_given():
    result = _run_script("--address", "0.0.0.0", "--port", "9000", "--print")
    assert (
        result.stdout.splitlines()[-1] == "==> 3. Serve the app on http://0.0.0.0:9000 until Ctrl+C"
    )


def test_run_script_refuses_an_unknown_argument():
    result = _run_script("--adress", "0.0.0.0")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: unknown argument --adress (see scripts/run --help)\n"


def test_bad_setting_is_one_line_error(env, capsys, monkeypatch):
    monkeypatch.setenv("REVIEW_MAX_EVIDENCE_MB", "lots")
    assert main(["rubric", "list"]) == 2
    assert capsys.readouterr().err.startswith("error: invalid setting: REVIEW_MAX_EVIDENCE_MB: ")


def _accounts(env, *users):
    db = Database(f"sqlite:///{env}/cli.db")
    with db.session() as s:
        for email, role, active in users:
            s.add(User(email=email, name=email.split("@")[0], roles=[role], active=active))
    return db


def test_init_creates_the_first_coordinator_who_can_then_sign_in(env, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("longenough1\n"))

    code = main(["init", "--coordinator", "Boss@Core.example", "--name", "Pat", "--password-stdin"])

    assert code == 0
    assert capsys.readouterr().out == (
        f"created coordinator boss@core.example (Pat) in sqlite:///{env}/cli.db\n"
    )
    db = Database(f"sqlite:///{env}/cli.db")
    actor = accounts.sign_in(db, Settings.from_env(), "boss@core.example", "longenough1")
    assert (actor.name, actor.roles) == ("Pat", frozenset({Role.COORDINATOR}))
    db.dispose()


def test_init_asks_for_the_password_twice_on_the_terminal(env, capsys, monkeypatch):
    answers = iter(["longenough1", "longenough2"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    assert main(["init", "--coordinator", "boss@core.example"]) == 2

    assert capsys.readouterr().err == "error: the two passwords differ; nothing was created\n"
    db = Database(f"sqlite:///{env}/cli.db")
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0
    db.dispose()


def test_init_on_a_database_with_accounts_is_refused(env, capsys, monkeypatch):
    _accounts(env, ("board@core.example", "observer", True)).dispose()
    monkeypatch.setattr("sys.stdin", io.StringIO("longenough1\n"))

    assert main(["init", "--coordinator", "boss@core.example", "--password-stdin"]) == 2

    assert capsys.readouterr().err == (
        "error: the database already has accounts; a coordinator adds more in Cycle setup > Users\n"
    )
    db = Database(f"sqlite:///{env}/cli.db")
    with db.reading() as s:
        assert list(s.scalars(select(User.email))) == ["board@core.example"]
    db.dispose()


@pytest.fixture
def rubrics(env, monkeypatch):
    root = env / "rubrics"
    shutil.copytree(PROJECT_ROOT / "rubrics", root)
    monkeypatch.setenv("REVIEW_RUBRICS_DIR", str(root))
    return root


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--as", "board@core.example"], "error: Board may not set up cycles, districts, "),
        (["--as", "nobody@x.example"], "error: --as nobody@x.example: there is no account"),
        (["--as", "gone@core.example"], "error: --as gone@core.example: this account is disabled"),
        ([], "error: the following arguments are required: --as"),
    ],
)
def test_rubric_publish_refuses_an_account_that_may_not(env, capsys, rubrics, argv, message):
    db = _accounts(
        env,
        ("board@core.example", "observer", True),
        ("gone@core.example", "coordinator", False),
    )
    with db.session() as s:
        s.execute(update(User).where(User.email == "board@core.example").values(name="Board"))
    before = (rubrics / "published.json").read_text()

    try:
        code = main(["rubric", "publish", "core-p2@2015-16", *argv])
    except SystemExit as parser_exit:  # argparse refuses a missing option by exiting
        code = parser_exit.code
    assert code == 2

    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert (rubrics / "published.json").read_text() == before
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0
    db.dispose()


def test_rubric_publish_as_a_coordinator_is_audited_under_that_account(env, capsys, rubrics):
    db = _accounts(env, ("boss@core.example", "coordinator", True))
    new = rubrics / "core-p2" / "2016-17.yaml"
    new.write_text((rubrics / "core-p2" / "2015-16.yaml").read_text().replace("2015-16", "2016-17"))

    assert main(["rubric", "publish", "core-p2@2016-17", "--as", "boss@core.example"]) == 0

    digest = capsys.readouterr().out.split()[-1]
    assert json.loads((rubrics / "published.json").read_text())["core-p2@2016-17"] == digest
    with db.reading() as s:
        boss = s.scalar(select(User.id).where(User.email == "boss@core.example"))
        assert [
            (e.user_id, e.action, e.entity_id, e.after) for e in s.scalars(select(AuditEvent))
        ] == [(boss, "publish rubric", "core-p2@2016-17", {"sha256": digest})]
    db.dispose()
