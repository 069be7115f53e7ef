"""User text inside Markdown: escaped so that it shows as written and is never interpreted.

District names, display names, file names and descriptions, comments and narratives are typed by
people; as Markdown, `![x](http://…)` would make every reader's browser fetch that address and
`**`, `<b>` or `# ` would restyle the page. Text shown on its own goes through `st.text`; text
inside a sentence that has Markdown of its own (a bold label, a caption, a message) goes through
`inert`.
"""

from __future__ import annotations

import re

# Characters that make markup wherever they stand (emphasis, code, links and images, raw HTML,
# strikethrough, tables, maths, entities); an underscore only at a word's edge (inside a word,
# as in a file name, it is literal); a colon opening a `:name:` emoji or icon directive; and
# what makes a heading or list at the start of a line.
_ANYWHERE = re.compile(r"([\\`*\[\]<>~|$&]|(?<!\w)_|_(?!\w)|:(?=[A-Za-z]))")
_BLOCK_START = re.compile(r"^(\s*)([#+\-=])")
_LIST_NUMBER = re.compile(r"^(\s*\d+)([.)])")


def inert(text: object) -> str:
    """`text` as Markdown that renders exactly as `text` reads, on one line.

    Line breaks become spaces: one user value never starts a paragraph, list or heading. A bare
    address (`http://…`, `www.…`) still shows as a link, as GitHub's Markdown links it after
    escapes are read; nothing is fetched. A value shown on its own is best put in `st.text`.
    """
    line = " ".join(str(text).splitlines())
    line = _ANYWHERE.sub(r"\\\1", line)
    return _LIST_NUMBER.sub(r"\1\\\2", _BLOCK_START.sub(r"\1\\\2", line))
