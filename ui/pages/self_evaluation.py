"""District editors: rate each item, write the narrative, attach evidence, submit."""

from ui.guard import page
from ui.views.self_evaluation import render

page(render)
