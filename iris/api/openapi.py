"""OpenAPI 3.0 built from the hug route table and the pydantic schemas; nothing is written by hand twice.

OpenAPI 3.0 (not 3.1) so that the bundled Swagger UI renders it; pydantic's JSON Schema is
translated where 3.0 differs (`nullable`, `$defs`, `const`).
"""

import re
import typing
from typing import Any, Optional

from pydantic import BaseModel

from iris.api import access, rate_limits
from iris.api.routes import Answer, Header, Route
from iris.schemas import ErrorBody

REF_TEMPLATE = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)}")
GUARDED = {401: access.UNAUTHENTICATED, 403: access.FORBIDDEN}  # what a route that needs a token can answer too
BEARER_AUTH = {
    "type": "http",
    "scheme": "bearer",
    "description": "a personal API token (`iris_...`) from POST /user/tokens or `iris tokens issue`; "
    "not needed when the server runs with IRIS_AUTH=open",
}
# Rate limits (iris/api/rate_limits.py): every route but the public ones and these may answer 429, and every
# answer of a limited route carries the RateLimit-* headers (when IRIS_RATE_LIMITS is on).
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "requests allowed in the window, for this client and class of request (reads, writes, searches)",
    "RateLimit-Remaining": "requests left in the window",
    "RateLimit-Reset": "seconds until the oldest counted request leaves the window",
}
# Every answer echoes the request id (iris/api/request_log.py).
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID = {
    "description": "the request's id, on every log line about it: the client's X-Request-ID when it is at most 128 of "
    "A-Z a-z 0-9 . _ : / + = @ - (other characters are removed), otherwise a new one",
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
}
RATE_LIMITED = Answer(
    "Too many requests from this client (its token, else its address) for this class of request; "
    "retry after Retry-After seconds",
    ErrorBody,
    headers={"Retry-After": Header("seconds to wait before retrying", {"type": "integer", "minimum": 1})},
)


