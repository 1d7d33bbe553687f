"""`iris seed`'s generator: deterministic, and with word frequencies shaped like real text."""

import random
import re
from collections import Counter

from iris.seed import ticket_rows
from iris.seed_words import CONTENT, FUNCTION_WORDS


def rows(seed_value: int, count: int = 2000):
    return list(ticket_rows(random.Random(seed_value), 1, count, count))


def test_the_same_seed_gives_the_same_tickets_and_another_seed_other_ones():
    assert rows(3, 200) == rows(3, 200)
    assert rows(3, 200) != rows(4, 200)


def test_a_few_words_are_in_many_tickets_and_most_words_in_few():
    tickets = rows(5, 5000)
    in_tickets = Counter(w for r in tickets for w in set(re.findall(r"[a-z]+", f"{r[1]} {r[3]}".lower())))
    content = sorted((in_tickets[w] / len(tickets) for w in CONTENT), reverse=True)
    assert 0.10 < content[0] < 0.50, "the commonest content word is common, not universal"
    assert content[len(content) // 2] < 0.02, "the typical content word is rare"
    assert max(in_tickets[w] for w in FUNCTION_WORDS) / len(tickets) > content[0], "stop words are commoner still"
    assert sum(1 for share in content if share > 0) > 0.9 * len(CONTENT), (
        "the vocabulary is used, not a handful of words"
    )


def growing_terms(count: int, seed_value: int = 6) -> list[set[str]]:
    """Each ticket's terms that iris/seed_terms.py added (the words the fixed vocabulary has not)."""
    from iris.seed_words import VOCABULARY

    known = set(VOCABULARY) | {w.lower() for r in rows(seed_value, 50) for w in r[1].split()}
    tickets = ticket_rows(random.Random(seed_value), 1, count, count, "growing")
    return [{w for w in f"{r[1]} {r[3]}".rstrip(".").split() if w.lower().strip(".") not in known} for r in tickets]


def test_the_growing_vocabulary_keeps_adding_rare_terms_as_tickets_grow():
    """Heaps' law: ten times the tickets bring several times the distinct terms, not the same few."""
    per_ticket = growing_terms(20_000)
    assert all(per_ticket), "every ticket has terms of its own to be found by"
    distinct = [len(set().union(*per_ticket[:n])) for n in (2_000, 20_000)]
    assert 3 < distinct[1] / distinct[0] < 8, distinct
    uses = Counter(term for terms in per_ticket for term in terms)
    assert sorted(uses.values())[len(uses) // 2] <= 5, "the typical term is in a handful of tickets"


def test_the_growing_vocabulary_is_deterministic_and_the_fixed_one_has_none_of_its_terms():
    growing = list(ticket_rows(random.Random(9), 1, 300, 300, "growing"))
    assert growing == list(ticket_rows(random.Random(9), 1, 300, 300, "growing"))
    assert all(r[3].endswith(".") and r[3].count(".") == 1 for r in rows(9, 300)), "fixed: one sentence each"
    assert all(not r[3].endswith(".") for r in growing), "growing: terms follow the sentence"
