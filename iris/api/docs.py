"""The API description: /openapi.json, and a Swagger UI page at /docs served from the swagger-ui-bundle wheel."""

from swagger_ui_bundle import swagger_ui_path

from iris.api.access import PUBLIC
from iris.api.answers import BAD_REQUEST, SERVER_ERROR, files
from iris.api.routes import Answer, ChoiceParam, Route

ASSET_TYPES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "application/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
ASSET = ChoiceParam("name", "a Swagger UI file", tuple(ASSET_TYPES))

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>iris API reference</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      validatorUrl: null
    });
  </script>
</body>
</html>
"""


def openapi_document(request, response):
    return request.context.state.openapi


def docs_page(request, response):
    response.content_type = "text/html; charset=utf-8"
    return PAGE


def docs_asset(request, response):
    name = ASSET.from_path(request)
    response.content_type = ASSET_TYPES[name]
    response.set_header("Cache-Control", "public, max-age=86400")
    return (swagger_ui_path / name).read_bytes()


HTML = {"type": "string"}
ROUTES = [
    Route(
        "GET",
        "/openapi.json",
        openapi_document,
        "This API, described in OpenAPI 3",
        "service",
        {200: Answer("The OpenAPI document", {"type": "object"}), 400: BAD_REQUEST, 500: SERVER_ERROR},
        policy=PUBLIC,
    ),
    Route(
        "GET",
        "/docs",
        docs_page,
        "A readable API reference (Swagger UI)",
        "service",
        {200: Answer("The reference page", HTML, media_types=("text/html",)), 400: BAD_REQUEST, 500: SERVER_ERROR},
        raw=True,
        policy=PUBLIC,
    ),
    Route(
        "GET",
        "/docs/assets/{name}",
        docs_asset,
        "A static file of the reference page",
        "service",
        files(ASSET_TYPES),
        path_params=(ASSET,),
        raw=True,
        policy=PUBLIC,
    ),
]
