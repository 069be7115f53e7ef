"""Coordinators: each district's phase, completion per district and reviewer, overdue phases."""

from ui.views.progress import render

render()
