"""The municipality's dashboard: a static page served by the API itself, drawing the figures it reads."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
async def dashboard() -> FileResponse:
    return FileResponse(STATIC / "dashboard.html", media_type="text/html; charset=utf-8")


@router.get("/dashboard/app.js")
async def script() -> FileResponse:
    return FileResponse(STATIC / "app.js", media_type="text/javascript; charset=utf-8")


@router.get("/dashboard/app.css")
async def style() -> FileResponse:
    return FileResponse(STATIC / "app.css", media_type="text/css; charset=utf-8")
