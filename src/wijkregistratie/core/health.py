"""Liveness, readiness and metrics, outside the versioned API."""

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from wijkregistratie.core.routes import Route

router = APIRouter(include_in_schema=False, route_class=Route)


@router.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "up"}


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    try:
        async with request.app.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "down", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "up", "database": "up"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    if not request.app.state.settings.public_metrics:
        raise HTTPException(status_code=404)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
