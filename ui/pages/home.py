"""My work: what the signed-in person has to do in the current cycle."""

from ui.views.home import render

render()
