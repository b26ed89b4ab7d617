"""Everything held about a person, in one answer (the right of access, AVG article 15)."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.errors import NotFound
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.households.models import Member
from wijkregistratie.privacy.inventory import PERSONAL_TABLES, reach, table

# Kept out of an export: keys and keyed hashes (the BSN itself is given in full), and file contents (each
# file is listed with its name, size and SHA-256, and can be downloaded on its own).
LEFT_OUT = {
    "members": {"bsn_encrypted", "bsn_hash"},
    "attachments": {"content"},
    "idempotency_keys": {"request_hash", "headers", "body"},  # the answer itself is the rest of the export
}


async def export_person(
    session: AsyncSession, vault: BsnVault, household_id: uuid.UUID, member_id: uuid.UUID
) -> dict[str, Any]:
    member = await session.get(Member, member_id)
    if member is None or member.household_id != household_id:
        raise NotFound("No person with this id lives in this household.")
    ids = await reach(session, household_id, [member.id])
    exported: dict[str, list[dict[str, Any]]] = {}
    connection = await session.connection()
    for name, entry in PERSONAL_TABLES.items():
        source = table(name)
        condition = ids.condition(source, entry)
        if condition is None:
            exported[name] = []
            continue
        columns = [c for c in source.columns if c.name not in LEFT_OUT.get(name, set())]
        ordering = list(source.primary_key.columns)
        result = await connection.execute(select(*columns).where(condition).order_by(*ordering))
        # Ids and dates are written out by the answer's model, as everywhere in the API.
        exported[name] = [dict(row._mapping) for row in result]
    if member.bsn_encrypted:
        exported["members"][0]["bsn"] = vault.decrypt(member.bsn_encrypted)
    return {"personId": member.id, "exportedAt": utcnow(), "tables": exported}
