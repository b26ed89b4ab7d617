import secrets
import uuid

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.auth.models import ApiClient
from wijkregistratie.core.errors import InvalidInput, Unauthorized
from wijkregistratie.core.security import SCOPES, Principal, hash_secret, new_client_secret, verify_secret
from wijkregistratie.professionals.models import Professional
from wijkregistratie.teams.models import Team

# Compared against when the client id is unknown, so a miss costs as long as a wrong secret.
_DECOY_HASH = hash_secret(secrets.token_urlsafe(16))


async def create_client(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    name: str,
    scopes: list[str],
    coordinated_team_ids: list[uuid.UUID] | None = None,
    client_id: str | None = None,
) -> tuple[ApiClient, str]:
    """Create credentials; the secret is returned once and only its hash is kept."""
    unknown = sorted(set(scopes) - SCOPES.keys())
    if unknown:
        raise InvalidInput.field("scopes", f"unknown scope {unknown[0]}")
    for team_id in coordinated_team_ids or []:
        if await session.get(Team, team_id) is None:
            raise InvalidInput.field("coordinatedTeamIds", f"unknown team {team_id}")
    secret = new_client_secret()
    client = ApiClient(
        client_id=client_id or f"wr-{secrets.token_hex(8)}",
        name=name,
        organisation_id=organisation_id,
        secret_hash=hash_secret(secret),
        scopes=" ".join(sorted(set(scopes))),
        coordinated_team_ids=[str(t) for t in coordinated_team_ids or []],
    )
    session.add(client)
    await session.flush()
    return client, secret


async def authenticate_client(
    session: AsyncSession, client_id: str, client_secret: str, requested_scope: str | None, actor: str | None
) -> Principal:
    client = (await session.exec(select(ApiClient).where(ApiClient.client_id == client_id))).first()
    stored = client.secret_hash if client else _DECOY_HASH
    if not verify_secret(client_secret, stored) or client is None or not client.active:
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
