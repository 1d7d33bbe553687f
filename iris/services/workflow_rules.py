"""What makes a workflow definition valid: checked before anything is stored."""

from collections import deque
from typing import Sequence

from iris.errors import RuleBroken
from iris.schemas import WorkflowDefinition

Transitions = list[tuple[str, str, str]]  # (name, from, to)


def check_definition(data: WorkflowDefinition) -> Transitions:
    """The definition's transitions as (name, from, to), or RuleBroken saying what is wrong with it."""
    statuses = list(data.statuses)
    transitions = [(t.name, t.from_, t.to) for t in data.transitions]
    problems = {**_status_problems(data, statuses), **_transition_problems(transitions, set(statuses))}
    if not problems and data.initial is not None:
        unreachable = [s for s in statuses if s not in _reachable(data.initial, transitions)]
        if unreachable:
            problems["statuses"] = f"not reachable from the initial status {data.initial!r}: {unreachable}"
    if problems:
        raise RuleBroken(problems)
    return transitions


def _status_problems(data: WorkflowDefinition, statuses: list[str]) -> dict[str, str]:
    known = set(statuses)
    problems: dict[str, str] = {}
    if not statuses:
        problems["statuses"] = "a workflow needs at least one status"
    elif len(known) != len(statuses):
        problems["statuses"] = "each status may be listed only once"
    if data.initial is None:
        problems["initial"] = "a workflow needs an initial status"
    elif data.initial not in known:
        problems["initial"] = f"initial status {data.initial!r} is not one of the statuses"
    if not set(data.closed) <= known:
        problems["closed"] = f"unknown status(es): {sorted(set(data.closed) - known)}"
    return problems


def _transition_problems(transitions: Transitions, known: set[str]) -> dict[str, str]:
    bad = sorted({s for _, f, t in transitions for s in (f, t) if s not in known})
    if bad:
        return {"transitions": f"transition to or from an unknown status: {bad}"}
    if any(f == t for _, f, t in transitions):
        return {"transitions": "a transition must lead to another status"}
    if len({(f, t) for _, f, t in transitions}) != len(transitions):
        return {"transitions": "each move from one status to another may be defined only once"}
    if len({(n, f) for n, f, _ in transitions}) != len(transitions):
        return {"transitions": "transition names must be unique among the moves out of a status"}
    return {}


def _reachable(start: str, transitions: Sequence[tuple[str, str, str]]) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        current = queue.popleft()
        for _, f, t in transitions:
            if f == current and t not in seen:
                seen.add(t)
                queue.append(t)
    return seen
