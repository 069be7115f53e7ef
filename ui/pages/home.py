"""My work: what the signed-in person has to do in the current cycle."""

from ui.guard import page
from ui.views.home import render

page(render)
