"""The HTTP layer: hug routes over the services."""
