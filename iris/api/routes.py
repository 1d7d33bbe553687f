"""The route table: what each route takes and answers. The router and the OpenAPI document both read it."""

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from pydantic import BaseModel

from iris.errors import InvalidInput, NotFound
from iris.timeparse import ISO8601_SCHEMA, parse_iso8601

INT32_MAX = 2_147_483_647


@dataclass(frozen=True)
class IntParam:
    """An integer path or query parameter: plain ASCII digits within bounds, nothing else."""

    name: str
    description: str
    minimum: int = 0
    maximum: int = INT32_MAX
    default: Optional[int] = None

    def parse(self, raw: Optional[str]) -> Optional[int]:
        if raw is None:
            return self.default
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not self.minimum <= int(raw) <= self.maximum:
            raise InvalidInput({self.name: f"must be an integer from {self.minimum} to {self.maximum}"})
        return int(raw)

    def from_path(self, request) -> int:
        return self.parse(request.context.path_params.get(self.name, ""))

    def from_query(self, request) -> Optional[int]:
        return self.parse(request.get_param(self.name))  # repeats were refused before the handler ran

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        if self.default is not None:
            schema["default"] = self.default
        return schema


@dataclass(frozen=True)
class BoolParam:
    """A query flag: exactly `true` or `false` (hug's own bool would read "false" as true)."""

    name: str
    description: str

    def from_query(self, request) -> Optional[bool]:
        raw = request.get_param(self.name)
        if raw is None:
            return None
        if raw not in ("true", "false"):
            raise InvalidInput({self.name: "must be true or false"})
        return raw == "true"

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class TextParam:
    """A single text query parameter, 1 to `max_length` characters, optionally matching `pattern`."""

    name: str
    description: str
    max_length: int = 200
    pattern: str = r"^[^\x00]*[^\x00\s][^\x00]*$"
    expected: str = "non-blank text"

    def from_query(self, request) -> Optional[str]:
        raw = request.get_param(self.name)
        if raw is None:
            return None
        if not raw or len(raw) > self.max_length or not re.search(self.pattern, raw):
            raise InvalidInput({self.name: f"must be {self.expected}, at most {self.max_length} characters"})
        return raw

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "maxLength": self.max_length, "pattern": self.pattern}


@dataclass(frozen=True)
class TimeParam:
    """An ISO 8601 date (UTC midnight) or date-time query parameter."""

    name: str
    description: str

    def from_query(self, request):
        raw = request.get_param(self.name)
        if raw is None:
            return None
        try:
            return parse_iso8601(raw)
        except ValueError as exc:
            raise InvalidInput({self.name: str(exc)}) from None

    def schema(self) -> dict[str, Any]:
        return dict(ISO8601_SCHEMA)


@dataclass(frozen=True)
class TextListParam:
    """A repeatable query parameter (`?status=Open&status=Closed`); each value is non-empty text."""

    name: str
    description: str
    max_length: int = 50
    repeatable: bool = True
    choices: tuple[str, ...] = ()  # when given, each value must be one of these

    def from_query(self, request) -> list[str]:
        values = request.get_param_as_list(self.name) or []
        for value in values:
            if not value or len(value) > self.max_length or "\x00" in value:
                raise InvalidInput({self.name: f"each value must be 1 to {self.max_length} characters"})
            if self.choices and value not in self.choices:
                raise InvalidInput({self.name: f"each value must be one of {', '.join(self.choices)}"})
        return values

    def schema(self) -> dict[str, Any]:
        if self.choices:
            return {"type": "array", "items": {"type": "string", "enum": list(self.choices)}}
        return {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": self.max_length, "pattern": r"^[^\x00]*$"},
        }


@dataclass(frozen=True)
class ChoiceParam:
    """A path parameter that names one of a fixed set of things; anything else is not found."""

    name: str
    description: str
    choices: tuple[str, ...]

    def from_path(self, request) -> str:
        value = request.context.path_params.get(self.name, "")
        if value not in self.choices:
            raise NotFound(self.name, value)
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.choices)}


@dataclass(frozen=True)
class NameParam:
    """A path parameter that is a short name (letters, digits, `-`, `_`); anything else is a 400."""

    name: str
    description: str
    max_length: int = 50
    pattern: str = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
    expected: str = "letters, digits, '-' or '_'"

    def from_path(self, request) -> str:
        value = request.context.path_params.get(self.name, "")
        if len(value) > self.max_length or not re.match(self.pattern, value):
            raise InvalidInput({self.name: f"must be 1 to {self.max_length} {self.expected}"})
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "maxLength": self.max_length, "pattern": self.pattern}


@dataclass(frozen=True)
class Header:
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Answer:
    """One documented response: its description, body model (None: no body) and headers."""

    description: str
    model: Any = None  # a pydantic model, list[model], or a raw JSON schema dict
    headers: dict[str, Header] = field(default_factory=dict)
    media_types: tuple[str, ...] = ("application/json",)
    links: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable
    summary: str
    tag: str
    answers: dict[int, Answer]
    path_params: tuple = ()  # IntParam or ChoiceParam, in path order
    query: tuple = ()  # IntParam, BoolParam, TextListParam; any other query parameter is a 400
    body: Optional[type[BaseModel]] = None
    raw: bool = False  # the handler returns bytes or text and sets its own Content-Type
    headers: tuple = ()  # request headers the route reads, as (name, Header)
    name: str = ""  # the OpenAPI operationId; the handler's name unless two routes share a handler
    policy: str = ""  # who may call it (iris/api/access.py); the app refuses a route without one
    page: bool = False  # a web page (iris/web): signed in by cookie, answered in HTML, not in the OpenAPI document
    # Its use case only reads (and needs no savepoint): the check of who is calling runs without a transaction too.
    read_only: bool = False

    @property
    def operation_id(self) -> str:
        return self.name or self.handler.__name__

    @property
    def query_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.query)

    @property
    def repeatable_query(self) -> frozenset[str]:
        return frozenset(p.name for p in self.query if getattr(p, "repeatable", False))
