"""Each district's School Quality Improvement Index summary beside its review."""

from ui.views.index_summary import render

render()
