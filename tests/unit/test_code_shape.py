"""The shape the codebase keeps (docs/architecture.md): small modules and functions, services free of HTTP,
and every transaction ended by a unit of work."""

import ast
import re
from pathlib import Path

import pytest

IRIS = Path(__file__).resolve().parents[2] / "iris"
MODULES = sorted(IRIS.rglob("*.py"))
# argparse tables: one long declarative list of commands and options reads best in one place.
LONG_FUNCTIONS_ALLOWED = {("cli.py", "build_parser"), ("cli_tickets.py", "add_commands")}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _name(path: Path) -> str:
    return str(path.relative_to(IRIS))


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_every_module_is_under_300_lines_and_every_function_under_30(path):
    assert len(path.read_text().splitlines()) < 300
    for node in ast.walk(_tree(path)):
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and (path.name, node.name) not in LONG_FUNCTIONS_ALLOWED
        ):
            assert node.end_lineno - node.lineno + 1 <= 30, f"{_name(path)}: {node.name} is longer than 30 lines"


SERVICES = sorted((IRIS / "services").glob("*.py"))


@pytest.mark.parametrize("path", SERVICES, ids=_name)
def test_services_know_nothing_of_http(path):
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & {"falcon", "hug", "webob"}
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in {"falcon", "hug", "webob"}
            assert not (node.module or "").startswith("iris.api"), f"{_name(path)} imports {node.module}"
        if isinstance(node, (ast.Name, ast.Attribute, ast.keyword)):
            name = getattr(node, "id", None) or getattr(node, "attr", None) or getattr(node, "arg", None) or ""
            assert not re.fullmatch(r"HTTP_\d+|status_code|http_status", name), f"{_name(path)}:{node.lineno}: {name}"
    text = path.read_text()
    assert not re.search(r"\b(GET|PUT|POST|PATCH|DELETE) /|\b[1-5]\d\d (OK|Created|Not Found)", text), _name(path)
    assert not re.search(r"[\"'](/tickets|/comments|/workflows|/users|/user)\b", text), f"{_name(path)} names a URL"


def _transaction_ends(path: Path):
    for node in ast.walk(_tree(path)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("commit", "rollback")
        ):
            yield node


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_only_the_unit_of_work_commits_or_rolls_back(path):
    for call in _transaction_ends(path):
        target = call.func.value
        if _name(path) == "services/unit_of_work.py":
            continue
        assert isinstance(target, ast.Name) and target.id == "uow", (
            f"{_name(path)}:{call.lineno}: {ast.unparse(call)} ends a transaction outside a unit of work"
        )
