"""Input no client should send, and every client may: never a 500, always a 4xx that names the culprit.

The examples are the ones that answered 500 before; the Hypothesis strategies below go past what the
OpenAPI document describes (which schemathesis keeps to), so that this class of bug cannot come back.
"""

import base64
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("IRIS_HOSTILE_EXAMPLES", "150"))
HOSTILE = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def cursor(value) -> str:
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("depth", [33, 1_000, 5_000, 100_000])
def test_deeply_nested_bodies_are_a_400_naming_the_body(client, depth):
    for body in ("[" * depth + "]" * depth, '{"title": "x", "description": ' + "[" * depth + "]" * depth + "}"):
        answer = client.put("/tickets", body, content_type="application/json", status=400)
        assert answer.json == {"errors": {"body": "must not nest arrays and objects more than 32 deep"}}


@pytest.mark.parametrize(
    "sort,value",
    [
        ("", {"o": "ticket_id", "v": [10**30]}),
        ("", {"o": "ticket_id", "v": [-(10**20)]}),
        ("title", {"o": "title,ticket_id", "v": ["a\u0000b", 1]}),
        ("title", {"o": "title,ticket_id", "v": ["\ud800", 1]}),
        ("created", {"o": "created,ticket_id", "v": [{"t": "9999-12-31T23:59:59-01:00"}, 1]}),
        ("created", {"o": "created,ticket_id", "v": [{"t": "2026-01-01T00:00:00"}, 1]}),
        ("", {"o": "ticket_id", "v": [[[[[[1]]]]]]}),
    ],
)
def test_forged_cursors_are_a_422_naming_the_cursor(client, sort, value):
    query = f"/tickets?cursor={cursor(value)}" + (f"&sort={sort}" if sort else "")
    assert list(client.get(query, status=422).json["errors"]) == ["cursor"]


def test_a_cursor_nested_past_pythons_limit_is_a_422(client):
    deep = base64.urlsafe_b64encode(('{"o":"ticket_id","v":' + "[" * 1400 + "]" * 1400 + "}").encode()).decode()
    assert list(client.get(f"/tickets?cursor={deep.rstrip('=')[:2000]}", status=422).json["errors"]) == ["cursor"]


def test_a_far_offset_in_a_cursor_is_the_same_instant_in_utc(client):
    client.put_json("/tickets", {"title": "x"}, status=201)
    value = {"o": "created,ticket_id", "v": [{"t": "0001-01-01T00:00:00-23:59"}, 0]}
    assert len(client.get(f"/tickets?sort=created&cursor={cursor(value)}").json) == 1


@pytest.mark.parametrize("q", ["a* " * 17, "x* " * 150, "-" * 500, "a " + "- " * 200 + "b", " -" * 249])
def test_pathological_searches_are_answered_without_a_500(client, q):
    answer = client.get("/tickets", params={"q": q}, expect_errors=True)
    assert answer.status_int in (200, 422), answer.text
    if answer.status_int == 422:
        assert list(answer.json["errors"]) == ["q"]


def test_sixteen_prefix_terms_are_fine_and_seventeen_are_named(client):
    client.get("/tickets", params={"q": "deploy* " * 16})
    assert client.get("/tickets", params={"q": "a* " * 17}, status=422).json == {
        "errors": {"q": "may have at most 16 prefix terms (word*)"}
    }


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=40,
)
# Raw text, with runs: what a hand-written or hostile client sends, past what the schema describes.
ANY_CHAR = st.characters() | st.sampled_from(["\x00", "\ud800", "\udfff"])  # NUL and lone surrogates too
DEEP = st.builds(lambda d, inner: "[" * d + inner + "]" * d, st.integers(1, 3000), st.sampled_from(["", "1", "{}"]))
BODY = st.one_of(JSON.map(json.dumps), DEEP, DEEP.map(lambda deep: '{"title": "x", "description": ' + deep + "}"))
TOKEN = st.sampled_from(list('-"*!&|():<>~ ab12é') + ["or ", "and ", "word* ", "-x* ", "x*"])
RUN = st.builds(lambda token, n: token * n, TOKEN, st.integers(1, 200))
SEARCH = st.lists(RUN, min_size=1, max_size=6).map("".join).map(lambda q: q[:500]).filter(str.strip)
# Cursors of the right shape for their sort, with values no row could hold: they reach the query.
INSTANT = st.builds(lambda when, minutes: when.isoformat() + f"{minutes // 60:+03d}:{abs(minutes) % 60:02d}",
                    st.datetimes(), st.integers(-1439, 1439))  # fmt: skip
KEY_VALUES = {
    "title": st.text(alphabet=ANY_CHAR, max_size=10),
    "ticket_id": st.integers(-(2**70), 2**70),
    "created": INSTANT.map(lambda t: {"t": t}),
}
SORTS = {  # sort parameter: (the order a cursor of it names, its keys)
    "": ("ticket_id", ["ticket_id"]),
    "title": ("title,ticket_id", ["title", "ticket_id"]),
    "-created": ("-created,-ticket_id", ["created", "ticket_id"]),
}


@st.composite
def forged(draw):
    sort = draw(st.sampled_from(sorted(SORTS)))
    order, keys = SORTS[sort]
    return sort, {"o": order, "v": [draw(KEY_VALUES[k] | JSON) for k in keys]}


