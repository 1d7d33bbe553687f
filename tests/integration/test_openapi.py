"""The published contract: generated from the route table, valid, and exactly what is served."""

from openapi_spec_validator import validate

from iris.api.openapi import served_operations, to_openapi30

METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def documented(document):
    return {(path, method.upper()) for path, item in document["paths"].items() for method in item if method in METHODS}


def test_served_routes_are_exactly_the_documented_routes(client, app):
    document = client.get("/openapi.json").json
    served = {(path, method) for path, method, _ in served_operations(app.hug_api)}
    assert served == documented(document)
    # and falcon routes those and nothing else (OPTIONS is falcon's own, answered for every route)
    for path, method in served:
        resource, _, _, _ = app.wsgi._router.find(path.replace("{ticket_id}", "1").replace("{name}", "swagger-ui.css"))
        assert hasattr(resource, f"on_{method.lower()}"), (path, method)


def test_document_is_valid_openapi_3(client):
    document = client.get("/openapi.json").json
    assert document["openapi"].startswith("3.")
    validate(document)


def test_every_operation_documents_its_errors_and_headers(client):
    paths = client.get("/openapi.json").json["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            assert {"400", "500"} <= set(operation["responses"]), (path, method)
    create = paths["/tickets"]["put"]
    assert "Location" in create["responses"]["201"]["headers"]
    assert {"413", "415", "503"} <= set(create["responses"])
    assert paths["/tickets"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketCreate"
    }
    listing = paths["/tickets"]["get"]
    assert "Link" in listing["responses"]["200"]["headers"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}
    assert "404" in paths["/tickets/{ticket_id}"]["get"]["responses"]
    deleted = paths["/tickets/{ticket_id}"]["delete"]["responses"]["204"]
    assert deleted["description"] == "The ticket was deleted" and "content" not in deleted


def test_schemas_match_validation(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    create = schemas["TicketCreate"]
    assert create["required"] == ["title"] and create["additionalProperties"] is False
    assert create["properties"]["title"]["maxLength"] == 200
    assert "nullable" not in schemas["TicketPatch"]["properties"]["title"], "PATCH refuses a null title"
    assert schemas["TicketPatch"]["properties"]["assignee"]["nullable"] is True


def test_a_new_route_is_documented_without_touching_the_generator(settings, monkeypatch):
    from iris.api import app as app_module
    from iris.api.access import USER
    from iris.api.answers import reads
    from iris.api.routes import Answer, IntParam, Route

    def ping(request, response):
        return {"n": IntParam("n", "a number").from_query(request)}

    extra = Route(
        "GET",
        "/ping",
        ping,
        "Ping",
        "service",
        reads(_200=Answer("pong", {"type": "object"})),
        query=(IntParam("n", "a number"),),
        policy=USER,
    )
    monkeypatch.setattr(app_module, "ROUTES", app_module.ROUTES + [extra])
    application = app_module.create_app(settings)
    assert application.openapi["paths"]["/ping"]["get"]["parameters"][0]["name"] == "n"
    assert "/ping" in application.openapi["paths"] and "head" in application.openapi["paths"]["/ping"]
    application.engine.dispose()


def test_openapi30_translation_of_nullable_and_refs():
    assert to_openapi30({"anyOf": [{"type": "string"}, {"type": "null"}], "title": "x"}) == {
        "type": "string",
        "nullable": True,
    }
    assert to_openapi30({"anyOf": [{"$ref": "#/a"}, {"type": "null"}]}) == {
        "allOf": [{"$ref": "#/a"}],
        "nullable": True,
    }
    assert to_openapi30({"const": 3}) == {"enum": [3]}
    assert to_openapi30({"properties": {"title": {"type": "string", "title": "T"}}}) == {
        "properties": {"title": {"type": "string"}}
    }


def test_docs_page_and_its_assets_are_served_locally(client):
    page = client.get("/docs")
    assert page.content_type == "text/html"
    assert "/openapi.json" in page.text
    assert "http://" not in page.text and "https://" not in page.text, "nothing loads from a CDN"
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        response = client.get(f"/docs/assets/{asset}")
        assert len(response.body) > 1000
    client.get("/docs/assets/..%2Fsecret", status=404)
    client.get("/docs/assets/index.html", status=404)


def test_only_operations_with_data_rules_document_422(client):
    paths = client.get("/openapi.json").json["paths"]
    with_422 = {
        (path, method) for path, item in paths.items() for method, op in item.items() if "422" in op["responses"]
    }
    assert with_422 == {
        ("/tickets", "put"),
        ("/tickets", "post"),
        ("/tickets", "get"),
        ("/tickets", "head"),
        ("/workflows/{name}", "put"),
        ("/tickets/{ticket_id}/transitions", "post"),
        ("/tickets/{ticket_id}/comments", "post"),
        # An assignee must be an active user when IRIS_AUTH=required; an e-mail address must be one;
        # a deactivated user gets no token.
        ("/tickets", "patch"),
        ("/tickets/{ticket_id}", "patch"),
        ("/tickets/{ticket_id}", "put"),
        ("/users", "post"),
        ("/users/{username}", "patch"),
        ("/user/tokens", "post"),
        ("/users/{username}/password", "put"),  # a password too short, or the username
        # An inbox cursor not of that list or order; the built-in `anonymous` (IRIS_AUTH=open) watching or choosing.
        ("/user/notifications", "get"),
        ("/user/notifications", "head"),
        ("/tickets/{ticket_id}/watchers/{username}", "put"),
        ("/user/notification-preferences", "put"),
        # A webhook URL the SSRF guard refuses; a deliveries cursor not of that list; a webhook turned off.
        ("/webhooks", "post"),
        ("/webhooks/{webhook_id}", "patch"),
        ("/webhooks/{webhook_id}/deliveries", "get"),
        ("/webhooks/{webhook_id}/deliveries", "head"),
        ("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", "post"),
    }


def test_every_operation_but_the_public_ones_needs_a_bearer_token(settings):
    from dataclasses import replace

    from iris.api.app import create_app

    required, opened = create_app(replace(settings, auth="required")), create_app(settings)
    document, open_document = required.openapi, opened.openapi
    required.engine.dispose()
    opened.engine.dispose()
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    public = {"/health", "/ready", "/live", "/openapi.json", "/docs", "/docs/assets/{name}", "/static/{name}"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path in public:
                assert "security" not in operation and "401" not in operation["responses"], (path, method)
            else:
                assert operation["security"] == [{"bearerAuth": []}], (path, method)
                assert {"401", "403"} <= set(operation["responses"]), (path, method)
                optional = open_document["paths"][path][method]["security"]
                assert optional == [{"bearerAuth": []}, {}], "with IRIS_AUTH=open a token is optional"


def _nodes(node):
    """Every dict in a JSON document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def test_every_union_branch_is_typed_so_generated_clients_are(client):
    # A branch with no `type` (nor `$ref`) is one that generators make `Any`, e.g. a date field or a body.
    document = client.get("/openapi.json").json
    untyped = [
        branch
        for node in _nodes(document)
        for key in ("anyOf", "oneOf")
        for branch in node.get(key, [])
        if "type" not in branch and "$ref" not in branch
    ]
    assert untyped == []
    move = document["components"]["schemas"]["TransitionRequest"]
    for option in move["oneOf"]:
        body = document["components"]["schemas"][option["$ref"].rsplit("/", 1)[-1]]
        assert body["type"] == "object" and body["additionalProperties"] is False
        assert (
            len({"to", "transition"} & set(body["required"]))
            == 1
            == len({"to", "transition"} & set(body["properties"]))
        )


def test_every_rate_limited_operation_documents_429_and_the_ratelimit_headers(client):
    document = client.get("/openapi.json").json
    headers = document["components"]["headers"]
    for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
        assert headers[name]["schema"] == {"type": "integer", "minimum": 0}
    exempt = {
        "/health",
        "/ready",
        "/live",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/docs/assets/{name}",
        "/static/{name}",
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if path in exempt:
                assert "429" not in responses, (path, method)
                assert not any("RateLimit-Limit" in r.get("headers", {}) for r in responses.values()), (path, method)
                continue
            limited = responses["429"]
            assert limited["headers"]["Retry-After"]["schema"]["type"] == "integer", (path, method)
            if method != "head":
                assert limited["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
            for code, response in responses.items():
                assert response["headers"]["RateLimit-Reset"] == {"$ref": "#/components/headers/RateLimit-Reset"}, (
                    path,
                    method,
                    code,
                )