def to_openapi30(schema: Any) -> Any:
    """Translate a JSON Schema (2020-12, as pydantic writes it) into the OpenAPI 3.0 dialect."""
    if isinstance(schema, list):
        return [to_openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title":
            continue  # pydantic's generated titles only add noise to the reference page
        if key in ("properties", "patternProperties") and isinstance(value, dict):
            converted[key] = {name: to_openapi30(sub) for name, sub in value.items()}
        else:
            converted[key] = to_openapi30(value)
    schema = _nullable(converted)
    if "const" in schema:
        schema["enum"] = [schema.pop("const")]
    if schema.get("default", 0) is None:
        schema.pop("default")  # 3.0 validators reject a null default on a non-null type
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """3.0 has no `null` type: an `anyOf`/`oneOf` with a null option becomes `nullable` instead."""
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if options and {"type": "null"} in options:
            rest = [option for option in options if option != {"type": "null"}]
            schema.pop(key)
            if len(rest) == 1 and "$ref" not in rest[0]:
                merged = {**rest[0], **schema}
            else:
                merged = {**schema, (key if len(rest) > 1 else "allOf"): rest}
            merged["nullable"] = True
            schema = merged
    return schema


def _sole_required(option: Any) -> Optional[str]:
    if isinstance(option, dict) and set(option) == {"required"} and len(option["required"]) == 1:
        return option["required"][0]
    return None


def _either_or(name: str, schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """An object whose `oneOf` only says "exactly one of these fields" (`[{"required": ["to"]}, ...]`), as one
    whole object schema per field, without the other fields: the same rule, but generated clients type it
    (branches with no type make the body `Any`). The schemas to register, by name."""
    keys = [_sole_required(option) for option in schema.get("oneOf", [])]
    properties = schema.get("properties", {})
    distinct = bool(keys) and len(set(keys)) == len(keys) and all(key in properties for key in keys)
    if not distinct or schema.get("additionalProperties") is not False:
        return {name: schema}
    shared = {k: v for k, v in schema.items() if k != "oneOf"}
    forms = {
        f"{name}With{key[:1].upper()}{key[1:]}": {
            **shared,
            "description": f"{shared.get('description', '')} This form names `{key}`.".lstrip(),
            "properties": {p: s for p, s in properties.items() if p == key or p not in keys},
            "required": [*shared.get("required", []), key],
        }
        for key in keys
    }
    either = {"oneOf": [{"$ref": REF_TEMPLATE.format(model=form)} for form in forms]}
    if "description" in schema:
        either["description"] = schema["description"]
    return {name: either, **forms}


class _Components:
    def __init__(self):
        self.schemas: dict[str, Any] = {}

    def register(self, name: str, schema: dict[str, Any]) -> None:
        self.schemas.update(_either_or(name, to_openapi30(schema)))

    def schema_for(self, model: Any) -> dict[str, Any]:
        if isinstance(model, dict):
            return to_openapi30(model)
        if typing.get_origin(model) is list:
            return {"type": "array", "items": self.schema_for(typing.get_args(model)[0])}
        if isinstance(model, type) and issubclass(model, BaseModel):
            full = model.model_json_schema(ref_template=REF_TEMPLATE)
            for name, definition in full.pop("$defs", {}).items():
                self.register(name, definition)
            self.register(model.__name__, full)
            return {"$ref": REF_TEMPLATE.format(model=model.__name__)}
        raise TypeError(f"cannot describe {model!r}")


def _answer(answer: Answer, components: _Components, with_body: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"description": answer.description}
    if answer.model is not None and with_body:
        schema = components.schema_for(answer.model)
        out["content"] = {media_type: {"schema": schema} for media_type in answer.media_types}
    if answer.headers:
        out["headers"] = {
            name: {"description": h.description, "schema": h.schema} for name, h in answer.headers.items()
        }
    if answer.links:
        out["links"] = answer.links
    return out


def _query_parameter(param) -> dict[str, Any]:
    described = {
        "name": param.name,
        "in": "query",
        "required": False,
        "description": param.description,
        "schema": param.schema(),
    }
    if getattr(param, "repeatable", False):
        described.update(style="form", explode=True)  # ?status=a&status=b
    return described


def _parameters(route: Route) -> list[dict[str, Any]]:
    in_path = [
        {"name": p.name, "in": "path", "required": True, "description": p.description, "schema": p.schema()}
        for p in route.path_params
    ]
    headers = [
        {"name": name, "in": "header", "required": False, "description": h.description, "schema": h.schema}
        for name, h in route.headers
    ]
    return in_path + [_query_parameter(p) for p in route.query] + headers


def _operation(route: Route, method: str, components: _Components, auth_open: bool) -> dict[str, Any]:
    head = method == "HEAD"
    declared = {p.name for p in route.path_params}
    in_path = set(_PATH_PARAM.findall(route.path))
    if declared != in_path:
        raise ValueError(
            f"{route.method} {route.path}: path parameters {sorted(in_path)} but described {sorted(declared)}"
        )
    operation: dict[str, Any] = {
        "operationId": route.operation_id if not head else f"head_{route.operation_id}",
        "summary": route.summary if not head else f"{route.summary} (headers only)",
        "tags": [route.tag],
        "parameters": _parameters(route),
        "responses": _responses(route, components, head),
    }
    if route.policy != access.PUBLIC:
        # With IRIS_AUTH=open a token is optional: `{}` is "no requirement" as another way in.
        operation["security"] = [{"bearerAuth": []}, {}] if auth_open else [{"bearerAuth": []}]
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": components.schema_for(route.body)}},
        }
    if not operation["parameters"]:
        del operation["parameters"]
    return operation


def rate_limited(route: Route) -> bool:
    return not rate_limits.exempt(route)


def _responses(route: Route, components: _Components, head: bool) -> dict[str, Any]:
    answers = route.answers if route.policy == access.PUBLIC else {**route.answers, **GUARDED}
    limited = rate_limited(route)
    if limited:
        answers = {**answers, 429: RATE_LIMITED}
    responses = {str(code): _answer(answer, components, with_body=not head) for code, answer in sorted(answers.items())}
    shared = [REQUEST_ID_HEADER, *RATE_LIMIT_HEADERS] if limited else [REQUEST_ID_HEADER]
    for response in responses.values():
        response.setdefault("headers", {}).update({name: {"$ref": f"#/components/headers/{name}"} for name in shared})
    return responses


def served_operations(hug_api) -> list[tuple[str, str, Route]]:
    """(path, method, route) for every route hug serves, read from hug's own route table."""
    found = []
    for base_url, paths in hug_api.http.routes.items():
        for path, methods in paths.items():
            for method, versions in methods.items():
                for handler in versions.values():
                    route = handler.interface.spec.route
                    if not route.page:
                        found.append((base_url + path, method, route))
    return found


def build_document(hug_api, *, title: str, version: str, auth_open: bool = False) -> dict[str, Any]:
    components = _Components()
    paths: dict[str, dict[str, Any]] = {}
    for path, method, route in sorted(served_operations(hug_api), key=lambda item: (item[0], item[1])):
        paths.setdefault(path, {})[method.lower()] = _operation(route, method, components, auth_open)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": version,
            "description": 'iris, a self-hosted ticket tracker. Every error body is `{"errors": {field: message}}`. '
            "With rate limits on, a client over its limit gets a 429 with Retry-After.",
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.schemas.items())),
            "headers": {
                REQUEST_ID_HEADER: REQUEST_ID,
                **{
                    name: {"description": description, "schema": {"type": "integer", "minimum": 0}}
                    for name, description in RATE_LIMIT_HEADERS.items()
                },
            },
            "securitySchemes": {"bearerAuth": BEARER_AUTH},
        },
    }
