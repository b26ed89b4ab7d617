"""Client credentials: issued, rotated, disabled and enabled by an administrator, and what each may do.

The secret is returned once and only its hash is kept. Every change is an event for the client's own
organisation, and the grant the API checks on every request (`core.clients`) follows it within seconds.
"""

import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.auth.models import ApiClient
from wijkregistratie.auth.schemas import ClientCreate, ClientRead, ClientUpdate, ClientWithSecret
from wijkregistratie.core.clients import ClientGrant
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.errors import InvalidInput, NotFound, Unauthorized
from wijkregistratie.core.etag import check_if_match, new_version
from wijkregistratie.core.pagination import paginate
from wijkregistratie.core.schemas import changes_of
from wijkregistratie.core.security import SCOPES, Principal, hash_secret, new_client_secret, verify_secret
from wijkregistratie.events.codes import EventType
from wijkregistratie.events.service import emit
from wijkregistratie.municipalities.service import known_municipality
from wijkregistratie.organisations.models import Organisation
from wijkregistratie.professionals.models import Professional
from wijkregistratie.teams.queries import known_teams

# Compared against when the client id is unknown, so a miss costs as long as a wrong secret.
_DECOY_HASH = hash_secret(secrets.token_urlsafe(16))


async def grant_of(sessions: async_sessionmaker[AsyncSession], client_id: str) -> ClientGrant | None:
    """What a client may do now; the registry the API consults on every request asks this."""
    async with sessions() as session:
        client = (await session.exec(select(ApiClient).where(ApiClient.client_id == client_id))).first()
    if client is None:
        return None
    return ClientGrant(
        client_id=client.client_id,
        organisation_id=client.organisation_id,
        scopes=frozenset(client.scopes.split()),
        coordinated_team_ids=frozenset(uuid.UUID(t) for t in client.coordinated_team_ids),
        active=client.active,
        municipality_code=client.municipality_code,
    )


async def create_client(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    name: str,
    scopes: Sequence[str],
    coordinated_team_ids: Sequence[uuid.UUID] | None = None,
    client_id: str | None = None,
    municipality_code: str | None = None,
) -> tuple[ApiClient, str]:
    """Create credentials; the secret is returned once and only its hash is kept. A client that reads
    figures is bound to one municipality and reads nothing outside it."""
    if await session.get(Organisation, organisation_id) is None:
        raise InvalidInput.field("organisationId", "unknown organisation")
    unknown = sorted(set(scopes) - SCOPES.keys())
    if unknown:
        raise InvalidInput.field("scopes", f"unknown scope {unknown[0]}")
    teams = await known_teams(session, coordinated_team_ids or [], "coordinatedTeamIds")
    await _check_municipality(session, scopes, municipality_code)
    secret = new_client_secret()
    client = ApiClient(
        client_id=client_id or f"wr-{secrets.token_hex(8)}",
        name=name,
        organisation_id=organisation_id,
        secret_hash=hash_secret(secret),
        scopes=" ".join(sorted(set(scopes))),
        coordinated_team_ids=[str(t) for t in teams],
        municipality_code=municipality_code,
    )
    session.add(client)
    await session.flush()
    _announce(session, client, EventType.client_registered)
    return client, secret


async def register(session: AsyncSession, data: ClientCreate) -> ClientWithSecret:
    client, secret = await create_client(
        session,
        data.organisation_id,
        data.name,
        [s.value for s in data.scopes],
        data.coordinated_team_ids,
        municipality_code=data.municipality_code,
    )
    return ClientWithSecret.model_validate(read(client).model_dump() | {"client_secret": secret})


def read(client: ApiClient) -> ClientRead:
    shown = client.model_dump(include=set(ClientRead.model_fields))
    return ClientRead.model_validate(shown | {"scopes": client.scopes.split()})


async def _client(session: AsyncSession, client_id: str) -> ApiClient:
    client = (await session.exec(select(ApiClient).where(ApiClient.client_id == client_id))).first()
    if client is None:
        raise NotFound("No client with this id exists.")
    return client


async def get_client(session: AsyncSession, client_id: str) -> ClientRead:
    return read(await _client(session, client_id))


async def list_clients(
    session: AsyncSession, organisation_id: uuid.UUID | None, cursor: str | None, limit: int
) -> tuple[list[ClientRead], str | None]:
    statement = select(ApiClient)
    if organisation_id:
        statement = statement.where(ApiClient.organisation_id == organisation_id)
    rows, next_cursor = await paginate(session, statement, ApiClient.created_at, ApiClient.id, cursor, limit)
    return [read(c) for c in rows], next_cursor


