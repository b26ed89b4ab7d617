"""The HL7 FHIR R4 adapter: a care organisation's system that speaks FHIR, kept in step with the cases
that organisation may see, and with the referrals made to it.

Push: each case, as the record shows it to the partner's organisation (need-to-know applies as to its own
reads), becomes resources (`fhir_resources`): the household as a `Group` of `Patient`s (a BSN only where
the organisation may see it), the own network as `RelatedPerson`s, the team around it as a `CareTeam`
(the lead professional as a `Practitioner`, each organisation involved as an `Organization`), an
`EpisodeOfCare` with the lead as its `careManager`, and the plan as a `CarePlan` with its `Goal`s in the
household's own words (*ik wil* in `description`, *ik kan* and *ik heb nodig* in the extensions
published at `/docs/schemas/fhir/`, the household as the goals' `expressedBy` and the plan's `author`).
Each referral to the organisation is a `ServiceRequest` and a `Task`. Every resource carries our
identifier; it is created with `If-None-Exist` on it, and updated with `If-Match` on the version the
identity map (`AdapterResource`) holds, only when what would be sent differs from what was. A referral's
`Task` is the receiver's once created: it is written again only to cancel it.

Pull: `Task`s carrying our referral identifier, changed since the checkpoint (`_lastUpdated`), move the
referral along the FHIR Task statuses (`received`, `accepted`, `rejected`, `in-progress`, `completed`,
`cancelled`), step by step, as the receiving organisation, with `statusReason` as the reason and the
outcome from `Task.output`.
"""

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import Field
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.adapters.base import Change, PartnerUnavailable, acting_as, case_of
from wijkregistratie.adapters.config import PartnerConfig
from wijkregistratie.adapters.fhir_resources import OUTCOMES, PLACEHOLDER, SYSTEM_OF, TASK_STATUS, CaseResources
from wijkregistratie.adapters.mapping import MappingModel, record_as
from wijkregistratie.adapters.models import AdapterResource
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import ReferralOutcome, ReferralStatus
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.etag import etag
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.security import Principal
from wijkregistratie.referrals.schemas import ReferralStatusUpdate
from wijkregistratie.referrals.service import RECEIVER_STEPS, change_status, get_referral

FHIR_JSON = "application/fhir+json"
PAGES = 20
REFERRAL_STATUS = {code: status for status, code in TASK_STATUS.items()}
NEEDS_REASON = {ReferralStatus.rejected, ReferralStatus.cancelled}


class FhirMapping(MappingModel):
    """The mapping of a `fhir-r4` partner: which naming system our identifiers are in."""

    naming_system: str = Field(
        default="https://wijkregistratie.nl/fhir/NamingSystem",
        pattern=r"^https?://",
        max_length=200,
        description="The base of our identifiers' systems (`<base>/case`, `<base>/member`, ...).",
    )


def _digest(resource: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(resource, sort_keys=True).encode()).hexdigest()


def _path_to(current: ReferralStatus, wanted: ReferralStatus) -> list[ReferralStatus]:
    """The receiver's steps from one status to another (a Task may have moved several meanwhile)."""
    if wanted == ReferralStatus.cancelled:
        return [wanted]
    paths: list[list[ReferralStatus]] = [[current]]
    while paths:
        path = paths.pop(0)
        if path[-1] == wanted:
            return path[1:]
        paths += [[*path, n] for n in sorted(RECEIVER_STEPS.get(path[-1], set())) if n not in path]
    raise InvalidInput.field("status", f"a referral cannot go from {current} to {wanted}")


