"""A deterministic demo neighbourhood in Rotterdam-Zuid, built through the services so every rule holds.

Two teams, ten organisations, 120 households over the past ten months, signals from several sources,
open and closed cases with plans, enough for the figures to show real numbers. Running it again on a
seeded database issues fresh secrets for the demo clients (outside production), so `make run` always
prints credentials that work.
"""

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from wijkregistratie.assessments.schemas import AssessmentCreate, DomainScore
from wijkregistratie.assessments.service import add_assessment
from wijkregistratie.auth.models import ApiClient
from wijkregistratie.auth.service import create_client
from wijkregistratie.cases import service as cases
from wijkregistratie.cases.models import Case
from wijkregistratie.cases.schemas import CLOSURE_HANDLED_BY, CaseClose, CaseOpen, LeadAssign
from wijkregistratie.core.codes import (
    AssessmentKind,
    ClosureReason,
    HandledBy,
    JournalKind,
    JournalVisibility,
    LawfulBasis,
    LifeDomain,
    OrganisationKind,
    ReferralStatus,
    SignalSource,
)
from wijkregistratie.core.etag import etag
from wijkregistratie.core.identifiers import BsnVault, is_valid_bsn
from wijkregistratie.core.security import SCOPES, Principal, hash_secret, new_client_secret
from wijkregistratie.core.settings import Settings
from wijkregistratie.figures.rollups import refresh as refresh_figures
from wijkregistratie.households.schemas import Address, MemberCreate
from wijkregistratie.journal.schemas import JournalEntryCreate
from wijkregistratie.journal.service import add_entry
from wijkregistratie.municipalities.schemas import MunicipalityCreate
from wijkregistratie.municipalities.service import create_municipality
from wijkregistratie.organisations.schemas import OrganisationCreate
from wijkregistratie.organisations.service import create_organisation
from wijkregistratie.plans.schemas import (
    Activity,
    ActivityStatus,
    Goal,
    NetworkContribution,
    Performer,
    PlanContent,
)
from wijkregistratie.plans.service import save_plan
from wijkregistratie.professionals.schemas import ProfessionalCreate
from wijkregistratie.professionals.service import create_professional
from wijkregistratie.referrals.schemas import ReferralCreate, ReferralStatusUpdate
from wijkregistratie.referrals.service import change_status, create_referral
from wijkregistratie.services.schemas import ServiceWrite
from wijkregistratie.services.service import create_service
from wijkregistratie.signals import triage
from wijkregistratie.signals.models import Signal
from wijkregistratie.signals.schemas import FirstContact, HouseholdReference, SignalClaim, SignalCreate
from wijkregistratie.signals.service import register_signal
from wijkregistratie.teams.schemas import TeamCreate
from wijkregistratie.teams.service import create_team

