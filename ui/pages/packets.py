"""Review packets: coordinators build one or all; districts and observers download final ones."""

from ui.guard import page
from ui.views.packets import render

page(render)