async def update_client(session: AsyncSession, client_id: str, data: ClientUpdate, if_match: str | None) -> ClientRead:
    """Rename a client, change its scopes or the teams it coordinates, disable it (it gets no token, and
    its tokens are refused within seconds) or enable it again."""
    client = await _client(session, client_id)
    check_if_match(if_match, client.version)
    changes = changes_of(data, nullable=("coordinated_team_ids", "municipality_code"))
    was_active = client.active
    if "name" in changes:
        client.name = changes["name"]
    if "scopes" in changes:
        client.scopes = " ".join(sorted({s.value for s in data.scopes or []}))
    if "coordinated_team_ids" in changes:
        client.coordinated_team_ids = [
            str(t) for t in await known_teams(session, data.coordinated_team_ids or [], "coordinatedTeamIds")
        ]
    if "active" in changes:
        client.active = bool(changes["active"])
    if "municipality_code" in changes:
        client.municipality_code = changes["municipality_code"]
    if changes.keys() & {"scopes", "municipality_code"}:  # disabling an unbound client stays possible
        await _check_municipality(session, client.scopes.split(), client.municipality_code)
    new_version(session, client)
    if client.active != was_active:
        _announce(session, client, EventType.client_enabled if client.active else EventType.client_disabled)
    else:
        _announce(session, client, EventType.client_changed)
    return read(client)


async def _check_municipality(session: AsyncSession, scopes: Sequence[str], municipality_code: str | None) -> None:
    if municipality_code is not None:
        await known_municipality(session, municipality_code)
    elif "figures:read" in scopes:
        raise InvalidInput.field("municipalityCode", "a client that reads figures is bound to its municipality")


async def rotate_secret(
    session: AsyncSession, client_id: str, previous_valid_seconds: int, if_match: str | None
) -> ClientWithSecret:
    """A new secret; the previous one keeps working for the given time, so the partner can switch over."""
    client = await _client(session, client_id)
    check_if_match(if_match, client.version)
    secret = new_client_secret()
    client.previous_secret_hash = client.secret_hash if previous_valid_seconds else None
    client.previous_secret_valid_until = utcnow() + timedelta(seconds=previous_valid_seconds)
    client.secret_hash = hash_secret(secret)
    new_version(session, client)
    _announce(session, client, EventType.client_secret_rotated)
    return ClientWithSecret.model_validate(read(client).model_dump() | {"client_secret": secret})


def _announce(session: AsyncSession, client: ApiClient, type_: EventType) -> None:
    # Told to the client's own organisation only: others have no business with its credentials.
    data = {"clientId": client.client_id, "organisationId": client.organisation_id, "active": client.active}
    emit(session, type_, data | {"version": client.version}, recipients={client.organisation_id})


async def authenticate_client(
    session: AsyncSession, client_id: str, client_secret: str, requested_scope: str | None, actor: str | None
) -> Principal:
    client = (await session.exec(select(ApiClient).where(ApiClient.client_id == client_id))).first()
    if not _secret_matches(client, client_secret) or client is None or not client.active:
        raise Unauthorized("The client id or secret is wrong, or the client is disabled.", error="invalid_client")
    granted = frozenset(client.scopes.split())
    scopes = frozenset(requested_scope.split()) if requested_scope else granted
    if not scopes <= granted:
        raise InvalidInput.field("scope", "asks for a scope this client does not have", code="invalid_scope")
    return Principal(
        client_id=client.client_id,
        organisation_id=client.organisation_id,
        scopes=scopes,
        coordinated_team_ids=frozenset(uuid.UUID(t) for t in client.coordinated_team_ids),
        actor_professional_id=await _actor(session, client, actor),
    )


def _secret_matches(client: ApiClient | None, secret: str) -> bool:
    """The current secret, or the previous one during its grace period; always one slow check at least."""
    if verify_secret(secret, client.secret_hash if client else _DECOY_HASH):
        return client is not None
    if client is None or client.previous_secret_hash is None or client.previous_secret_valid_until is None:
        return False
    return client.previous_secret_valid_until > utcnow() and verify_secret(secret, client.previous_secret_hash)


async def _actor(session: AsyncSession, client: ApiClient, actor: str | None) -> uuid.UUID | None:
    """The professional the partner system acts for must belong to the client's organisation."""
    if actor is None:
        return None
    try:
        professional_id = uuid.UUID(actor)
    except ValueError as exc:
        raise InvalidInput.field("actor", "not a professional id", code="invalid_request") from exc
    professional = await session.get(Professional, professional_id)
    if professional is None or professional.organisation_id != client.organisation_id:
        raise InvalidInput.field("actor", "not a professional of this client's organisation", code="invalid_request")
    return professional.id
