"""Input no browser sends and any client may, on the web page: never a 500, whatever the query, form or cookie."""

from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.test_hostile_input import ANY_CHAR, EXAMPLES, HOSTILE, LATIN1
from tests.integration.web_support import csrf_of

PAGE_PARAMS = st.sampled_from(
    ["workflow", "assignee", "reporter", "due", "q", "column", "before", "comments_after", "history_after", "next", "x",
     "changed", "saved"]
)  # fmt: skip
QUERY = st.lists(st.tuples(PAGE_PARAMS, st.text(alphabet=ANY_CHAR, max_size=300)), min_size=1, max_size=6)
FORM_FIELDS = st.sampled_from(
    ["title", "description", "due", "assignee", "workflow", "body", "to", "version", "due_shown", "password",
     "password_again", "current_password", "username", "next", "key", "up_to", "read", "event_created", "event_x",
     "channel_email"]
)  # fmt: skip
FORM = st.lists(st.tuples(FORM_FIELDS, st.text(alphabet=ANY_CHAR, max_size=300)), max_size=8)
# Each form example is posted to every page that takes a form (22 requests): a fifth of IRIS_HOSTILE_EXAMPLES
# keeps `make test` short; `make fuzz` (5,000) still sends a thousand.
FORM_EXAMPLES = settings(HOSTILE, max_examples=max(25, EXAMPLES // 5))
POSTS = [
    "/new", "/ticket/1/edit", "/ticket/1/move", "/ticket/1/comment", "/ticket/1/watch", "/ticket/1/unwatch",
    "/account/password", "/account/notifications", "/inbox/read", "/inbox/1", "/sign-in",
]  # fmt: skip


def encoded(pairs) -> str:
    return "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in pairs)


@given(query=QUERY)
@HOSTILE
def test_no_query_string_on_a_page_answers_a_server_error(open_web, query):
    raw = encoded(query)
    for path in ("/", "/ticket/1", "/sign-in", "/new", "/account", "/inbox"):
        answer = open_web.get(f"{path}?{raw}", expect_errors=True)
        assert answer.status_int < 500, (path, raw[:300], answer.text)


@given(form=FORM, raw=st.binary(max_size=200))
@FORM_EXAMPLES
def test_no_form_answers_a_server_error(open_web, form, raw):
    token = csrf_of(open_web.get("/new"))
    open_web.post("/new", {"csrf": token, "title": "target"}, status="*")
    body = encoded([("csrf", token), *form])
    for path in POSTS:
        for sent in (body, body.encode() + b"&" + raw):
            answer = open_web.post(path, sent, content_type="application/x-www-form-urlencoded", expect_errors=True)
            assert answer.status_int < 500, (path, sent[:300], answer.text)


@given(cookie=st.text(alphabet=LATIN1, max_size=400))
@FORM_EXAMPLES
def test_no_cookie_header_answers_a_server_error(open_web, cookie):
    for value in (cookie.strip(), f"iris_session={cookie.strip()}", f"iris_browser={cookie.strip()}"):
        answer = open_web.get("/", headers={"Cookie": value}, expect_errors=True)
        assert answer.status_int < 500, (value, answer.text)


def test_a_malformed_origin_or_an_endless_version_is_refused_not_a_500(open_web):
    token = csrf_of(open_web.get("/new"))
    open_web.post("/new", {"csrf": token, "title": "target"}, status=303)
    for origin in ("http://[", "http://]x[", "\x7f://", "http://a:b:c"):
        open_web.post("/ticket/1/comment", {"csrf": token, "body": "x"}, headers={"Origin": origin}, status=403)
    for version in ("0000000001" + "0" * 4400, "0000000001" + "0" * 20, "1e3", "-1"):
        answer = open_web.post("/ticket/1/move", {"csrf": token, "to": "Closed", "version": version}, status=422)
        assert "version" in answer.text
