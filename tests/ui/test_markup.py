import pytest

from ui.markup import inert


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("Alder Valley Unified", "Alder Valley Unified"),
        ("![x](http://example.invalid/a.png)", r"!\[x\](http://example.invalid/a.png)"),
        ("<img src=x onerror=alert(1)>", r"\<img src=x onerror=alert(1)\>"),
        ("**bold** and *it* and `code`", r"\*\*bold\*\* and \*it\* and \`code\`"),
        ("_it_ but snake_case_name.pdf", r"\_it\_ but snake_case_name.pdf"),
        ("~~gone~~ | $x$ &amp;", r"\~\~gone\~\~ \| \$x\$ \&amp;"),
        (":red[alarm] :material/home: at 12:30", r"\:red\[alarm\] \:material/home: at 12:30"),
        ("# Heading", r"\# Heading"),
        ("- item", r"\- item"),
        ("12. item", r"12\. item"),
        ("first line\n# second", r"first line # second"),
        ("back\\slash", r"back\\slash"),
        ("report.pdf: row 3, column triad: empty", "report.pdf: row 3, column triad: empty"),
    ],
)
def test_inert_escapes_only_what_markdown_would_interpret(text, markdown):
    assert inert(text) == markdown