MUNICIPALITY = "GM0599"
HOUSEHOLDS = 120
WAITING = 15  # the last households still wait in the triage queue
TEAMS = {
    "Buurtteam Feijenoord": ("WK059915", ["BU05991501", "BU05991502", "BU05991503"], "307"),
    "Buurtteam Charlois": ("WK059916", ["BU05991601", "BU05991602", "BU05991603"], "308"),
}
ORGANISATIONS: list[tuple[str, OrganisationKind, str, bool]] = [
    ("Welzijn Maasstad", OrganisationKind.social_work, "Sanne de Vries", True),
    ("GGZ Maasoever", OrganisationKind.mental_health_care, "Karim Bouali", True),
    ("Schuldhulp Zuid", OrganisationKind.debt_assistance, "Fatima el Amrani", True),
    ("Zorg Thuis Zuid", OrganisationKind.district_nursing, "Ingrid Bakker", True),
    ("Jeugdhulp Rijnmond", OrganisationKind.youth_care, "Daan Visser", True),
    ("Woongoed Maasoever", OrganisationKind.housing_corporation, "Peter Smit", True),
    ("Gemeente Rotterdam", OrganisationKind.municipality, "Esther Mulder", True),
    ("Huisartsenpraktijk Hillevliet", OrganisationKind.general_practitioner, "Dr. R. Kok", False),
    ("Basisschool De Regenboog", OrganisationKind.school, "Marieke Peters", False),
    ("Politie Rotterdam-Zuid", OrganisationKind.police, "Wijkagent Bos", False),
]
STREETS = {
    "307": ["Hillevliet", "Putselaan", "Oranjeboomstraat", "Beijerlandselaan", "Hilledijk"],
    "308": ["Dorpsweg", "Wolphaertsbocht", "Charloisse Lagedijk", "Boergoensevliet", "Pleinweg"],
}
SURNAMES = [
    "Jansen",
    "de Vries",
    "Yilmaz",
    "El Idrissi",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "Pinas",
    "Kartosen",
    "Nguyen",
    "Kowalski",
    "Demir",
    "van Dijk",
    "Hoekstra",
    "Martina",
    "Bouzid",
    "Sedney",
]
GIVEN = [
    "Anouk",
    "Mohamed",
    "Fatma",
    "Johan",
    "Priya",
    "Kevin",
    "Latifa",
    "Gerrit",
    "Samira",
    "Dewi",
    "Marek",
    "Naima",
    "Ricardo",
    "Ingrid",
    "Yusuf",
    "Shirley",
    "Bram",
    "Esra",
    "Lucas",
    "Noor",
]
CONCERNS = {
    LifeDomain.finances: "Huurachterstand en post die niet wordt geopend.",
    LifeDomain.housing: "Overlast en vervuiling in de woning gemeld door buren.",
    LifeDomain.mental_health: "Bewoner lijkt somber en zegt afspraken af.",
    LifeDomain.domestic_relations: "Spanningen thuis, kinderen vaak laat op school.",
    LifeDomain.social_network: "Oudere bewoner is vereenzaamd, weinig bezoek.",
    LifeDomain.physical_health: "Valpartijen en moeite met de trap.",
    LifeDomain.time_use: "Jongvolwassene zonder dagbesteding.",
}
SERVICES: list[tuple[str, str, list[LifeDomain], str]] = [
    ("Schuldhulp Zuid", "Schuldhulpmaatje", [LifeDomain.finances], "Een vrijwilliger helpt een jaar met de post."),
    ("Schuldhulp Zuid", "Budgetcoaching", [LifeDomain.finances], "Samen een weekbudget maken en volhouden."),
    ("GGZ Maasoever", "Inloop GGZ", [LifeDomain.mental_health], "Zonder afspraak binnenlopen voor een gesprek."),
    (
        "Welzijn Maasstad",
        "Huiskamer van de wijk",
        [LifeDomain.social_network, LifeDomain.time_use],
        "Elke ochtend koffie, activiteiten en een luisterend oor.",
    ),
    (
        "Zorg Thuis Zuid",
        "Wijkverpleging",
        [LifeDomain.physical_health, LifeDomain.basic_adl],
        "Verpleging en persoonlijke verzorging thuis.",
    ),
    (
        "Jeugdhulp Rijnmond",
        "Opvoedsteunpunt",
        [LifeDomain.domestic_relations],
        "Vragen over opvoeden en opgroeien, voor ouders en jongeren.",
    ),
    (
        "Woongoed Maasoever",
        "Huurincasso op maat",
        [LifeDomain.housing, LifeDomain.finances],
        "Vroegsignalering van huurachterstand en een regeling op maat.",
    ),
]
ZRM_2017_DOMAINS = ["finances", "housing", "mental_health", "social_network", "time_use", "domestic_relations"]
SOURCES = [
    SignalSource.housing_corporation,
    SignalSource.general_practitioner,
    SignalSource.school,
    SignalSource.police,
    SignalSource.self_referral,
    SignalSource.volunteer_information_point,
    SignalSource.nuisance_desk,
    SignalSource.team_organisation,
]
DEMO_CLIENTS: dict[str, tuple[str, str, list[str], bool]] = {
    # role: (client id, organisation, scopes, coordinates the first team)
    "partner": ("demo-woongoed", "Woongoed Maasoever", ["record:read", "record:write"], False),
    "ggz": ("demo-ggz", "GGZ Maasoever", ["record:read", "record:write"], False),
    "coordinator": (
        "demo-coordinator",
        "Welzijn Maasstad",
        ["record:read", "record:write", "bsn:read"],
        True,
    ),
    "municipality": ("demo-gemeente", "Gemeente Rotterdam", ["figures:read"], False),
    "admin": ("demo-admin", "Gemeente Rotterdam", ["admin"], False),
    # The municipality's privacy desk: households' requests to see or erase their data, and who looked.
    "privacy": ("demo-privacy", "Gemeente Rotterdam", ["rights:handle", "audit:read"], False),
}


def _bsn(rng: random.Random) -> str:
    while True:
        candidate = f"{rng.randrange(10**8, 10**9):09d}"
        if is_valid_bsn(candidate):
            return candidate


