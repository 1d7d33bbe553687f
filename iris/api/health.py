import falcon
from sqlalchemy import text

from iris.api.middleware import db
from iris.api.routes import Route


def health(request, response):
    try:
        db(request).execute(text("SELECT 1"))
    except Exception:
        # The database is down or unreachable; say so without its internals.
        response.status = falcon.HTTP_503
        return {"errors": {"database": "unavailable"}}
    return {"status": "ok", "database": "ok"}


ROUTES = [Route("GET", "/health", health)]
