"""Calibration: one item across the whole network, agreement statistics and calibration reviews."""

from ui.views.calibration import render

render()
