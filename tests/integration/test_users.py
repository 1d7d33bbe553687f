"""Users over HTTP: created by admins, unique whatever the case, paged and filtered, never deleted."""


def test_usernames_and_addresses_are_unique_whatever_their_case(client):
    client.post_json("/users", {"username": "Ann", "email": "Ann@Example.org"}, status=201)
    taken = client.post_json("/users", {"username": "ann"}, status=409)
    assert list(taken.json["errors"]) == ["username"]
    address = client.post_json("/users", {"username": "bob", "email": "ann@example.ORG"}, status=409)
    assert list(address.json["errors"]) == ["email"]
    client.post_json("/users", {"username": "bob", "email": "bob@example.org"}, status=201)
    clash = client.patch_json("/users/bob", {"email": "ANN@example.org"}, status=409)
    assert list(clash.json["errors"]) == ["email"]
    assert client.get("/users/ANN").json["username"] == "Ann", "found whatever the case"
    client.post_json("/users", {"username": "has space"}, status=400)
    client.post_json("/users", {"username": "carl", "email": "not-an-address"}, status=422)


def test_users_are_paged_and_filtered_and_deactivated_not_deleted(client):
    for name, role in [("a1", "agent"), ("a2", "agent"), ("r1", "reporter"), ("x1", "admin")]:
        client.post_json("/users", {"username": name, "role": role}, status=201)
    client.patch_json("/users/a2", {"active": False})
    first = client.get("/users?role=agent&role=reporter&limit=2")
    assert [u["username"] for u in first.json] == ["a1", "a2"]
    following = first.headers["Link"].split(";")[0].strip("<>")
    assert [u["username"] for u in client.get(following).json] == ["r1"]
    assert [u["username"] for u in client.get("/users?active=false").json] == ["anonymous", "a2"]
    client.delete("/users/a2", status=405)
    client.get("/users?role=boss", status=400)


def test_the_built_in_anonymous_account_cannot_be_activated_or_changed(client):
    refused = client.patch_json("/users/anonymous", {"active": True}, status=422)
    assert list(refused.json["errors"]) == ["username"]
    client.patch_json("/users/ANONYMOUS", {"display_name": "me"}, status=422)
    assert client.get("/users/anonymous").json["active"] is False


def test_the_shell_follows_iris_auth_and_needs_no_token(client, db_url):
    from tests.integration.test_cli import iris
    from tests.support import url_string

    env = {"DATABASE_URL": url_string(db_url), "IRIS_ENV": "test", "IRIS_AUTH": "required"}
    unknown = iris("tickets", "create", "--title", "x", "--assignee", "nobody", env_extra=env)
    assert unknown.returncode == 1 and "there is no active user named 'nobody'" in unknown.stderr
    assert iris("tickets", "create", "--title", "x", env_extra=env).returncode == 0
    listed = iris("tickets", "list", env_extra=env)
    assert listed.returncode == 0 and '"title": "x"' in listed.stdout, listed.stderr
    opened = iris("tickets", "create", "--title", "y", "--assignee", "newbie", env_extra={**env, "IRIS_AUTH": "open"})
    assert opened.returncode == 0 and client.get("/users/newbie").json["active"] is False
