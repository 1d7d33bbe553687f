"""Comment routes: on a ticket (create, list) and by id (get, edit, delete)."""

import falcon

from iris.api.access import USER
from iris.api.answers import NOT_FOUND, NOT_MODIFIED, guarded, reads, writes
from iris.api.creates import CREATE_HEADERS, answer_created, created_answer, key_use
from iris.api.middleware import unit_of_work
from iris.api.paging import AFTER, LIMIT, NEXT_LINK, next_link
from iris.api.preconditions import ETAG, IF_NONE_MATCH, WRITE_HEADERS, etag, not_modified, precondition
from iris.api.request_parsing import json_body
from iris.api.routes import Answer, Header, IntParam, Route
from iris.api.tickets import TICKET_ID
from iris.schemas import CommentCreate, CommentOut, CommentPatch, ErrorBody, comment_json, parse
from iris.services import comments as service

COMMENT_ID = IntParam("comment_id", "the comment's id", minimum=1)
COMMENT_LINKS = {
    f"{name}Comment": {"operationId": f"{name}_comment", "parameters": {"comment_id": "$response.body#/comment_id"}}
    for name in ("get", "patch", "delete")
}
NEW_COMMENT = created_answer(comment_json, lambda comment: f"/comments/{comment.comment_id}")


def create_comment(request, response):
    ticket_id = TICKET_ID.from_path(request)
    body = json_body(request)
    data = parse(CommentCreate, body)
    outcome = service.comment_on(unit_of_work(request), ticket_id, data, key=key_use(request, body, NEW_COMMENT))
    return answer_created(response, outcome, NEW_COMMENT)


def list_comments(request, response):
    ticket_id, limit, after = TICKET_ID.from_path(request), LIMIT.from_query(request), AFTER.from_query(request)
    page, more = service.list_comments(unit_of_work(request), ticket_id, after=after, limit=limit)
    if more:
        response.append_header("Link", next_link(f"/tickets/{ticket_id}/comments", limit, page[-1].comment_id))
    return [comment_json(c) for c in page]


def get_comment(request, response):
    comment = service.get_comment(unit_of_work(request), COMMENT_ID.from_path(request))
    return None if not_modified(request, response, comment.version) else comment_json(comment)


def patch_comment(request, response):
    comment_id = COMMENT_ID.from_path(request)
    patch = parse(CommentPatch, json_body(request))
    comment = service.edit_comment(unit_of_work(request), comment_id, patch, precondition(request, patch.version))
    response.set_header("ETag", etag(comment.version))
    return comment_json(comment)


def delete_comment(request, response):
    comment_id = COMMENT_ID.from_path(request)
    service.delete_comment(unit_of_work(request), comment_id, precondition(request, None))
    response.status = falcon.HTTP_204


ONE = Answer("The comment", CommentOut, headers={"ETag": ETAG})
ADDED = Answer(
    "The comment was added",
    CommentOut,
    headers={"Location": Header("/comments/{comment_id}"), "ETag": ETAG},
    links=COMMENT_LINKS,
)
KEY_REUSED = Answer("The Idempotency-Key was already used with a different request", ErrorBody)
PAGE = Answer("A page of comments", list[CommentOut], headers={"Link": NEXT_LINK})
ROUTES = [
    Route(
        "POST",
        "/tickets/{ticket_id}/comments",
        create_comment,
        "Comment on a ticket",
        "comments",
        writes(_201=ADDED, _404=NOT_FOUND, _422=KEY_REUSED),
        path_params=(TICKET_ID,),
        body=CommentCreate,
        headers=CREATE_HEADERS,
        policy=USER,
    ),
    Route(
        "GET",
        "/tickets/{ticket_id}/comments",
        list_comments,
        "A ticket's comments, oldest first, a page at a time",
        "comments",
        reads(_200=PAGE, _404=NOT_FOUND),
        path_params=(TICKET_ID,),
        query=(LIMIT, AFTER),
        policy=USER,
    ),
    Route(
        "GET",
        "/comments/{comment_id}",
        get_comment,
        "Get a comment",
        "comments",
        reads(_200=ONE, _304=NOT_MODIFIED, _404=NOT_FOUND),
        path_params=(COMMENT_ID,),
        headers=(("If-None-Match", IF_NONE_MATCH),),
        policy=USER,
    ),
    Route(
        "PATCH",
        "/comments/{comment_id}",
        patch_comment,
        "Edit a comment's body",
        "comments",
        guarded(_200=ONE, _404=NOT_FOUND),
        path_params=(COMMENT_ID,),
        body=CommentPatch,
        headers=WRITE_HEADERS,
        policy=USER,
    ),
    Route(
        "DELETE",
        "/comments/{comment_id}",
        delete_comment,
        "Delete a comment",
        "comments",
        guarded(_204=Answer("The comment was deleted"), _404=NOT_FOUND),
        path_params=(COMMENT_ID,),
        headers=WRITE_HEADERS,
        policy=USER,
    ),
]
