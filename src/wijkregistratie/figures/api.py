import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response
from pydantic import StringConstraints

from wijkregistratie.core.database import Session
from wijkregistratie.core.identifiers import CBS_AREA_PATTERN
from wijkregistratie.core.openapi import API_PREFIX
from wijkregistratie.core.security import requires
from wijkregistratie.figures import service
from wijkregistratie.figures.schemas import Figures

router = APIRouter(prefix=f"{API_PREFIX}/figures", tags=["Figures"])
FiguresReader = Annotated[object, requires("figures:read")]


@router.get(
    "",
    response_model=Figures,
    summary="Read the figures",
    description="Indicators for a team or a CBS area (municipality GM, district WK or neighbourhood BU) and a "
    "period (`2026`, `2026-Q2`, `2026-03`, or an interval such as `2026-01/2026-06`), computed from the "
    "registration itself. Counts are rounded to multiples of 5, values 0 to 7 are secret, shares are computed "
    "from the rounded counts above a minimum denominator, and a lone secret in a group is joined by a second "
    "suppressed cell. No figure identifies a household. Send `Accept: text/csv` for CSV (a hidden value is "
    "`.`). Needs the `figures:read` scope.",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}, "example": "indicator,key,value,status\n"}}}
    },
)
async def read_figures(
    session: Session,
    _principal: FiguresReader,
    period: Annotated[str, Query(max_length=30, examples=["2026-Q1"], description="The period.")],
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
    figures = await service.compute(session, team_id, area_code, area_code_year, period, indicator or [])
    if accept and "text/csv" in accept:
        return Response(service.to_csv(figures), media_type="text/csv; charset=utf-8")
    return figures
