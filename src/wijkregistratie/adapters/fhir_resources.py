"""The shared record in FHIR R4 resources, for the `fhir-r4` adapter: what a case is as the record shows it
to a partner's organisation, and the definitions (extensions, code systems) those resources use.

Each resource carries our identifier (`<naming system>/<case|member|household|...>`) and refers to the
others of the same case by a placeholder the adapter resolves to the partner's own ids as it writes them.
"""

from typing import Any

from wijkregistratie.core.codes import CaseStatus, LifeDomain, ReferralOutcome, ReferralStatus

BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn"
PROFILES = "https://wijkregistratie.nl/fhir/StructureDefinition"
LIFE_DOMAINS = "https://wijkregistratie.nl/fhir/CodeSystem/life-domain"
OUTCOMES = "https://wijkregistratie.nl/fhir/CodeSystem/referral-outcome"
PLACEHOLDER = "urn:wijkregistratie:"  # a reference within a case's resources, until the partner's id is known
# Our referral statuses as FHIR Task statuses, and back.
TASK_STATUS = {s: s.value.replace("_", "-") for s in ReferralStatus}
EPISODE_STATUS = {CaseStatus.registered: "planned", CaseStatus.active: "active", CaseStatus.closed: "finished"}
PLAN_STATUS = {CaseStatus.registered: "draft", CaseStatus.active: "active", CaseStatus.closed: "completed"}
ACTIVITY_STATUS = {"planned": "scheduled", "in_progress": "in-progress", "done": "completed", "cancelled": "cancelled"}
REQUEST_STATUS = {
    ReferralStatus.completed: "completed",
    ReferralStatus.rejected: "revoked",
    ReferralStatus.cancelled: "revoked",
}
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


def _reference(kind: str, value: Any) -> dict[str, str]:
    """A reference to another resource of the same document, resolved to the partner's id on delivery."""
    return {"reference": f"{PLACEHOLDER}{kind}/{value}"}


def _entry(kind: str, value: Any, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "key": f"{kind}/{value}", "body": body}


def _period(start: str, end: str | None) -> dict[str, str]:
    return {"start": start} | ({"end": end} if end else {})


class CaseResources:
    """A case's resources, our identifiers in `naming_system`; referrals to `organisation_id` included."""

    def __init__(self, naming_system: str, organisation_id: Any) -> None:
        self.naming_system, self.organisation_id = naming_system.rstrip("/"), organisation_id

    def system(self, kind: str) -> str:
        return f"{self.naming_system}/{kind}"

    def _identifier(self, kind: str, value: Any) -> list[dict[str, str]]:
        return [{"system": self.system(kind), "value": str(value)}]

    def case(self, record: dict[str, Any]) -> list[dict[str, Any]]:
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
            if referral["organisationId"] == str(self.organisation_id):
                resources += self.referral(referral, household["id"])
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

    def referral(self, referral: dict[str, Any], household_id: str | None) -> list[dict[str, Any]]:
        referral_id, status = referral["id"], ReferralStatus(referral["status"])
        subject = (
            _reference("Group", household_id)
            if household_id
            else {"identifier": {"system": self.system("case"), "value": referral["caseId"]}}
        )
        requester = {"identifier": {"system": self.system("organisation"), "value": referral["fromOrganisationId"]}}
        performer = (
            _reference("Organization", referral["organisationId"])
            if household_id
            else {"identifier": {"system": self.system("organisation"), "value": referral["organisationId"]}}
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
