"""`iris seed`: realistic, deterministic tickets (and comments) in bulk, through COPY, for demos and benchmarks."""

import csv
import io
import random
import sys
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Optional

from sqlalchemy.engine import Engine

from iris.db import make_session_factory
from iris.seed_terms import terms
from iris.seed_words import CONTENT, VOCABULARY
from iris.services.unit_of_work import SqlAlchemyUnitOfWork

# Word frequencies follow Zipf-Mandelbrot, p(rank) ~ 1/(rank + 2.7), the classic fit for English
# text: a few words are everywhere (mostly stop words, which search ignores) and most are rare.
# Uniform draws from a short list would instead put every word in about a fifth of all tickets.
ZIPF_SHIFT = 2.7


def _zipf(words: list[str]) -> list[float]:
    return list(accumulate(1 / (rank + ZIPF_SHIFT) for rank in range(1, len(words) + 1)))


TEXT_WEIGHTS = _zipf(VOCABULARY)  # cumulative, for random.choices
NOUN_WEIGHTS = _zipf(CONTENT)

VERBS = (
    "Fix Add Remove Update Improve Investigate Refactor Document Migrate Upgrade Speed up Clean up Review Test Monitor"
).split()
ADJECTIVES = (
    "flaky slow broken missing duplicate stale legacy new failing intermittent empty wrong large expired".split()
)
PEOPLE = """ann bob cy dee eli fay gus hal ivy jon kim lee mo nat oli pam quin ray sam tia uma vic wes xia
yan zoe abe bea cal dot eve fox gil hana ian jo kai liv max""".split()
STATUS_WEIGHTS = [("Open", 40), ("In Progress", 20), ("Resolved", 20), ("Closed", 20)]
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)  # fixed, so the same seed gives the same data on any day
BATCH = 20_000


def _title(rng: random.Random) -> str:
    verb = rng.choice(VERBS)
    if verb in ("Speed", "Clean"):
        verb += " up"
    return f"{verb} {rng.choice(ADJECTIVES)} {' '.join(rng.choices(CONTENT, cum_weights=NOUN_WEIGHTS, k=2))}"


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(VOCABULARY, cum_weights=TEXT_WEIGHTS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


VOCABULARIES = ("fixed", "growing")


def ticket_rows(rng: random.Random, first_id: int, count: int, total: int, vocabulary: str = "fixed"):
    """The `fixed` vocabulary draws every word from iris/seed_words.py; `growing` adds, as real text does,
    terms that few other tickets share (iris/seed_terms.py), to the description and to some titles."""
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
    for n in range(count):
        ticket_id = first_id + n
        created = (
            EPOCH - timedelta(days=730) + timedelta(seconds=int(730 * 86400 * (ticket_id - first_id) / max(total, 1)))
        )
        due = EPOCH + timedelta(days=rng.randint(-365, 365), hours=rng.randint(0, 23)) if rng.random() < 0.7 else None
        assignee = rng.choice(PEOPLE) if rng.random() < 0.85 else None
        title, description = _title(rng), _sentence(rng, 12, 45)  # in this order: the fixed corpus stays as it was
        if vocabulary == "growing":
            description += " " + " ".join(terms(rng, ticket_id - 1))
            if rng.random() < 0.3:
                title += " " + terms(rng, ticket_id - 1, 1, 1)[0]
        yield (
            ticket_id,
            title,
            assignee,
            description,
            created.isoformat(),
            due.isoformat() if due else None,
            created.isoformat(),
            "default",
            rng.choices(statuses, weights)[0],
        )


def _copy(cursor, table: str, columns: str, rows) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if value is None else value for value in row])
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)


class Progress:
    def __init__(self, total: int, what: str, out=sys.stderr):
        self.total, self.what, self.out, self.done = total, what, out, 0

    def advance(self, n: int) -> None:
        self.done += n
        filled = int(30 * self.done / max(self.total, 1))
        self.out.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {self.done:,}/{self.total:,} {self.what}")
        if self.done >= self.total:
            self.out.write("\n")
        self.out.flush()


