"""The HL7 FHIR R4 adapter: a care organisation's system that speaks FHIR, kept in step with the cases
that organisation may see, and with the referrals made to it.

Push: each case, as the record shows it to the partner's organisation (need-to-know applies as to its own
reads), becomes the household as a `Group` of `Patient`s (a BSN only where the organisation may see it),
the own network as `RelatedPerson`s, the team around it as a `CareTeam` (the lead professional as a
`Practitioner`, each organisation involved as an `Organization`), an `EpisodeOfCare` with the lead as its
`careManager`, and the plan as a `CarePlan` with its `Goal`s in the household's own words (*ik wil* in
`description`, *ik kan* and *ik heb nodig* in the extensions published under `/docs/fhir/`, the household
as the goals' `expressedBy` and the plan's `author`). Each referral to the organisation is a
`ServiceRequest` and a `Task`. Every resource carries our identifier; it is created with `If-None-Exist`
on it, and updated with `If-Match` on the version the identity map (`AdapterResource`) holds, only when
what would be sent differs from what was. A referral's `Task` is the receiver's once created: it is
written again only to cancel it.

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

from wijkregistratie.adapters.base import Change, PartnerUnavailable, acting_as
from wijkregistratie.adapters.config import PartnerConfig
from wijkregistratie.adapters.mapping import MappingModel, record_as
from wijkregistratie.adapters.models import AdapterResource
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import CaseStatus, LifeDomain, ReferralOutcome, ReferralStatus
from wijkregistratie.core.errors import InvalidInput, NotFound
from wijkregistratie.core.etag import etag
from wijkregistratie.core.identifiers import BsnVault
from wijkregistratie.core.security import Principal
from wijkregistratie.referrals.schemas import ReferralStatusUpdate
from wijkregistratie.referrals.service import RECEIVER_STEPS, change_status, get_referral

FHIR_JSON = "application/fhir+json"
BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn"
PROFILES = "https://wijkregistratie.nl/fhir/StructureDefinition"
LIFE_DOMAINS = "https://wijkregistratie.nl/fhir/CodeSystem/life-domain"
OUTCOMES = "https://wijkregistratie.nl/fhir/CodeSystem/referral-outcome"
PAGES = 20
PLACEHOLDER = "urn:wijkregistratie:"  # a reference within a document, until the partner's id is known
# Our referral statuses as FHIR Task statuses, and back.
TASK_STATUS = {s: s.value.replace("_", "-") for s in ReferralStatus}
REFERRAL_STATUS = {code: status for status, code in TASK_STATUS.items()}
EPISODE_STATUS = {CaseStatus.registered: "planned", CaseStatus.active: "active", CaseStatus.closed: "finished"}
PLAN_STATUS = {CaseStatus.registered: "draft", CaseStatus.active: "active", CaseStatus.closed: "completed"}
ACTIVITY_STATUS = {"planned": "scheduled", "in_progress": "in-progress", "done": "completed", "cancelled": "cancelled"}
REQUEST_STATUS = {
    ReferralStatus.completed: "completed",
    ReferralStatus.rejected: "revoked",
    ReferralStatus.cancelled: "revoked",
}
NEEDS_REASON = {ReferralStatus.rejected, ReferralStatus.cancelled}
# Which of our identifier systems names each resource type (the second half of `<Type>/<our id>`).
SYSTEM_OF = {
    "Organization": "organisation",
    "Practitioner": "professional",
    "Patient": "member",
    "Group": "household",
    "RelatedPerson": "network",
    "CareTeam": "case",
    "EpisodeOfCare": "case",
    "CarePlan": "case",
    "Goal": "goal",
    "ServiceRequest": "referral",
    "Task": "referral",
}


class FhirMapping(MappingModel):
    """The mapping of a `fhir-r4` partner: which naming system our identifiers are in."""

    naming_system: str = Field(
        default="https://wijkregistratie.nl/fhir/NamingSystem",
        pattern=r"^https?://",
        max_length=200,
        description="The base of our identifiers' systems (`<base>/case`, `<base>/member`, ...).",
    )


def _reference(kind: str, value: Any) -> dict[str, str]:
    """A reference to another resource of the same document, resolved to the partner's id on delivery."""
    return {"reference": f"{PLACEHOLDER}{kind}/{value}"}


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
        self._learned: dict[str, AdapterResource] = {}

    def _system(self, kind: str) -> str:
        return f"{self.mapping.naming_system.rstrip('/')}/{kind}"

    def _identifier(self, kind: str, value: Any) -> list[dict[str, str]]:
        return [{"system": self._system(kind), "value": str(value)}]

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
        system = self._system("referral")
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
        data = event.get("data") or {}
        subject = str(event.get("subject") or "")
        case_id = data.get("caseId") or (subject[6:] if subject.startswith("cases/") else None)
        if case_id is None:
            return None
        record = await record_as(session, self.vault, self.partner, case_id, ["referrals"])
        resources = self._case(record) if record else []
        if record is None and data.get("referralId"):  # referred to, not yet involved: the request alone
            try:
                referral = await get_referral(session, acting_as(self.partner), uuid.UUID(str(data["referralId"])))
            except NotFound:
                return None
            resources = self._referral(referral.model_dump(mode="json", by_alias=True), None)
        if not resources:
            return None
        known = await session.exec(
            select(AdapterResource).where(
                AdapterResource.partner == self.partner.name, AdapterResource.case_id == uuid.UUID(str(case_id))
            )
        )
        kept = {k.resource: {"id": k.partner_id, "version": k.version_id, "digest": k.digest} for k in known}
        return {"caseId": str(case_id), "resources": [r | {"known": kept.get(r["key"])} for r in resources]}

    def _case(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        case_id, household, status = record["id"], record["household"], CaseStatus(record["status"])
        members = household["members"]
        head = members[0]["id"] if members else None
        resources: list[dict[str, Any]] = []
        organisations = {i["organisationId"]: i["organisationName"] for i in record["involvements"]}
        lead = record.get("leadProfessional")
        if lead:
            organisations[lead["organisationId"]] = lead["organisationName"]
        for organisation_id, name in organisations.items():
            body = {"identifier": self._identifier("organisation", organisation_id), "active": True, "name": name}
            resources.append(_entry("Organization", organisation_id, body))
        if lead:
            telecom = [
                {"system": s, "value": lead[k], "use": "work"}
                for s, k in (("phone", "phone"), ("email", "email"))
                if lead.get(k)
            ]
            body = {"identifier": self._identifier("professional", lead["professionalId"]), "active": True}
            resources.append(
                _entry(
                    "Practitioner",
                    lead["professionalId"],
                    body | {"name": [{"text": lead["name"]}], "telecom": telecom},
                )
            )
        for member in members:
            resources.append(_entry("Patient", member["id"], self._patient(member, household)))
        group = {
            "identifier": self._identifier("household", household["id"]),
            "type": "person",
            "actual": True,
            "name": f"Huishouden {household['address']['postcode']} {household['address']['houseNumber']}",
            "quantity": len([m for m in members if not m.get("leftOn")]),
            "member": [{"entity": _reference("Patient", m["id"]), "inactive": bool(m.get("leftOn"))} for m in members],
        }
        resources.append(_entry("Group", household["id"], group))
        plan = record.get("plan") or {}
        for index, contact in enumerate(plan.get("network") or []):
            if head is None:
                break
            body = {
                "identifier": self._identifier("network", f"{case_id}:{index}"),
                "active": True,
                "patient": _reference("Patient", head),
                "name": [{"text": contact["name"]}],
            }
            if contact.get("relation"):
                body["relationship"] = [{"text": contact["relation"]}]
            resources.append(_entry("RelatedPerson", f"{case_id}:{index}", body))
        resources.append(_entry("CareTeam", case_id, self._care_team(record, lead)))
        if head is not None:
            episode = {
                "identifier": self._identifier("case", case_id),
                "status": EPISODE_STATUS[status],
                "patient": _reference("Patient", head),
                "period": _period(record["openedAt"], record.get("closedAt")),
                "team": [_reference("CareTeam", case_id)],
            }
            if lead:
                episode["careManager"] = _reference("Practitioner", lead["professionalId"])
            resources.append(_entry("EpisodeOfCare", case_id, episode))
        goals = plan.get("goals") or []
        for index, goal in enumerate(goals):
            resources.append(
                _entry("Goal", f"{case_id}:{index}", self._goal(case_id, index, goal, household, head, status))
            )
        if plan:
            resources.append(_entry("CarePlan", case_id, self._care_plan(record, goals, household, head, status)))
        for referral in (record.get("referrals") or {}).get("items") or []:
            if referral["organisationId"] == str(self.partner.organisation_id):
                resources += self._referral(referral, household["id"])
        return resources

    def _patient(self, member: dict[str, Any], household: dict[str, Any]) -> dict[str, Any]:
        identifiers = self._identifier("member", member["id"])
        bsn = member.get("bsn") or ""
        if len(bsn) == 9 and bsn.isdigit():  # shown unmasked: the organisation may see it
            identifiers.append({"system": BSN_SYSTEM, "value": bsn})
        name: dict[str, Any] = {"family": member["surname"]}
        if member.get("givenNames"):
            name["given"] = member["givenNames"].split()
        address = household["address"]
        line = (
            f"{address.get('street') or ''} {address['houseNumber']}{address.get('houseNumberAddition') or ''}".strip()
        )
        body: dict[str, Any] = {
            "identifier": identifiers,
            "active": not member.get("leftOn"),
            "name": [name],
            "address": [{"use": "home", "line": [line], "postalCode": address["postcode"], "country": "NL"}],
        }
        if address.get("city"):
            body["address"][0]["city"] = address["city"]
        if member.get("dateOfBirth"):
            body["birthDate"] = member["dateOfBirth"]
        telecom = [
            {"system": s, "value": member[k]} for s, k in (("phone", "phone"), ("email", "email")) if member.get(k)
        ]
        return body | ({"telecom": telecom} if telecom else {})

    def _care_team(self, record: dict[str, Any], lead: dict[str, Any] | None) -> dict[str, Any]:
        participants = []
        if lead:
            participants.append(
                {
                    "role": [{"text": "Regisseur"}],
                    "member": _reference("Practitioner", lead["professionalId"]),
                    "onBehalfOf": _reference("Organization", lead["organisationId"]),
                }
            )
        for involvement in record["involvements"]:
            participants.append(
                {
                    "role": [{"text": involvement["role"]}],
                    "member": _reference("Organization", involvement["organisationId"]),
                    "period": _period(involvement["since"], involvement.get("until")),
                }
            )
        return {
            "identifier": self._identifier("case", record["id"]),
            "status": "inactive" if record["status"] == CaseStatus.closed else "active",
            "name": record.get("teamName") or "Buurtteam",
            "subject": _reference("Group", record["household"]["id"]),
            "participant": participants,
        }

    def _goal(
        self,
        case_id: str,
        index: int,
        goal: dict[str, Any],
        household: dict[str, Any],
        head: str | None,
        status: CaseStatus,
    ) -> dict[str, Any]:
        extensions = [
            {"url": f"{PROFILES}/{name}", "valueString": goal[key]}
            for name, key in (("goal-i-can", "iCan"), ("goal-i-need", "iNeed"))
            if goal.get(key)
        ]
        target: dict[str, Any] = {"measure": {"text": "Resultaat"}, "detailString": goal["result"]}
        if goal.get("targetDate"):
            target["dueDate"] = goal["targetDate"]
        body: dict[str, Any] = {
            "identifier": self._identifier("goal", f"{case_id}:{index}"),
            "lifecycleStatus": "completed" if status == CaseStatus.closed else "active",
            "category": [{"coding": [{"system": LIFE_DOMAINS, "code": goal["lifeDomain"]}]}],
            "description": {"text": goal["iWant"]},
            "subject": _reference("Group", household["id"]),
            "target": [target],
        }
        if head is not None:
            body["expressedBy"] = _reference("Patient", head)  # the household's own goal
        return body | ({"extension": extensions} if extensions else {})

    def _care_plan(
        self,
        record: dict[str, Any],
        goals: list[dict[str, Any]],
        household: dict[str, Any],
        head: str | None,
        status: CaseStatus,
    ) -> dict[str, Any]:
        activities = [
            {"detail": {"status": ACTIVITY_STATUS[a["status"]], "description": a["description"]}}
            for goal in goals
            for a in goal.get("activities") or []
        ]
        body: dict[str, Any] = {
            "identifier": self._identifier("case", record["id"]),
            "status": PLAN_STATUS[status],
            "intent": "plan",
            "title": "Gezamenlijk plan",
            "subject": _reference("Group", household["id"]),
            "period": _period(record["openedAt"], record.get("closedAt")),
            "careTeam": [_reference("CareTeam", record["id"])],
            "goal": [_reference("Goal", f"{record['id']}:{i}") for i in range(len(goals))],
        }
        if head is not None:
            body["author"] = _reference("Patient", head)
        return body | ({"activity": activities} if activities else {})

    def _referral(self, referral: dict[str, Any], household_id: str | None) -> list[dict[str, Any]]:
        referral_id, status = referral["id"], ReferralStatus(referral["status"])
        subject = (
            _reference("Group", household_id)
            if household_id
            else {"identifier": {"system": self._system("case"), "value": referral["caseId"]}}
        )
        requester = {"identifier": {"system": self._system("organisation"), "value": referral["fromOrganisationId"]}}
        performer = (
            _reference("Organization", referral["organisationId"])
            if household_id
            else {"identifier": {"system": self._system("organisation"), "value": referral["organisationId"]}}
        )
        request = {
            "identifier": self._identifier("referral", referral_id),
            "status": REQUEST_STATUS.get(status, "active"),
            "intent": "order",
            "subject": subject,
            "requester": requester,
            "performer": [performer],
            "reasonCode": [{"text": referral["reason"]}],
            "authoredOn": referral["createdAt"],
        }
        task = {
            "identifier": self._identifier("referral", referral_id),
            "status": TASK_STATUS[status],
            "intent": "order",
            "focus": _reference("ServiceRequest", referral_id),
            "for": subject,
            "authoredOn": referral["createdAt"],
            "requester": requester,
            "owner": performer,
        }
        return [
            _entry("ServiceRequest", referral_id, request),
            # The receiver's once it is there: written again only when the sender cancels it.
            _entry("Task", referral_id, task) | {"theirs": status != ReferralStatus.cancelled},
        ]

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
            return {"identifier": {"system": self._system(SYSTEM_OF[kind]), "value": ours}}
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


def _entry(kind: str, value: Any, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "key": f"{kind}/{value}", "body": body}


def _period(start: str, end: str | None) -> dict[str, str]:
    return {"start": start} | ({"end": end} if end else {})


def _version(resource: dict[str, Any]) -> str:
    return str((resource.get("meta") or {}).get("versionId") or "")


def _outcome(response: httpx.Response) -> str:
    """What an `OperationOutcome` says went wrong: its first issues, for the operator."""
    try:
        issues = response.json().get("issue") or []
        said = "; ".join(
            str((i.get("details") or {}).get("text") or i.get("diagnostics") or i.get("code")) for i in issues[:3]
        )
    except (ValueError, AttributeError, TypeError):
        return ""
    return f": {said[:200]}" if said else ""


EXTENSIONS = {
    "goal-i-can": ("GoalICan", "Ik kan", "What the household can do itself towards the goal, in its own words."),
    "goal-i-need": ("GoalINeed", "Ik heb nodig", "The help the household needs towards the goal, in its own words."),
}


def conformance() -> dict[str, dict[str, Any]]:
    """The definitions this adapter's resources use, published beside the mapping schemas: the Goal
    extensions for the household's own words, and the code systems of life domains and referral outcomes."""
    published: dict[str, dict[str, Any]] = {}
    for name, (title, short, description) in EXTENSIONS.items():
        published[f"StructureDefinition-{name}.json"] = {
            "resourceType": "StructureDefinition",
            "id": name,
            "url": f"{PROFILES}/{name}",
            "version": "1.0.0",
            "name": title,
            "title": short,
            "status": "active",
            "publisher": "wijkregistratie",
            "description": description,
            "fhirVersion": "4.0.1",
            "kind": "complex-type",
            "abstract": False,
            "context": [{"type": "element", "expression": "Goal"}],
            "type": "Extension",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
            "derivation": "constraint",
            "differential": {
                "element": [
                    {"id": "Extension", "path": "Extension", "short": short, "definition": description, "max": "1"},
                    {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
                    {"id": "Extension.url", "path": "Extension.url", "fixedUri": f"{PROFILES}/{name}"},
                    {"id": "Extension.value[x]", "path": "Extension.value[x]", "min": 1, "type": [{"code": "string"}]},
                ]
            },
        }
    for name, url, title, codes in (
        ("life-domain", LIFE_DOMAINS, "Levensdomeinen", [d.value for d in LifeDomain]),
        ("referral-outcome", OUTCOMES, "Uitkomst van een verwijzing", [o.value for o in ReferralOutcome]),
    ):
        published[f"CodeSystem-{name}.json"] = {
            "resourceType": "CodeSystem",
            "id": name,
            "url": url,
            "version": "1.0.0",
            "name": title.replace(" ", ""),
            "title": title,
            "status": "active",
            "publisher": "wijkregistratie",
            "content": "complete",
            "concept": [{"code": code, "display": code.replace("_", " ")} for code in codes],
        }
    return published
