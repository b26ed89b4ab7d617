"""The published JSON Schemas of the partners file and of each adapter kind's mapping file, beside the
API's documentation, so a partner's integrator can check a file before handing it over; and the FHIR
definitions (StructureDefinitions, CodeSystems) the FHIR adapter's resources use."""

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from wijkregistratie.adapters.kinds import schemas
from wijkregistratie.core.routes import Route

router = APIRouter(prefix="/docs/schemas", include_in_schema=False, route_class=Route)
SCHEMA_TYPE = "application/schema+json"


@router.get("/partners.json")
async def partners_schema() -> JSONResponse:
    return JSONResponse(schemas()["partners.json"], media_type=SCHEMA_TYPE)


@router.get("/mappings/{kind}.json")
async def mapping_schema(kind: str) -> JSONResponse:
    schema = schemas().get(f"mappings/{kind}.json")
    if schema is None:
        raise HTTPException(status_code=404)
    return JSONResponse(schema, media_type=SCHEMA_TYPE)


@router.get("/fhir/{name}.json")
async def fhir_definition(name: str) -> JSONResponse:
    resource = schemas().get(f"fhir/{name}.json")
    if resource is None:
        raise HTTPException(status_code=404)
    return JSONResponse(resource, media_type="application/fhir+json")
