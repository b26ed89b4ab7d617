"""Why a file is opened (doelbinding): every read of personal data states one of these purposes."""

from enum import StrEnum

PURPOSE_HEADER = "Purpose-Of-Use"


class Purpose(StrEnum):
    care = "care"  # helping the household: the professional's own work
    coordination = "coordination"  # triage, lead professional, the team's overview
    referral = "referral"  # handing over to another organisation
    synchronisation = "synchronisation"  # a partner system keeping itself in step
    household_request = "household_request"  # answering the household's own request to see its data
    audit = "audit"  # the data protection officer's or the auditor's check