async def seed_demo(session: AsyncSession, settings: Settings) -> dict[str, dict[str, str]]:
    existing = (await session.exec(select(ApiClient).where(ApiClient.client_id == "demo-admin"))).first()
    if existing is not None:
        return await _rotate_demo_secrets(session, settings)
    rng = random.Random(2026)  # the same neighbourhood every time
    vault = BsnVault(settings)
    admin = Principal(client_id="seed", organisation_id=uuid.uuid4(), scopes=frozenset(SCOPES))

    await create_municipality(session, MunicipalityCreate(code=MUNICIPALITY, name="Rotterdam"))
    organisations = {}
    for name, kind, contact, _ in ORGANISATIONS:
        slug = name.lower().replace(" ", "").replace(".", "")[:20]
        organisations[name] = await create_organisation(
            session,
            OrganisationCreate(
                name=name,
                kind=kind,
                contact_name=contact,
                contact_phone=f"010-{rng.randrange(1000000, 9999999)}",
                contact_email=f"wijkteam@{slug}.example",
            ),
        )
    team_members = [organisations[name].id for name, _, _, in_team in ORGANISATIONS if in_team]
    teams = {}
    for team_name, (district, _, _) in TEAMS.items():
        teams[team_name] = await create_team(
            session,
            TeamCreate(
                name=team_name,
                municipality_code=MUNICIPALITY,
                area_codes=[district],
                organisation_ids=team_members,
            ),
        )

    professionals: dict[str, list[Any]] = {t: [] for t in TEAMS}
    for team_name, team in teams.items():
        for name, _, _, in_team in ORGANISATIONS:
            if not in_team:
                continue
            for _ in range(2):
                person = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
                professionals[team_name].append(
                    await create_professional(
                        session,
                        admin,
                        ProfessionalCreate(
                            organisation_id=organisations[name].id,
                            name=person,
                            email=f"{person.split()[0].lower()}@{name.split()[0].lower()}.example",
                            phone=f"06-{rng.randrange(10000000, 99999999)}",
                            expertise=rng.sample(list(CONCERNS), 2),
                            team_ids=[team.id],
                        ),
                    )
                )

    def principal_of(organisation_name: str, coordinates: uuid.UUID | None = None) -> Principal:
        return Principal(
            client_id="seed",
            organisation_id=organisations[organisation_name].id,
            scopes=frozenset({"record:read", "record:write", "bsn:read"}),
            coordinated_team_ids=frozenset({coordinates} if coordinates else set()),
        )

    # Organisations in the teams register signals; a GP, school or police officer calls the team, and is
    # the signal's source.
    reporters = [name for name, _, _, in_team in ORGANISATIONS if in_team and name != "Gemeente Rotterdam"]
    now = datetime.now(UTC)
    for number in range(HOUSEHOLDS):
        team_name = list(TEAMS)[number % 2]
        _, buurten, postcode_prefix = TEAMS[team_name]
        team = teams[team_name]
        surname = rng.choice(SURNAMES)
        members = [
            MemberCreate(
                given_names=f"{rng.choice(GIVEN)}",
                surname=surname,
                role="applicant",
                date_of_birth=date(rng.randrange(1940, 2002), rng.randrange(1, 13), rng.randrange(1, 29)),
                bsn=_bsn(rng) if rng.random() < 0.8 else None,
            )
        ]
        for _ in range(rng.randrange(0, 4)):
            members.append(
                MemberCreate(
                    given_names=rng.choice(GIVEN),
                    surname=surname,
                    role=rng.choice(["partner", "child", "child"]),
                    date_of_birth=date(rng.randrange(1970, 2024), rng.randrange(1, 13), rng.randrange(1, 29)),
                )
            )
        address = Address(
            postcode=f"{postcode_prefix}{rng.randrange(1, 9)}{rng.choice('BCEGHJKL')}{rng.choice('ABEGHKLNRTX')}",
            house_number=rng.randrange(1, 240),
            street=rng.choice(STREETS[postcode_prefix]),
            city="Rotterdam",
            buurt_code=rng.choice(buurten),
        )
        reporter = rng.choice(reporters)
        domains = rng.sample(list(CONCERNS), rng.randrange(1, 3))
        registered = await register_signal(
            session,
            vault,
            principal_of(reporter),
            SignalCreate(
                household=HouseholdReference(address=address, members=members),
                team_id=team.id,
                source=rng.choice(SOURCES),
                life_domains=domains,
                description=CONCERNS[domains[0]],
                urgency="high" if rng.random() < 0.15 else "normal",
                resident_aware=rng.random() < 0.7,
            ),
        )
        coordinator = principal_of("Welzijn Maasstad", team.id)
        # Spread the history over the past months, so waiting times, lead times and trends mean something.
        signal_row = (await session.exec(select(Signal).where(Signal.id == registered.id))).one()
        waiting = number >= HOUSEHOLDS - WAITING
        signal_row.registered_at = now - timedelta(days=rng.randrange(0, 40) if waiting else rng.randrange(30, 320))
        if number >= HOUSEHOLDS - WAITING:
            # The last ten households wait in the triage queue; some already have a pair and a first contact.
            if number % 2 == 0:
                pair = rng.sample(professionals[team_name], 2)
                await triage.claim(
                    session,
                    coordinator,
                    registered.id,
                    SignalClaim(professional_ids=[p.id for p in pair], planned_first_contact_on=date.today()),
                    etag(signal_row.version),
                )
                if number % 4 == 0:
                    await triage.record_first_contact(
                        session,
                        coordinator,
                        registered.id,
                        FirstContact(contacted_on=date.today()),
                        etag(signal_row.version),
                    )
            continue
        case = await cases.open_case(
            session,
            coordinator,
            CaseOpen(
                household_id=registered.household_id,
                signal_ids=[registered.id],
                basis=LawfulBasis.statutory_task,
                basis_reference="Wmo 2015 art. 2.3.2",
                own_reference=f"WM-{2026_000 + number}",
            ),
        )
        lead = rng.choice(professionals[team_name])
        lead_org = next(n for n, o in organisations.items() if o.id == lead.organisation_id)
        _, version = await cases.assign_lead(
            session, coordinator, case.id, LeadAssign(professional_id=lead.id), etag(case.version)
        )
        plan = PlanContent(
            goals=[
                Goal(
                    life_domain=domains[0],
                    i_want="Dat het thuis weer rustig en overzichtelijk wordt.",
                    i_can="Afspraken nakomen als ze op de kalender staan.",
                    i_need="Iemand die meedenkt.",
                    result="Binnen drie maanden een vaste weekstructuur.",
                    target_date=date.today() + timedelta(days=90),
                    activities=[
                        Activity(
                            description="Wekelijks huisbezoek",
                            due_date=date.today() + timedelta(days=14),
                            performer=Performer(kind="professional", professional_id=lead.id),
                        )
                    ],
                )
            ],
            network=[NetworkContribution(name="Buurvrouw", relation="buur", contribution="Doet boodschappen.")],
            agreed_date=date.today(),
            evaluation_date=date.today() + timedelta(days=60),
        )
        saved = await save_plan(session, principal_of(lead_org), case.id, plan, None, "*")
        if number % 3 == 0:
            plan.goals[0].activities[0].status = ActivityStatus.in_progress
            await save_plan(session, principal_of(lead_org), case.id, plan, etag(saved.version))
        await _work_the_case(session, rng, case.id, lead, principal_of(lead_org), organisations)
        if number % 5 == 1:
            # A second organisation comes to a household the team already helps: both hear of each other.
            other = rng.choice([n for n in reporters if n != lead_org])
            await register_signal(
                session,
                vault,
                principal_of(other),
                SignalCreate(
                    household=HouseholdReference(id=None, address=address),
                    team_id=team.id,
                    source=SignalSource.team_organisation,
                    life_domains=[domains[0]],
                    description="Zorgen gemeld door een tweede organisatie.",
                    resident_aware=True,
                ),
            )
        registered_on = signal_row.registered_at
        signal_row.first_contact_on = (registered_on + timedelta(days=rng.choice([1, 1, 2, 2, 3, 3, 4, 6]))).date()
        case_row = (await session.exec(select(Case).where(Case.id == case.id))).one()
        case_row.opened_at = registered_on + timedelta(days=rng.randrange(1, 4))
        signal_row.triaged_at = case_row.opened_at
        if number % 2 == 0:
            reason = rng.choice(
                [ClosureReason.handled_by_team] * 5
                + [ClosureReason.goal_reached] * 3
                + [ClosureReason.referred_to_specialist_care] * 2
            )
            await cases.close_case(
                session,
                coordinator,
                case.id,
                CaseClose(
                    reason=reason,
                    handled_by=CLOSURE_HANDLED_BY.get(reason, HandledBy.team),
                    learning_note="Vaste contactpersoon en korte lijnen met de corporatie werkten goed.",
                ),
                etag(version),
            )
            span = max(5, (now - case_row.opened_at).days - 1)
            case_row.closed_at = case_row.opened_at + timedelta(days=rng.randrange(min(5, span), span + 1))

    for name, service_name, domains_offered, description in SERVICES:
        await create_service(
            session,
            admin,
            ServiceWrite(
                organisation_id=organisations[name].id,
                name=service_name,
                description=description,
                life_domains=domains_offered,
                area_codes=[MUNICIPALITY],
                pc4_areas=["3071", "3072", "3073", "3081", "3082", "3083"],
                eligibility="Inwoners van Rotterdam-Zuid; aanmelden via het buurtteam of zelf.",
                phone=f"010-{rng.randrange(1000000, 9999999)}",
            ),
        )

    credentials = {}
    for role, (client_id, organisation_name, scopes, coordinates) in DEMO_CLIENTS.items():
        team_ids = [teams["Buurtteam Feijenoord"].id] if coordinates else []
        _, secret = await create_client(
            session,
            organisations[organisation_name].id,
            f"Demo {role}",
            scopes,
            team_ids,
            client_id=client_id,
            municipality_code=MUNICIPALITY if "figures:read" in scopes else None,
        )
        credentials[role] = {"client_id": client_id, "client_secret": secret}
    await session.flush()
    await refresh_figures(session)  # the dashboard shows the demo at once
    return credentials


