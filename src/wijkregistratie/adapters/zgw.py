"""The ZGW adapter: the municipality's zaaksysteem (the Zaken API of *Zaakgericht werken*, 1.5) kept in
step with the cases the municipality's organisation is involved in.

Push: each case is one zaak of the configured zaaktype, found again by its `identificatie` (`WR-` and the
case's id), so it is registered once however often a push is repeated. The zaak is made to hold what the
record shows the municipality's organisation (need-to-know applies as to its own reads): `kenmerken` (the
case's id and the partner references that organisation may see), a `rol` for the lead professional (a
medewerker, with how to reach them) and one for each organisation involved (a niet-natuurlijk persoon),
the `status` for the case's status, and at closure a `resultaat` and the closing status, on which the
zaaksysteem sets `einddatum`. Each push compares first and writes only what differs, so one cut off
half-way is completed by the next, and a zaak once closed is left as it is.

Pull: zaken of the intake's zaaktype registered since the checkpoint (a date, `registratiedatum`) come in
through the mapping language every mapped kind shares (see `adapters.mapping`); a new one becomes a signal
in the team's triage queue. The record a mapping reads is flat: the zaak's `identificatie`, `omschrijving`,
`toelichting`, `registratiedatum` and `startdatum`, each kenmerk as `kenmerk:<bron>`, and the initiator's
(the resident's) `achternaam` (with its voorvoegsel), `geslachtsnaam`, `voornamen`, `geboortedatum`,
`postcode`, `huisnummer` and `huisletter`. Zaken this adapter registered are passed over.

Every call carries the ZGW JWT: HS256, signed with the secret the zaaksysteem issued with our client id,
made afresh for each call.
"""

import time
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import httpx
from jose import jwt
from pydantic import Field
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.adapters.base import Change, PartnerUnavailable, case_of
from wijkregistratie.adapters.config import PartnerConfig
from wijkregistratie.adapters.mapping import Intake, MappedAdapter, MappingModel, Outgoing
from wijkregistratie.core.clock import utcnow
from wijkregistratie.core.codes import CaseStatus, ClosureReason
from wijkregistratie.core.identifiers import BsnVault

Url = Annotated[str, Field(pattern=r"^https?://", max_length=1000)]
Rsin = Annotated[str, Field(pattern=r"^[0-9]{9}$", description="An RSIN: nine digits.")]
OURS = "wijkregistratie"  # the `bron` of the case's own kenmerk: what marks a zaak as registered here
IDENTIFICATIE = "WR-"
PAGES = 20  # pages of a list read at most in one call
KENMERK_LENGTH = 40  # the standard's longest kenmerk and bron
STATUS_TEXT = {CaseStatus.registered: "Aangemeld", CaseStatus.active: "In behandeling", CaseStatus.closed: "Afgesloten"}


class Statustypen(MappingModel):
    """The zaaktype's statustype for each status of a case; `closed` is its eindstatus."""

    registered: Url
    active: Url
    closed: Url


class Roltypen(MappingModel):
    """The zaaktype's roltypen for the lead professional and for each organisation involved."""

    lead_professional: Url
    involved: Url


class ZaakSpec(MappingModel):
    """How each case is registered as a zaak: the catalogue's types (from the municipality's Catalogi API)."""

    zaaktype: Url
    bronorganisatie: Rsin
    verantwoordelijke_organisatie: Rsin
    omschrijving: str = Field(default="Buurtteam: gezamenlijk plan", min_length=1, max_length=80)
    vertrouwelijkheidaanduiding: Literal[
        "openbaar", "beperkt_openbaar", "intern", "zaakvertrouwelijk", "vertrouwelijk", "confidentieel", "geheim"
    ] = "vertrouwelijk"
    statustypen: Statustypen
    roltypen: Roltypen
    resultaattype: Url = Field(description="The resultaat a closed case's zaak gets.")
    resultaattypen: dict[ClosureReason, Url] = Field(
        default_factory=dict, description="Another resultaattype for some reasons for closing a case."
    )


class ZgwIntake(Intake):
    """Which zaken come in, and how: their zaaktype, and the mapping of their flattened fields."""

    zaaktype: Url


class ZgwMapping(MappingModel):
    """The mapping of a `zgw` partner: how cases become zaken, and which zaken come in as signals."""

    zaak: ZaakSpec
    pull: ZgwIntake