@given(body=BODY)
@HOSTILE
def test_no_json_body_answers_a_server_error(client, body):
    for method, path in (("PUT", "/tickets"), ("PATCH", "/tickets"), ("PATCH", "/tickets/1"), ("PUT", "/workflows/x")):
        answer = client.request(path, method=method, body=body.encode("utf-8", "surrogatepass"),
                                content_type="application/json", expect_errors=True)  # fmt: skip
        assert answer.status_int < 500, (method, path, body[:200], answer.text)


@given(case=forged())
@HOSTILE
def test_no_forged_cursor_answers_a_server_error(client, case):
    sort, value = case
    answer = client.get(f"/tickets?cursor={cursor(value)}" + (f"&sort={sort}" if sort else ""), expect_errors=True)
    assert answer.status_int < 500, (value, answer.text)


@given(q=SEARCH)
@HOSTILE
def test_no_search_expression_answers_a_server_error(client, q):
    answer = client.get("/tickets", params={"q": q}, expect_errors=True)
    assert answer.status_int < 500, (q, answer.text)


@given(body=BODY)
@HOSTILE
def test_no_body_to_the_user_and_token_routes_answers_a_server_error(client, body):
    for method, path in (
        ("POST", "/users"),
        ("PATCH", "/users/anonymous"),
        ("PATCH", "/users/x"),
        ("POST", "/user/tokens"),
    ):
        answer = client.request(path, method=method, body=body.encode("utf-8", "surrogatepass"),
                                content_type="application/json", expect_errors=True)  # fmt: skip
        assert answer.status_int < 500, (method, path, body[:200], answer.text)


@given(name=st.text(alphabet=ANY_CHAR, min_size=1, max_size=80))
@HOSTILE
def test_no_username_in_a_path_answers_a_server_error(client, name):
    from urllib.parse import quote

    segment = quote(name.encode("utf-8", "surrogatepass"), safe="")  # lone surrogates: bytes no UTF-8 decoder takes
    for path in (f"/users/{segment}", f"/users/{segment}/tokens"):
        answer = client.get(path, expect_errors=True)
        assert answer.status_int < 500, (path, answer.text)


LATIN1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF)
AUTHORIZATION = st.one_of(
    st.text(alphabet=LATIN1, max_size=300),
    st.text(alphabet=LATIN1, max_size=300).map(lambda s: "Bearer " + s),
    st.text(alphabet=LATIN1, min_size=43, max_size=43).map(lambda s: "Bearer iris_" + s),
)


@pytest.fixture(scope="module")
def required_client(settings):
    from dataclasses import replace

    import webtest

    from iris.api.app import create_app

    app = create_app(replace(settings, auth="required"))
    yield webtest.TestApp(app)
    app.engine.dispose()


@given(header=AUTHORIZATION)
@HOSTILE
def test_no_authorization_header_answers_anything_but_401_when_tokens_are_required(required_client, clean_db, header):
    answer = required_client.get("/tickets", headers={"Authorization": header}, expect_errors=True)
    assert answer.status_int == 401, (header, answer.text)
    assert answer.json == {"errors": {"authorization": "send a valid API token: Authorization: Bearer <token>"}}


# Every query parameter of the list (and some no route knows), repeated or not, with any text: what a
# hand-built URL or a hostile client sends past the schema.
LIST_PARAMS = st.sampled_from(
    ["status", "open", "assignee", "reporter", "q", "overdue", "due_before", "due_after", "created_before",
     "created_after", "updated_before", "updated_after", "sort", "limit", "cursor", "include", "workflow", "x"]
)  # fmt: skip
QUERY = st.lists(st.tuples(LIST_PARAMS, st.text(alphabet=ANY_CHAR, max_size=300)), min_size=1, max_size=6)


@given(query=QUERY)
@HOSTILE
def test_no_query_string_answers_a_server_error(client, query):
    from urllib.parse import quote

    raw = "&".join(f"{name}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}" for name, value in query)
    for path in ("/tickets", "/tickets/1/comments", "/workflows", "/users", "/tickets/1/history", "/metrics"):
        answer = client.get(f"{path}?{raw}", expect_errors=True)
        assert answer.status_int < 500, (path, raw[:300], answer.text)


# Header values a client may send (HTTP allows any Latin-1 text past the first character) on a write.
HEADER_VALUE = st.text(alphabet=LATIN1, max_size=300)
WRITE_HEADERS = st.dictionaries(
    st.sampled_from(["If-Match", "If-None-Match", "Idempotency-Key", "X-Request-ID", "Content-Type"]),
    HEADER_VALUE,
    min_size=1,
)


@given(headers=WRITE_HEADERS)
@HOSTILE
def test_no_header_on_a_read_or_a_write_answers_a_server_error(client, headers):
    headers = {name: value.strip() for name, value in headers.items()}
    body = json.dumps({"title": "x"}).encode()
    for method, path in (("PATCH", "/tickets/1"), ("POST", "/tickets"), ("GET", "/tickets/1"), ("PUT", "/tickets")):
        answer = client.request(path, method=method, body=b"" if method == "GET" else body,
                                headers=headers, expect_errors=True)  # fmt: skip
        assert answer.status_int < 500, (method, path, headers, answer.text)
