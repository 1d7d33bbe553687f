"""The web page for people: server-rendered pages (Jinja2) over the same services and policies as the API.

Signed in by a session cookie (never a bearer token); the JSON API never reads that cookie, so it needs no
CSRF defence of its own. See docs/web.md.
"""
