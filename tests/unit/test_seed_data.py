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
