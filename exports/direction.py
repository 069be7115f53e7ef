"""Right-to-left text (Hebrew, Arabic) in display order for the PDF.

A PDF draws glyphs left to right as they are written, so text typed in logical order would
print "םולש" for "שלום". Runs are reordered with the Unicode bidirectional algorithm
(python-bidi) one drawn line at a time: a paragraph is wrapped in logical order first, so a
long Hebrew rationale keeps its first words on its first line.

Arabic is reordered but not shaped: its letters print in their isolated forms, unjoined
(shaping would need arabic-reshaper or HarfBuzz), readable and searchable, in the right order.
"""

from __future__ import annotations

import re

from bidi import get_base_level, get_display

# Strong right-to-left scripts: Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic and
# their presentation forms.
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def has_rtl(text: str) -> bool:
    return _RTL.search(text) is not None


def rtl_base(text: str) -> bool:
    """Whether a paragraph reads right to left: its first strong character is (Unicode's rule)."""
    return has_rtl(text) and get_base_level(text) == 1


def visual(line: str, *, rtl: bool) -> str:
    """One drawn line in display order, for a paragraph whose base direction is `rtl`.
    Text without right-to-left characters is returned as it is."""
    if not has_rtl(line):
        return line
    return str(get_display(line, base_dir="R" if rtl else "L"))
