"""Page bodies: each module's `render()` draws one page (its script in ui/pages/ calls it)."""
