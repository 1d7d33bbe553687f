"""watchers routes."""

ROUTES = []
