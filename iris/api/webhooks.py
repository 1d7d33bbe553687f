"""webhooks routes."""

ROUTES = []
