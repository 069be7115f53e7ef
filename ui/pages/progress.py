"""Coordinators: each district's phase, completion per district and reviewer, overdue phases."""

from ui.guard import page
from ui.views.progress import render

page(render)
