"""Calibration: one item across the whole network, agreement statistics and calibration reviews."""

from ui.guard import page
from ui.views.calibration import render

page(render)
