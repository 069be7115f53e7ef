"""Coordinators: cycles, districts, triads (typed or uploaded) and user accounts."""

from ui.guard import page
from ui.views.setup import render

page(render)