def _holds(have: Any, want: Any) -> bool:
    """Whether what the zaaksysteem has holds every value we want (it answers more fields than we send)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(_holds(have.get(k), v) for k, v in want.items())
    return bool(have == want)


def _identity(rol: dict[str, Any]) -> tuple[str, str, str]:
    found = rol.get("betrokkeneIdentificatie") or {}
    return (
        rol.get("roltype", ""),
        rol.get("betrokkeneType", ""),
        found.get("identificatie") or found.get("annIdentificatie", ""),
    )


class ZgwAdapter(MappedAdapter):
    delivers_together = False  # each case's zaak is brought in step, and kept as such, in turn
    takes_own_changes = True  # the zaak mirrors the case, whoever changed it

    def __init__(self, partner: PartnerConfig, mapping: ZgwMapping, vault: BsnVault, client: httpx.AsyncClient):
        super().__init__(partner, mapping.pull, Outgoing(fields={}), vault)
        self.mapping, self.client = mapping, client
        self.base = (partner.base_url or "").rstrip("/")

    def _headers(self) -> dict[str, str]:
        claims = {
            "iss": self.partner.client_id,
            "iat": int(time.time()),
            "client_id": self.partner.client_id,
            "user_id": self.partner.name,
            "user_representation": OURS,
        }
        token = jwt.encode(claims, self.partner.token() or "", algorithm="HS256")
        return {"authorization": f"Bearer {token}", "accept-crs": "EPSG:4326", "content-crs": "EPSG:4326"}

    async def _call(self, method: str, where: str, **kwargs: Any) -> Any:
        """One call to the Zaken API; `where` is a path under it or one of its resources' own URLs."""
        url = where if where.startswith(("http://", "https://")) else self.base + where
        if not url.startswith(self.base + "/"):  # our token goes to the zaaksysteem, never elsewhere
            raise PartnerUnavailable("pointed to a URL outside its own API", "garbled")
        try:
            response = await self.client.request(
                method, url, headers=self._headers(), timeout=self.partner.timeout_seconds, **kwargs
            )
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(type(exc).__name__) from exc
        if response.status_code in (401, 403):
            raise PartnerUnavailable(f"refused our token ({response.status_code}{_problem(response)})", "refused")
        if 400 <= response.status_code < 500:
            raise PartnerUnavailable(f"refused a {method} ({response.status_code}{_problem(response)})", "rejected")
        if response.status_code >= 300:
            raise PartnerUnavailable(f"answered {response.status_code}", "failing")
        if response.status_code == 204:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise PartnerUnavailable("answered with something other than JSON", "garbled") from exc

    async def _list(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every item of a list, page by page (up to `PAGES` pages)."""
        items: list[dict[str, Any]] = []
        where: str | None = path
        query: dict[str, str] | None = params
        for _ in range(PAGES):
            page = await self._call("GET", where or path, params=query)
            try:
                items.extend(item for item in page["results"] if isinstance(item, dict))
                where, query = page.get("next"), None
            except (TypeError, KeyError, AttributeError) as exc:
                raise PartnerUnavailable("answered a list that is not the Zaken API's", "garbled") from exc
            if not where:
                break
        return items

    # Pull: the zaken registered there, as signals here.

    async def fetch(self, since: str) -> Sequence[Change]:
        # From the checkpoint's day on (the same day again: more may have been registered on it); the first
        # round starts on the day the partner is connected, not at the zaaksysteem's first zaak.
        first_day = date.fromisoformat(since) if since else utcnow().date()
        query = {"zaaktype": self.mapping.pull.zaaktype, "registratiedatum__gt": str(first_day - timedelta(days=1))}
        zaken = [z for z in await self._list("/zaken", query) if not self._ours(z)]
        changes = []
        for zaak in sorted(zaken, key=lambda z: str(z.get("registratiedatum") or z.get("startdatum") or "")):
            registered = zaak.get("registratiedatum") or zaak.get("startdatum")
            if not isinstance(registered, str) or not isinstance(zaak.get("url"), str):
                raise PartnerUnavailable("answered a zaak without its url or registratiedatum", "garbled")
            changes.append(Change(marker=registered, record=await self._flattened(zaak)))
        return changes

    def _ours(self, zaak: dict[str, Any]) -> bool:
        return any(isinstance(k, dict) and k.get("bron") == OURS for k in zaak.get("kenmerken") or [])

    async def _flattened(self, zaak: dict[str, Any]) -> dict[str, Any]:
        """The zaak and its initiator in one flat record, the shape a mapping reads."""
        rollen = await self._list("/rollen", {"zaak": zaak["url"], "omschrijvingGeneriek": "initiator"})
        person = next((r for r in rollen if r.get("betrokkeneType") == "natuurlijk_persoon"), {})
        identity = person.get("betrokkeneIdentificatie") or {}
        address = identity.get("verblijfsadres") or {}
        surname = " ".join(p for p in (identity.get("voorvoegselGeslachtsnaam"), identity.get("geslachtsnaam")) if p)
        record = {name: zaak.get(name) for name in ("identificatie", "omschrijving", "toelichting", "startdatum")}
        record["registratiedatum"] = zaak.get("registratiedatum")
        record |= {f"kenmerk:{k.get('bron')}": k.get("kenmerk") for k in zaak.get("kenmerken") or [] if k}
        record |= {name: identity.get(name) for name in ("geslachtsnaam", "voornamen", "geboortedatum")}
        record |= {
            "achternaam": surname or None,
            "postcode": address.get("aoaPostcode"),
            "huisnummer": address.get("aoaHuisnummer"),
            "huisletter": address.get("aoaHuisletter"),
        }
        return record

    # Push: the zaak brought in step with the case.

    async def render(self, session: AsyncSession, event: dict[str, Any]) -> dict[str, Any] | None:
        case_id = case_of(event)
        if case_id is None:
            return None  # not about a case
        record = await self._record(session, case_id)
        return None if record is None else self._zaak_of(record)

    def _zaak_of(self, record: dict[str, Any]) -> dict[str, Any]:
        """What the case's zaak should hold, from the record as the municipality's organisation sees it."""
        spec, status = self.mapping.zaak, CaseStatus(record["status"])
        kenmerken = [{"kenmerk": record["id"], "bron": OURS}] + [
            {"kenmerk": i["ownReference"], "bron": i["organisationName"][:KENMERK_LENGTH]}
            for i in record["involvements"]
            if i.get("ownReference") and len(i["ownReference"]) <= KENMERK_LENGTH
        ]
        closed_on = (record.get("closedAt") or "")[:10] or None
        resultaat = None
        if status == CaseStatus.closed:
            reason = record.get("closureReason")
            resultaat = spec.resultaattypen.get(ClosureReason(reason)) if reason else None
            resultaat = resultaat or spec.resultaattype
        return {
            "zaak": {
                "identificatie": IDENTIFICATIE + uuid.UUID(record["id"]).hex,
                "bronorganisatie": spec.bronorganisatie,
                "verantwoordelijkeOrganisatie": spec.verantwoordelijke_organisatie,
                "zaaktype": spec.zaaktype,
                "startdatum": record["openedAt"][:10],
                "omschrijving": spec.omschrijving,
                "vertrouwelijkheidaanduiding": spec.vertrouwelijkheidaanduiding,
                "kenmerken": kenmerken,
            },
            "rollen": self._rollen_of(record, closed_on),
            "status": {"statustype": getattr(spec.statustypen, status.value), "statustoelichting": STATUS_TEXT[status]},
            "resultaat": {"resultaattype": resultaat, "toelichting": record.get("closureReason") or ""}
            if resultaat
            else None,
        }

    def _rollen_of(self, record: dict[str, Any], closed_on: str | None) -> list[dict[str, Any]]:
        roltypen, rollen = self.mapping.zaak.roltypen, []
        lead = record.get("leadProfessional")
        if lead:
            contact = {"naam": lead["name"][:200], "emailadres": lead.get("email"), "telefoonnummer": lead.get("phone")}
            rollen.append(
                {
                    "roltype": roltypen.lead_professional,
                    "betrokkeneType": "medewerker",
                    "roltoelichting": f"Regisseur namens {lead['organisationName']}",
                    "betrokkeneIdentificatie": {
                        "identificatie": uuid.UUID(lead["professionalId"]).hex[:24],  # the standard's longest
                        "achternaam": lead["name"][:200],
                    },
                    "contactpersoonRol": {k: v for k, v in contact.items() if v and len(v) <= _LONGEST[k]},
                }
            )
        # Who is involved now; for a closed case, who was at its closure.
        until = closed_on or utcnow().date().isoformat()
        for involvement in record["involvements"]:
            if involvement.get("until") and involvement["until"] < until:
                continue
            rollen.append(
                {
                    "roltype": roltypen.involved,
                    "betrokkeneType": "niet_natuurlijk_persoon",
                    "roltoelichting": f"Betrokken organisatie ({involvement['role']})",
                    "betrokkeneIdentificatie": {
                        "annIdentificatie": uuid.UUID(involvement["organisationId"]).hex[:17],
                        "statutaireNaam": involvement["organisationName"],
                    },
                }
            )
        return rollen

    async def deliver(self, documents: Sequence[dict[str, Any]]) -> None:
        for document in documents:
            zaak = await self._zaak(document["zaak"])
            if zaak.get("einddatum"):
                continue  # closed in the zaaksysteem: a closed zaak is not written to
            await self._bring_rollen(zaak["url"], document["rollen"])
            await self._bring_status(zaak, document["status"], document["resultaat"])

    async def _zaak(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """The case's zaak, registered if it is not there yet; its kenmerken ours, theirs kept."""
        query = {"identificatie": wanted["identificatie"], "bronorganisatie": wanted["bronorganisatie"]}
        found = await self._list("/zaken", query)
        if not found:
            return dict(await self._call("POST", "/zaken", json=wanted))
        zaak = found[0]
        ours = {k["bron"] for k in wanted["kenmerken"]}
        theirs = [k for k in zaak.get("kenmerken") or [] if k.get("bron") not in ours]
        if _sorted(zaak.get("kenmerken") or []) != _sorted(theirs + wanted["kenmerken"]) and not zaak.get("einddatum"):
            zaak = dict(await self._call("PATCH", zaak["url"], json={"kenmerken": theirs + wanted["kenmerken"]}))
        return zaak

    async def _bring_rollen(self, zaak_url: str, wanted: list[dict[str, Any]]) -> None:
        """Our roltypen's rollen as the record has them: a rol that changed is replaced (rollen are not
        changed in place in the Zaken API); rollen of other roltypen are left alone."""
        roltypen = {self.mapping.zaak.roltypen.lead_professional, self.mapping.zaak.roltypen.involved}
        kept: set[tuple[str, str, str]] = set()
        wanted_by = {_identity(rol): rol for rol in wanted}
        for rol in await self._list("/rollen", {"zaak": zaak_url}):
            if rol.get("roltype") not in roltypen:
                continue
            identity = _identity(rol)
            if identity in wanted_by and identity not in kept and _holds(rol, wanted_by[identity]):
                kept.add(identity)
            else:
                await self._call("DELETE", rol["url"])
        for identity, rol in wanted_by.items():
            if identity not in kept:
                await self._call("POST", "/rollen", json={"zaak": zaak_url} | rol)

    async def _bring_status(
        self, zaak: dict[str, Any], wanted: dict[str, str], resultaat: dict[str, str] | None
    ) -> None:
        current = (await self._call("GET", zaak["status"])).get("statustype") if zaak.get("status") else None
        if current == wanted["statustype"]:
            return
        if resultaat and not zaak.get("resultaat"):  # the result first: the closing status ends the zaak
            await self._call("POST", "/resultaten", json={"zaak": zaak["url"]} | resultaat)
        status = {"zaak": zaak["url"], "datumStatusGezet": utcnow().isoformat()} | wanted
        await self._call("POST", "/statussen", json=status)


_LONGEST = {"naam": 200, "emailadres": 254, "telefoonnummer": 20}


def _sorted(kenmerken: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((str(k.get("bron")), str(k.get("kenmerk"))) for k in kenmerken if isinstance(k, dict))


def _problem(response: httpx.Response) -> str:
    """The invalid parameters of a ZGW error answer, by name and code: what the operator needs to fix.
    Not the reasons: a zaaksysteem may quote in them the values it refused, a person's among them."""
    try:
        problem = response.json()
        named = [f"{p['name']}: {p['code']}" for p in problem.get("invalidParams") or []][:3]
        said = "; ".join(named) or str(problem.get("code") or "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""
    return f": {said[:200]}" if said else ""
