"""Answering creates: 201 with Location and ETag, and the first answer again for a repeated Idempotency-Key."""

import hashlib
import json
import re
from typing import Any, Callable, Optional, Union

from iris.api.error_handlers import http_status
from iris.api.error_mapping import etag
from iris.api.routes import Header
from iris.errors import InvalidInput
from iris.repositories.idempotency_keys import KeptAnswer
from iris.services.idempotency import Created, KeyUse, Replayed

IDEMPOTENCY_KEY = Header(
    "any unique string (1-255 printable ASCII characters): a retry with the same key and body gets the first answer",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
)
CREATE_HEADERS = (("Idempotency-Key", IDEMPOTENCY_KEY),)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

Answer201 = Callable[[Any], KeptAnswer]  # what a create answers, from what it made


def created_answer(json_of: Callable[[Any], dict], location: Callable[[Any], str]) -> Answer201:
    return lambda item: KeptAnswer(201, json_of(item), location(item))


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_use(request, body: Any, answer: Answer201) -> Optional[KeyUse]:
    """The request's Idempotency-Key, if it has one, bound to what the request asks for."""
    key = request.get_header("Idempotency-Key")
    if key is None:
        return None
    if not _KEY.match(key):
        raise InvalidInput({"Idempotency-Key": "must be 1 to 255 printable ASCII characters"})
    ttl_hours = request.context.state.settings.idempotency_ttl_hours
    return KeyUse(key, fingerprint(request.method, request.path, body), ttl_hours, keep=answer)


def answer_created(response, outcome: Union[Created, Replayed], answer: Answer201) -> dict:
    kept = outcome.answer if isinstance(outcome, Replayed) else answer(outcome.item)
    response.status = http_status(kept.status)
    if kept.location:
        response.set_header("Location", kept.location)
    if isinstance(outcome, Replayed):
        response.set_header("Idempotent-Replayed", "true")
    if "version" in kept.body:
        response.set_header("ETag", etag(kept.body["version"]))
    return kept.body
