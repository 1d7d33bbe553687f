"""The pages' own files (style sheet, script), served from the package: no CDN, no build step."""

from importlib.resources import files

from iris.api.access import PUBLIC
from iris.api.answers import files as file_answers
from iris.api.routes import ChoiceParam, Route

TYPES = {
    "iris.css": "text/css; charset=utf-8",
    "iris.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
ASSET = ChoiceParam("name", "a file of the web page", tuple(TYPES))
_CONTENT = {name: (files("iris.web") / "static" / name).read_bytes() for name in TYPES}


def web_asset(request, response):
    name = ASSET.from_path(request)
    response.content_type = TYPES[name]
    response.set_header("Cache-Control", "public, max-age=3600")
    response.set_header("X-Content-Type-Options", "nosniff")
    return _CONTENT[name]


ROUTES = [
    Route(
        "GET",
        "/static/{name}",
        web_asset,
        "A static file of the web page (style sheet, script, icon)",
        "service",
        file_answers(TYPES),
        path_params=(ASSET,),
        raw=True,
        policy=PUBLIC,
    ),
]
