"""The interactive API documentation, served from assets that come with the package.

Swagger UI comes from the `swagger-ui-bundle-v2` package, so `/docs` works offline and loads nothing
from elsewhere: its policy allows the page's own scripts and styles only (Swagger UI sets inline style
attributes, so styles may be inline; scripts may not).
"""

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from swagger_ui_bundle import swagger_ui_path

from wijkregistratie.core.routes import Route

STATIC = Path(__file__).parent / "static"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
router = APIRouter(include_in_schema=False, route_class=Route)


def _page(path: Path, media_type: str) -> FileResponse:
    headers = {"Content-Security-Policy": POLICY, "Cache-Control": "no-cache"}
    return FileResponse(path, media_type=f"{media_type}; charset=utf-8", headers=headers)


@router.get("/docs")
async def docs() -> FileResponse:
    return _page(STATIC / "docs.html", "text/html")


@router.get("/docs/start.js")
async def start() -> FileResponse:
    return _page(STATIC / "docs.js", "text/javascript")


@router.get("/docs/assets/{name}")
async def asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(status_code=404)
    return FileResponse(Path(str(swagger_ui_path)) / name, media_type=media_type)
