"""The figures' titles and labels in Dutch, the language of the municipality that reads them."""

INDICATORS = {
    "signals-by-source": "Signalen naar bron",
    "signals-by-life-domain": "Signalen naar levensdomein",
    "first-contact-within-target": "Eerste contact binnen de termijn van het team",
    "waiting-list": "Wachtlijst: open signalen aan het eind van de periode, naar dagen wachten",
    "cases": "Casussen geopend, actief aan het eind van de periode en gesloten",
    "cases-closed-by-reason": "Gesloten casussen naar reden",
    "handled-by": "Gesloten casussen: afgehandeld door het team of verwezen naar specialistische zorg",
    "lead-time": "Doorlooptijd van eerste signaal tot sluiting (gesloten casussen)",
    "organisations-per-case": "Betrokken organisaties per gesloten casus",
    "self-sufficiency-change": "Verandering in zelfredzaamheid van gesloten casussen (eerste tot laatste meting)",
}

KEYS = {
    "total": "Totaal",
    # signal sources
    "general_practitioner": "Huisarts",
    "school": "School",
    "housing_corporation": "Woningcorporatie",
    "police": "Politie",
    "nuisance_desk": "Meldpunt overlast",
    "volunteer_information_point": "Vrijwilligers- en informatiepunt",
    "youth_care_report": "Melding jeugdzorg",
    "self_referral": "Eigen melding",
    "team_organisation": "Organisatie uit het team",
    # life domains
    "finances": "Financiën",
    "work_and_education": "Werk en opleiding",
    "time_use": "Tijdsbesteding",
    "housing": "Huisvesting",
    "domestic_relations": "Huiselijke relaties",
    "mental_health": "Geestelijke gezondheid",
    "physical_health": "Lichamelijke gezondheid",
    "substance_use": "Middelengebruik",
    "basic_adl": "Basale ADL",
    "instrumental_adl": "Instrumentele ADL",
    "social_network": "Sociaal netwerk",
    "social_participation": "Maatschappelijke participatie",
    "justice": "Justitie",
    # first contact
    "within_target": "Binnen de termijn",
    "late_or_never": "Te laat of nog niet",
    "share_within_target": "Aandeel binnen de termijn (%)",
    # cases
    "opened": "Geopend",
    "active_at_end": "Actief aan het eind",
    "closed": "Gesloten",
    # closure reasons
    "goal_reached": "Doel bereikt",
    "handled_by_team": "Afgehandeld door het team",
    "referred_to_specialist_care": "Verwezen naar specialistische zorg",
    "moved": "Verhuisd",
    "no_contact": "Geen contact",
    "declined_help": "Hulp geweigerd",
    "other": "Anders",
    # handled by
    "team": "Team",
    "specialist_care": "Specialistische zorg",
    "share_team": "Aandeel door het team (%)",
    # lead time
    "median": "Mediaan (dagen)",
    "p80": "80e percentiel (dagen)",
    # organisations
    "mean": "Gemiddelde",
}
CLASSES = {"improved": "verbeterd", "unchanged": "gelijk", "worsened": "verslechterd", "mean_change": "gemiddelde"}


def label(key: str) -> str:
    if key in KEYS:
        return KEYS[key]
    if key[:1].isdigit():  # bands: days waited, days to closure, organisations
        return key.replace("+", " of meer").replace("-", " tot en met ")
    return key.replace("_", " ").capitalize()