# Rows are staged per batch and inserted with their full search document, comments included, so
# each ticket is written once. (Letting the row triggers do it would write every commented ticket
# twice: once on insert, then again when its comments arrive, which took ~40% of a seed.) The
# document is revision 0012's `tickets_search_document`; a test checks that they agree.
STAGE = """
CREATE TEMP TABLE seed_tickets (
    ticket_id integer, title text, assignee text, description text, created timestamptz, due timestamptz,
    updated timestamptz, workflow text, status text
) ON COMMIT DROP;
CREATE TEMP TABLE seed_comments (
    n serial, ticket_id integer, author text, body text, created timestamptz
) ON COMMIT DROP;
"""
TICKET_COLUMNS = "ticket_id, title, assignee, description, created, due, updated, workflow, status"
INSERT_STAGED = f"""
INSERT INTO tickets ({TICKET_COLUMNS}, search)
SELECT {TICKET_COLUMNS},
       setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('english', coalesce(description, '')), 'B')
    || setweight(to_tsvector('english', coalesce(bodies, '')), 'C')
FROM seed_tickets
LEFT JOIN (
    SELECT ticket_id, string_agg(body, ' ' ORDER BY n) AS bodies FROM seed_comments GROUP BY ticket_id
) AS c USING (ticket_id)
ORDER BY ticket_id;
INSERT INTO comments (ticket_id, author, body, created)
SELECT ticket_id, author, body, created FROM seed_comments ORDER BY n;
TRUNCATE seed_tickets, seed_comments;
"""
SEARCH_TRIGGERS = (("tickets", "tickets_search_refresh"), ("comments", "comments_search_refresh"))


def seed(
    engine: Engine,
    tickets: int,
    comments_per_ticket: int = 0,
    seed_value: int = 1,
    progress: Optional[Progress] = None,
    lock_timeout: str = "0",
    vocabulary: str = "growing",
) -> tuple[int, int]:
    """Add `tickets` tickets (and about `comments_per_ticket` comments each) in one transaction; returns their id range.

    Writes to tickets and comments by others wait until it commits (it switches off their search
    triggers); it waits at most `lock_timeout` (0: for ever) for theirs to finish before it starts.
    """
    rng = random.Random(seed_value)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        cursor = uow.session.connection().connection.cursor()  # psycopg2's own, for COPY
        first = _reserve_ids(cursor, tickets)
        _search_triggers(cursor, "DISABLE", lock_timeout)
        bar = progress or Progress(tickets, "tickets")
        for start in range(0, tickets, BATCH):
            count = min(BATCH, tickets - start)
            _load_batch(cursor, rng, first, start, count, tickets, comments_per_ticket, vocabulary)
            bar.advance(count)
        _search_triggers(cursor, "ENABLE")
        cursor.execute("ANALYZE tickets")
        cursor.execute("ANALYZE comments")
        uow.commit()
    return first, first + tickets - 1


def _load_batch(
    cursor, rng: random.Random, first: int, start: int, count: int, tickets: int, comments: int, vocabulary: str
) -> None:
    _copy(cursor, "seed_tickets", TICKET_COLUMNS, ticket_rows(rng, first + start, count, tickets, vocabulary))
    if comments:
        rows = comment_rows(rng, first + start, count, comments)
        _copy(cursor, "seed_comments", "ticket_id, author, body, created", rows)
    cursor.execute(INSERT_STAGED)


def _reserve_ids(cursor, tickets: int) -> int:
    """Reserve a block of ids so concurrent writers cannot interleave with this one; returns the first."""
    cursor.execute("SELECT nextval('tickets_ticket_id_seq')")
    first = cursor.fetchone()[0]
    cursor.execute("SELECT setval('tickets_ticket_id_seq', %s)", (first + tickets - 1,))
    cursor.execute(STAGE)
    # Assignees are users: the generated people get inactive, tokenless accounts, as revision 0020 makes them.
    people = [(person,) for person in PEOPLE]
    cursor.executemany("INSERT INTO users (username, active) VALUES (%s, false) ON CONFLICT DO NOTHING", people)
    return first


def _search_triggers(cursor, action: str, lock_timeout: str = "0") -> None:
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", (lock_timeout,))
    for table, trigger in SEARCH_TRIGGERS:
        cursor.execute(f"ALTER TABLE {table} {action} TRIGGER {trigger}")
    cursor.execute("SELECT set_config('lock_timeout', '0', true)")


def comment_rows(rng: random.Random, first_id: int, count: int, per_ticket: int):
    for ticket_id in range(first_id, first_id + count):
        for _ in range(rng.randint(0, 2 * per_ticket)):
            yield (
                ticket_id,
                rng.choice(PEOPLE),
                _sentence(rng, 6, 30),
                (EPOCH - timedelta(days=rng.randint(0, 700))).isoformat(),
            )
