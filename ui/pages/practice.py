"""Practice library: what districts did at the top level, to learn from one another."""

from ui.views.practice import render

render()
