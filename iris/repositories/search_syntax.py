"""The search syntax of `q`: websearch ("exact phrase", -exclude, or) plus prefix terms (`deploy*`), and
the limits that keep every search expression a bounded, valid tsquery."""

import re
from typing import Optional

from sqlalchemy import ColumnElement, func

# `deploy*` or `-deploy*` as a word of its own (not the end of `e-mail*`), also inside a phrase.
_PREFIX = re.compile(r"(?:(?<![\w-])|(?<=(?<![\w-])-))(\w+)\*(?!\w)")
# Four or more `-` in a row (spaces between them too): websearch nests a NOT for each, and PostgreSQL's
# tsquery parser fails at 32 ("tsquery stack too small"). Two or three of them mean the same.
_NEGATIONS = re.compile(r"-(?:\s*-){3,}")
MAX_PREFIX_TERMS = 16  # each is a nested ts_rewrite: a bounded statement, and a bounded compile


def search_problem(q: str) -> Optional[str]:
    """Why `q` cannot be searched for as it is (before any SQL runs), or None."""
    if len(_PREFIX.findall(q)) > MAX_PREFIX_TERMS:
        return f"may have at most {MAX_PREFIX_TERMS} prefix terms (word*)"
    return None


def _fewer_negations(q: str) -> str:
    return _NEGATIONS.sub(lambda run: "--" if run.group().count("-") % 2 == 0 else "---", q)


def search_query(q: str) -> ColumnElement:
    """websearch syntax ("exact phrase", -exclude, or) plus prefix terms (`deploy*`) anywhere in it.

    Each prefix term stands in websearch's text as a placeholder word (a number-word, which the
    english configuration keeps as it is), so it takes its place in phrases, exclusions and `or`
    like any other word; ts_rewrite then swaps the placeholder for the prefix query.
    """
    stem = "irisprefix"
    while stem in q.lower():
        stem += "x"
    prefixes: list[str] = []

    def placeholder(match: re.Match) -> str:
        prefixes.append(match.group(1))
        return f"{stem}{len(prefixes)}"

    query = func.websearch_to_tsquery("english", _PREFIX.sub(placeholder, _fewer_negations(q)))
    for n, word in enumerate(prefixes, start=1):
        query = func.ts_rewrite(query, func.to_tsquery("simple", f"{stem}{n}"), func.to_tsquery("english", f"{word}:*"))
    return query
