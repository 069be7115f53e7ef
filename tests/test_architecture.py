"""review/ and exports/ never import streamlit or ui: the domain must run without a UI.

And each page script only hands over to its view module, where the code is imported once,
type-checked, and compiled once per process rather than on every rerun.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CORE = sorted(p for folder in ("review", "exports") for p in (ROOT / folder).rglob("*.py"))
BANNED = ("streamlit", "ui")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_exist():
    assert len(CORE) >= 10


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_imports_no_ui(path):
    assert not _imports(path) & set(BANNED)


def test_architecture_check_catches_a_streamlit_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from streamlit import cache_data\nimport ui.state\n")
    assert _imports(bad) & set(BANNED) == {"streamlit", "ui"}


PAGE_SCRIPTS = sorted((ROOT / "ui" / "pages").glob("*.py"))


@pytest.mark.parametrize("path", PAGE_SCRIPTS, ids=lambda p: p.stem)
def test_a_page_script_only_calls_its_view(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    code = [
        n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
    ]
    assert [ast.unparse(n) for n in code] == [
        f"from ui.views.{path.stem} import render",
        "render()",
    ]


def test_every_navigation_page_has_a_script_and_a_view():
    from ui import shell

    names = {spec.name for spec in (*shell.PAGES, shell.SIGN_IN)}
    assert names == {p.stem for p in PAGE_SCRIPTS}
    assert names == {p.stem for p in (ROOT / "ui" / "views").glob("*.py")} - {"__init__"}
