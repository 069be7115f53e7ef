"""Coordinators: cycles, districts, triads (typed or uploaded) and user accounts."""

from ui.views.setup import render

render()
