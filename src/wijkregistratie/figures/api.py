import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import Response
from pydantic import StringConstraints

from wijkregistratie.core.database import Session, StaleSession
from wijkregistratie.core.errors import Conflict, NotFound
from wijkregistratie.core.identifiers import CBS_AREA_PATTERN
from wijkregistratie.core.openapi import API_PREFIX, errors
from wijkregistratie.core.routes import Route
from wijkregistratie.core.security import Admin, Principal, requires
from wijkregistratie.figures import rollups, service
from wijkregistratie.figures.models import FigureRefresh
from wijkregistratie.figures.schemas import Figures, FiguresRefresh

router = APIRouter(prefix=f"{API_PREFIX}/figures", tags=["Figures"], route_class=Route)
FiguresReader = Annotated[Principal, requires("figures:read")]


@router.get(
    "",
    response_model=Figures,
    summary="Read the figures",
    description="Indicators for one team or one CBS area (municipality GM, district WK or neighbourhood BU) and "
    "an ended month (`2026-03`), quarter (`2026-Q2`) or year (`2026`), computed from the registration itself. "
    "Every value is protected by a cell-key method: each signal and case carries a random key, and a count is "
    "published with noise looked up from its records' keys, so the same count gets the same value in every "
    "answer and tables that share a count agree, while differencing two answers yields noise. No count from 1 "
    "to `disclosure.notPublishedUpTo` is published; sensitive life domains need `disclosure.sensitiveMinimum`; "
    "shares, means and percentiles are computed from protected values over enough records. A period's figures "
    "are final once it has ended (`selection.asOf` says when they were made): they never change afterwards. "
    "Send `Accept: text/csv` for CSV (semicolons, a hidden value is `.`). Needs the `figures:read` scope; a "
    "figures client reads its own municipality's figures only (without `teamId` or `areaCode`, the whole "
    "municipality).",
    responses=errors(403, 503)
    | {200: {"content": {"text/csv": {"schema": {"type": "string"}, "example": f"{service.CSV_HEADER}\r\n"}}}},
)
async def read_figures(
    session: StaleSession,
    principal: FiguresReader,
    period: Annotated[
        str,
        Query(
            max_length=7,
            pattern=r"^\d{4}(-(Q[1-4]|0[1-9]|1[0-2]))?$",
            examples=["2026-Q1"],
            description="An ended year, quarter or month.",
        ),
    ],
    team_id: Annotated[uuid.UUID | None, Query(alias="teamId")] = None,
    area_code: Annotated[str | None, Query(alias="areaCode", pattern=CBS_AREA_PATTERN)] = None,
    area_code_year: Annotated[
        int | None, Query(alias="areaCodeYear", ge=2000, le=2100, description="Vintage of the CBS code.")
    ] = None,
    indicator: Annotated[
        list[Annotated[str, StringConstraints(max_length=60)]] | None,
        Query(max_length=20, description="Only these indicators."),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Figures | Response:
    figures = await service.compute(
        session, principal.municipality_code, team_id, area_code, area_code_year, period, indicator or []
    )
    if accept and "text/csv" in accept:
        return Response(service.to_csv(figures), media_type="text/csv; charset=utf-8")
    return figures


@router.post(
    "/refreshes",
    status_code=201,
    response_model=FiguresRefresh,
    summary="Rebuild the figures' running totals",
    description="Brings, in one transaction, the running totals the figures are read from up to now, and "
    "answers how long it took. Months that had ended at the previous refresh are final and stay as they are; "
    "`full=true` rebuilds them too, which changes figures already published (only to correct a mistake). "
    "Readers keep the previous totals until the refresh commits. The worker does this on a schedule; an "
    "operator may do it now. Needs the `admin` scope.",
    responses=errors(409),
)
async def refresh_figures(
    session: Session,
    _principal: Admin,
    response: Response,
    full: Annotated[bool, Query(description="Rebuild the ended months too.")] = False,
) -> FiguresRefresh:
    run = await rollups.refresh(session, full=full)
    if run is None:
        raise Conflict("another rebuild of the figures is running; its result will be used")
    refreshed = FiguresRefresh.model_validate(run, from_attributes=True)
    response.headers["Location"] = f"{API_PREFIX}/figures/refreshes/{refreshed.id}"
    return refreshed


@router.get(
    "/refreshes/{refreshId}",
    response_model=FiguresRefresh,
    summary="Read a rebuild of the figures",
    description="When one rebuild of the running totals ran, how far it reached and how long it took. Needs "
    "the `admin` scope.",
    responses=errors(404),
)
async def get_refresh(
    session: Session, _principal: Admin, refresh_id: Annotated[int, Path(alias="refreshId", ge=1)]
) -> FiguresRefresh:
    run = await session.get(FigureRefresh, refresh_id)
    if run is None:
        raise NotFound("No rebuild of the figures with this id exists.")
    return FiguresRefresh.model_validate(run, from_attributes=True)