async def _work_the_case(
    session: AsyncSession,
    rng: random.Random,
    case_id: uuid.UUID,
    lead: Any,
    lead_principal: Principal,
    organisations: dict[str, Any],
) -> None:
    """What a team records along the way: assessments, journal, a consent and sometimes a referral."""
    domains = rng.sample(ZRM_2017_DOMAINS, 3)
    first = {d: rng.randrange(1, 4) for d in domains}
    await add_assessment(
        session,
        lead_principal,
        case_id,
        AssessmentCreate(
            instrument="zrm",
            instrument_version="2017",
            kind=AssessmentKind.measured,
            assessed_on=date.today() - timedelta(days=60),
            assessor_professional_id=lead.id,
            scores=[DomainScore(domain=d, score=s) for d, s in first.items()],
        ),
    )
    await add_assessment(
        session,
        lead_principal,
        case_id,
        AssessmentCreate(
            instrument="zrm",
            instrument_version="2017",
            kind=AssessmentKind.measured,
            assessed_on=date.today(),
            assessor_professional_id=lead.id,
            scores=[DomainScore(domain=d, score=min(5, s + rng.randrange(0, 3))) for d, s in first.items()],
        ),
    )
    await add_entry(
        session,
        lead_principal,
        case_id,
        JournalEntryCreate(
            kind=JournalKind.home_visit,
            occurred_at=datetime.now(UTC) - timedelta(days=30),
            participants=["bewoner", lead.name],
            text="Eerste huisbezoek: kennismaking en afspraken over de aanpak.",
            visibility=JournalVisibility.all_involved,
        ),
    )
    if rng.random() < 0.3:
        debt = organisations["Schuldhulp Zuid"]
        referral = await create_referral(
            session,
            lead_principal,
            case_id,
            ReferralCreate(
                organisation_id=debt.id,
                reason="Schulden; een betalingsregeling is nodig.",
                basis=LawfulBasis.statutory_task,
                basis_reference="Wet gemeentelijke schuldhulpverlening",
            ),
        )
        receiver = Principal(
            client_id="seed", organisation_id=debt.id, scopes=frozenset({"record:read", "record:write"})
        )
        steps = [ReferralStatus.received, ReferralStatus.accepted, ReferralStatus.in_progress]
        version = referral.version
        for step in steps[: rng.randrange(0, 4)]:
            update = ReferralStatusUpdate(status=step)
            version = (await change_status(session, receiver, referral.id, update, etag(version))).version


async def _rotate_demo_secrets(session: AsyncSession, settings: Settings) -> dict[str, dict[str, str]]:
    if settings.environment == "production":
        return {}
    credentials = {}
    for role, (client_id, *_rest) in DEMO_CLIENTS.items():
        client = (await session.exec(select(ApiClient).where(ApiClient.client_id == client_id))).first()
        if client is None:
            continue
        secret = new_client_secret()
        client.secret_hash = hash_secret(secret)
        session.add(client)
        credentials[role] = {"client_id": client_id, "client_secret": secret}
    await session.flush()
    return credentials
