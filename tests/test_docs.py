"""The README documents every setting and keeps a two-command quick start."""

import re

from review.settings import PROJECT_ROOT, SETTINGS

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table():
    rows = re.findall(r"^\| (\w+) \| `(REVIEW_\w+)` \| `([^`]*)`", README, flags=re.M)
    assert [(name, env) for name, env, _ in rows] == [(s.name, s.env) for s in SETTINGS]
    assert [default for *_, default in rows] == [s.default for s in SETTINGS]


def test_quick_start_is_two_commands_that_exist():
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["scripts/run", "scripts/test"]
    for command in commands:
        assert (PROJECT_ROOT / command).stat().st_mode & 0o111


def test_ci_runs_the_readme_test_command():
    assert "scripts/test" in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_each_role_has_one_row_in_what_people_do():
    """Merged branches once left six coordinator rows, and two editor rows that disagreed."""
    table = README.split("## What people do with it", 1)[1].split("\n\n", 2)[1]
    roles = [row.split("|")[1].strip() for row in table.splitlines()[2:]]
    assert roles == ["district editor", "peer reviewer", "coordinator", "everyone"]
