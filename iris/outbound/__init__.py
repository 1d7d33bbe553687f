"""What iris sends to other people's servers (webhooks), and the guard in front of it.

A webhook URL is chosen by a user, and the server that follows it sits inside our network: without a guard,
anyone who may register a webhook can make iris POST to the cloud metadata service, the database's admin port or
an internal dashboard (server-side request forgery). The usual Python library for this, `advocate`, is no longer
maintained (and is written for `requests`), so this package is our own small code on top of `httpx`:

- `addresses`: which URLs may be called, and the checked addresses to connect to (`check_target`, `is_public`);
- `client`: one bounded POST to a checked address, never raising for network trouble (`post`, `Outcome`);
- `signing`: the `Iris-Signature` header receivers use to know a delivery came from us (`delivery_headers`, `verify`).

docs/webhooks.md describes the rules for users.
"""
