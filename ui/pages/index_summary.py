"""Each district's School Quality Improvement Index summary beside its review."""

from ui.guard import page
from ui.views.index_summary import render

page(render)
