"""The municipality's dashboard: a static page served by the API itself, drawing the figures it reads."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from wijkregistratie.core.routes import Route

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False, route_class=Route)


# The page loads its own script and style and calls the API; nothing else.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'"
)


def _file(name: str, media_type: str) -> FileResponse:
    return FileResponse(
        STATIC / name, media_type=f"{media_type}; charset=utf-8", headers={"Content-Security-Policy": POLICY}
    )


@router.get("/dashboard")
async def dashboard() -> FileResponse:
    return _file("dashboard.html", "text/html")


@router.get("/dashboard/app.js")
async def script() -> FileResponse:
    return _file("app.js", "text/javascript")


@router.get("/dashboard/app.css")
async def style() -> FileResponse:
    return _file("app.css", "text/css")
