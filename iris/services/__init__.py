"""Use cases. Each is one transaction that the use case commits itself."""