class FhirAdapter:
    delivers_together = False  # each case's resources are written, and kept as written, in turn
    takes_own_changes = True  # the resources mirror the record: its own steps change what it may see

    def __init__(self, partner: PartnerConfig, mapping: FhirMapping, vault: BsnVault, client: httpx.AsyncClient):
        self.partner, self.mapping, self.vault, self.client = partner, mapping, vault, client
        self.base = (partner.base_url or "").rstrip("/")
        self.resources = CaseResources(mapping.naming_system, partner.organisation_id)
        self._learned: dict[str, AdapterResource] = {}

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"accept": FHIR_JSON, "content-type": FHIR_JSON} | kwargs.pop("headers", {})
        token = self.partner.token()
        if token:
            headers["authorization"] = f"Bearer {token}"
        try:
            response = await self.client.request(
                method, self.base + path, headers=headers, timeout=self.partner.timeout_seconds, **kwargs
            )
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(type(exc).__name__) from exc
        if response.status_code in (401, 403):
            raise PartnerUnavailable(f"refused our credentials ({response.status_code})", "refused")
        if response.status_code >= 500:
            raise PartnerUnavailable(f"answered {response.status_code}{_outcome(response)}", "failing")
        return response

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise PartnerUnavailable(f"answered {what} with something other than JSON", "garbled") from exc
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise PartnerUnavailable(f"answered {what} with something other than a FHIR resource", "garbled")
        return body

    # Pull: the receiver's steps on the Tasks of its referrals.

    async def fetch(self, since: str) -> Sequence[Change]:
        # From the checkpoint's instant on, that instant included: a Task read again is applied once.
        query: dict[str, str] | None = {"_count": "100", "_sort": "_lastUpdated"} | (
            {"_lastUpdated": f"ge{since}"} if since else {}
        )
        tasks, path = [], "/Task"
        for _ in range(PAGES):
            response = await self._call("GET", path, params=query)
            bundle = self._json(response, "a search")
            if response.status_code >= 400 or bundle["resourceType"] != "Bundle":
                raise PartnerUnavailable(f"refused a search ({response.status_code}{_outcome(response)})", "rejected")
            tasks += [e.get("resource") for e in bundle.get("entry") or [] if isinstance(e, dict)]
            following = next(
                (link.get("url") for link in bundle.get("link") or [] if link.get("relation") == "next"), None
            )
            if not following or not str(following).startswith(self.base + "/"):
                break
            path, query = str(following).removeprefix(self.base), None
        ours = [t for t in tasks if isinstance(t, dict) and self._referral_of(t) is not None]
        ours.sort(key=lambda t: str((t.get("meta") or {}).get("lastUpdated") or ""))
        return [Change(marker=str((t.get("meta") or {}).get("lastUpdated") or since), record=t) for t in ours]

    def _referral_of(self, task: dict[str, Any]) -> str | None:
        system = self.resources.system("referral")
        return next((i.get("value") for i in task.get("identifier") or [] if i.get("system") == system), None)

    async def apply(self, session: AsyncSession, principal: Principal, change: Change) -> None:
        task = change.record
        code = task.get("status")
        if code not in REFERRAL_STATUS:
            raise InvalidInput.field("Task.status", f"{code!r} is not a status a referral takes")
        try:
            referral = await get_referral(session, principal, uuid.UUID(str(self._referral_of(task))))
        except (NotFound, ValueError) as exc:
            raise InvalidInput.field("Task.identifier", "not a referral the organisation may see") from exc
        wanted = REFERRAL_STATUS[code]
        if referral.status == wanted:
            return  # known already (the same Task read again, or our own write)
        # A refusal needs a reason here; a care system that gives none has given its status.
        reason = (task.get("statusReason") or {}).get("text") or f"{code} in het eigen systeem van de organisatie"
        for step in _path_to(referral.status, wanted):
            update = ReferralStatusUpdate(
                status=step,
                reason=reason if step in NEEDS_REASON else None,
                outcome=self._outcome_of(task) if step == wanted else None,
            )
            referral = await change_status(session, principal, referral.id, update, etag(referral.version))

    def _outcome_of(self, task: dict[str, Any]) -> ReferralOutcome | None:
        for output in task.get("output") or []:
            for coding in (output.get("valueCodeableConcept") or {}).get("coding") or []:
                if coding.get("system") == OUTCOMES and coding.get("code") in ReferralOutcome.__members__:
                    return ReferralOutcome(coding["code"])
        return None

    def refused(self, change: Change, field: str, reason: str) -> None:
        """Logged by the framework: a FHIR server has no place to be told."""

    # Push: the case as resources.

    async def render(self, session: AsyncSession, event: dict[str, Any]) -> dict[str, Any] | None:
        data, case_id = event.get("data") or {}, case_of(event)
        if case_id is None:
            return None
        record = await record_as(session, self.vault, self.partner, case_id, ["referrals"])
        resources = self.resources.case(record) if record else []
        if record is None and data.get("referralId"):  # referred to, not yet involved: the request alone
            try:
                referral = await get_referral(session, acting_as(self.partner), uuid.UUID(str(data["referralId"])))
            except NotFound:
                return None
            resources = self.resources.referral(referral.model_dump(mode="json", by_alias=True), None)
        if not resources:
            return None
        known = await session.exec(
            select(AdapterResource).where(
                AdapterResource.partner == self.partner.name, AdapterResource.case_id == uuid.UUID(str(case_id))
            )
        )
        kept = {k.resource: {"id": k.partner_id, "version": k.version_id, "digest": k.digest} for k in known}
        return {"caseId": str(case_id), "resources": [r | {"known": kept.get(r["key"])} for r in resources]}

    async def deliver(self, documents: Sequence[dict[str, Any]]) -> None:
        for document in documents:
            resolved: dict[str, str] = {}
            for entry in document["resources"]:
                resource = self._resolved(entry["body"], resolved)
                kept = await self._write(document["caseId"], entry, resource)
                resolved[entry["key"]] = f"{entry['type']}/{kept.partner_id}"

    def _resolved(self, value: Any, resolved: dict[str, str]) -> Any:
        """The resource with each reference to another of the document as the partner's `Type/id`; one to
        a resource not sent (not the organisation's to see) as a logical reference by our identifier."""
        if isinstance(value, list):
            return [self._resolved(item, resolved) for item in value]
        if not isinstance(value, dict):
            return value
        reference = value.get("reference")
        if isinstance(reference, str) and reference.startswith(PLACEHOLDER):
            key = reference.removeprefix(PLACEHOLDER)
            if key in resolved:
                return {"reference": resolved[key]}
            kind, _, ours = key.partition("/")
            return {"identifier": {"system": self.resources.system(SYSTEM_OF[kind]), "value": ours}}
        return {name: self._resolved(item, resolved) for name, item in value.items()}

    async def _write(self, case_id: str, entry: dict[str, Any], resource: dict[str, Any]) -> AdapterResource:
        kind, known, digest = entry["type"], entry.get("known"), _digest(resource)
        if known and (known["digest"] == digest or entry.get("theirs")):
            return AdapterResource(
                partner=self.partner.name, resource=entry["key"], case_id=uuid.UUID(case_id), partner_id=known["id"]
            )
        if known:
            written = await self._update(kind, known["id"], known["version"], resource)
            if written is not None:
                return self._learn(case_id, entry["key"], written["id"], _version(written), digest)
        identifier = resource["identifier"][0]
        response = await self._call(
            "POST",
            f"/{kind}",
            json={"resourceType": kind} | resource,
            headers={"if-none-exist": f"identifier={identifier['system']}|{identifier['value']}"},
        )
        created = self._written(response, f"a {kind} create")
        if response.status_code == 200 and not entry.get("theirs"):  # it was there already: bring it in step
            updated = await self._update(kind, created["id"], _version(created), resource)
            created = updated or created
        return self._learn(case_id, entry["key"], created["id"], _version(created), digest)

    async def _update(
        self, kind: str, partner_id: str, version: str, resource: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The resource replaced, on the version it had; a version changed meanwhile is read and replaced
        again (ours to keep); None when the partner no longer has it."""
        for _ in range(3):
            response = await self._call(
                "PUT",
                f"/{kind}/{partner_id}",
                json={"resourceType": kind, "id": partner_id} | resource,
                headers={"if-match": f'W/"{version}"'},
            )
            if response.status_code == 404 or response.status_code == 410:
                return None
            if response.status_code != 412:
                return self._written(response, f"a {kind} update")
            current = self._written(await self._call("GET", f"/{kind}/{partner_id}"), f"a {kind} read")
            version = _version(current)
        raise PartnerUnavailable(f"changes the {kind} faster than it can be written", "failing")

    def _written(self, response: httpx.Response, what: str) -> dict[str, Any]:
        body = self._json(response, what)
        if response.status_code >= 400 or body["resourceType"] == "OperationOutcome":
            raise PartnerUnavailable(f"refused {what} ({response.status_code}{_outcome(response)})", "rejected")
        if not isinstance(body.get("id"), str):
            raise PartnerUnavailable(f"answered {what} without the resource's id", "garbled")
        return body

    def _learn(self, case_id: str, key: str, partner_id: str, version: str, digest: str) -> AdapterResource:
        kept = AdapterResource(
            partner=self.partner.name,
            resource=key,
            case_id=uuid.UUID(case_id),
            partner_id=partner_id,
            version_id=version,
            digest=digest,
        )
        self._learned[key] = kept
        return kept

    async def remember(self, session: AsyncSession) -> None:
        for key, learned in self._learned.items():
            kept = await session.get(AdapterResource, (self.partner.name, key))
            if kept is None:
                session.add(learned)
                continue
            kept.partner_id, kept.version_id, kept.digest = learned.partner_id, learned.version_id, learned.digest
            kept.updated_at = utcnow()
            session.add(kept)
        self._learned = {}


def _version(resource: dict[str, Any]) -> str:
    return str((resource.get("meta") or {}).get("versionId") or "")


def _outcome(response: httpx.Response) -> str:
    """What an `OperationOutcome` says went wrong, by its issues' codes and where (`invariant at
    Goal.target`), for the operator. Not their texts: a server may quote in them the values it refused."""
    try:
        issues = response.json().get("issue") or []
        said = "; ".join(
            str(i.get("code")) + (f" at {', '.join(map(str, i['expression']))}" if i.get("expression") else "")
            for i in issues[:3]
        )
    except (ValueError, AttributeError, TypeError):
        return ""
    return f": {said[:200]}" if said else ""
