"""notifications routes."""

ROUTES = []
