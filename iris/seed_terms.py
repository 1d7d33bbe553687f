"""The words real ticket text keeps adding as it grows, for `iris seed --vocabulary growing`.

A tracker's text is not drawn from a fixed list: every new ticket brings host names, error codes,
version strings, file names and ticket references that few others mention. The number of distinct
terms in a collection grows like Heaps' law, about K * n ** BETA for n documents, with BETA near 0.5
to 0.7 for real text; so however many tickets there are, the words that make one ticket findable stay
rare, and a search that names them is cheap. A fixed vocabulary (the `fixed` corpus) has no such
words: every word is in a fixed share of all tickets, the worst case for search.

Each term is drawn from a pool that widens with the ticket's position, so early terms recur a little
and later tickets keep introducing new ones. Deterministic: the same random generator and position
give the same terms.
"""

import random

BETA = 0.7  # Heaps' exponent: the pool of terms grows as position ** BETA
SCALE = 3.0  # ... times this

HOST_ROLES = "web api db cache queue worker edge auth search batch".split()
REGIONS = "fra ams lon par dub sto iad sfo sin syd".split()
ERROR_PREFIXES = "E ERR ORA SQLSTATE HTTP PG".split()
MODULES = "billing export import ledger invoice sync mailer scheduler gateway parser".split()
EXTENSIONS = "py js ts go java yaml sql".split()
PROJECTS = "OPS WEB API DATA INFRA MOB".split()


def _host(rng: random.Random, n: int) -> str:
    return f"{HOST_ROLES[n % len(HOST_ROLES)]}-{REGIONS[(n // 10) % len(REGIONS)]}-{n // 100:03d}"


def _error(rng: random.Random, n: int) -> str:
    return f"{ERROR_PREFIXES[n % len(ERROR_PREFIXES)]}{10000 + n}"


def _version(rng: random.Random, n: int) -> str:
    return f"v{1 + n % 7}.{(n // 7) % 40}.{n // 280}"


def _file(rng: random.Random, n: int) -> str:
    module, other, extension = MODULES[n % len(MODULES)], MODULES[(n // 10) % len(MODULES)], EXTENSIONS[n % 7]
    return f"{module}_{other}{n // 100}.{extension}"


def _reference(rng: random.Random, n: int) -> str:
    return f"{PROJECTS[n % len(PROJECTS)]}-{1000 + n}"


SHAPES = (_host, _error, _version, _file, _reference)


def terms(rng: random.Random, position: int, low: int = 1, high: int = 3) -> list[str]:
    """`low` to `high` terms for the ticket at `position` (0, 1, 2, ...) of the corpus."""
    pool = int(SCALE * (position + 1) ** BETA)
    return [rng.choice(SHAPES)(rng, rng.randint(0, pool)) for _ in range(rng.randint(low, high))]
