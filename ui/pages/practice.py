"""Practice library: what districts did at the top level, to learn from one another."""

from ui.guard import page
from ui.views.practice import render

page(render)
