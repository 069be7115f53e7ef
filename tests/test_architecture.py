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
        "from ui.guard import page",
        f"from ui.views.{path.stem} import render",
        "page(render)",
    ]


def test_every_navigation_page_has_a_script_and_a_view():
    from ui import shell

    names = {spec.name for spec in (*shell.PAGES, shell.SIGN_IN)}
    assert names == {p.stem for p in PAGE_SCRIPTS}
    assert names == {p.stem for p in (ROOT / "ui" / "views").glob("*.py")} - {"__init__"}


# Domain functions the UI may call without naming the actor, and why nothing is exposed.
UNCHECKED_FOR_UI = {
    "review.accounts.current_actor": "establishes who the actor is",
    "review.accounts.end_session": "ends the caller's own session",
    "review.accounts.resume_session": "establishes who the actor is",
    "review.accounts.sign_in_external": "establishes who the actor is",
    "review.carry.previous_cycle": "cycle names are shown to everyone signed in",
    "review.cycles.get_cycle": "cycle settings are shown to everyone signed in",
    "review.cycles.participants": "districts are public bodies; their phase is public",
    "review.cycles.participation": "a district's phase is public",
    "review.index.counts.school_counts": "index results are published data",
    "review.index.stored.stored_summaries": "index results are published data",
}


def _domain_calls(path: Path) -> set[str]:
    """Dotted names of the review/exports functions a UI module calls or imports."""
    import importlib
    import inspect

    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: dict[str, object] = {}
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            "review",
            "exports",
        ):
            parent = importlib.import_module(node.module or "")
            for alias in node.names:
                thing = getattr(parent, alias.name, None)
                if thing is None or inspect.ismodule(thing):
                    modules[alias.asname or alias.name] = importlib.import_module(
                        f"{node.module}.{alias.name}"
                    )
                elif inspect.isfunction(thing):
                    found.add(f"{thing.__module__}.{thing.__name__}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            thing = getattr(modules.get(node.value.id), node.attr, None)
            if inspect.isfunction(thing):
                found.add(f"{thing.__module__}.{thing.__name__}")
    return found


def _takes_session_without_actor(dotted: str) -> bool:
    import importlib
    import inspect

    module, name = dotted.rsplit(".", 1)
    params = set(inspect.signature(getattr(importlib.import_module(module), name)).parameters)
    return "session" in params and not params & {"actor", "by", "reader"}


UI_MODULES = sorted([*(ROOT / "ui").rglob("*.py"), ROOT / "app.py"])


def test_the_ui_reads_the_domain_only_through_functions_that_check_the_actor():
    """A page never decides access on its own: every domain function it calls with a
    database session also takes the actor and applies `access.may` (review.scope)."""
    unchecked = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in UI_MODULES
        for name in _domain_calls(path)
        if _takes_session_without_actor(name) and name not in UNCHECKED_FOR_UI
    }
    assert unchecked == set()


def test_the_unchecked_call_guard_catches_a_raw_read(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from review import ratings\nfrom review.evidence import files_of\n"
        "ratings.ratings_of(s, c, 1)\n"
    )
    assert {n for n in _domain_calls(bad) if _takes_session_without_actor(n)} == {
        "review.ratings.ratings_of",
        "review.evidence.files_of",
    }


# Every view's `render` is a table of contents of sections in ui/components (issue 13 item 10),
# a new view too: no view is exempt.
THIN_VIEWS = sorted(p.stem for p in (ROOT / "ui" / "views").glob("*.py") if p.stem != "__init__")


def test_the_thin_view_guard_covers_every_page():
    from ui import shell

    assert set(THIN_VIEWS) == {spec.name for spec in (*shell.PAGES, shell.SIGN_IN)}


def _render_lines_and_sql(source: str) -> tuple[int, list[str]]:
    """How many lines a view's `render` takes, and the SQL the view runs itself."""
    tree = ast.parse(source)
    render = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "render")
    sql = [
        ast.unparse(n)
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        and n.module == "sqlalchemy"
        or isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in {"get", "execute", "scalar", "scalars"}
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id in {"s", "session"}
    ]
    return (render.end_lineno or 0) - render.lineno + 1, sql


@pytest.mark.parametrize("name", THIN_VIEWS)
def test_a_thin_view_renders_in_at_most_40_lines_and_runs_no_sql(name):
    lines, sql = _render_lines_and_sql(
        (ROOT / "ui" / "views" / f"{name}.py").read_text(encoding="utf-8")
    )
    assert lines <= 40
    assert sql == []


def test_the_thin_view_guard_catches_a_long_render_and_sql():
    body = "".join(f"    st.write({n})\n" for n in range(39))
    source = (
        "from sqlalchemy import select\n"
        f"def render():\n{body}    with db.reading() as s:\n        s.scalar(select(X))\n"
    )
    assert _render_lines_and_sql(source) == (
        42,
        ["from sqlalchemy import select", "s.scalar(select(X))"],
    )
