from enum import StrEnum

PREFIX = "nl.wijkregistratie."


class EventType(StrEnum):
    """Every kind of change the record announces. `data` carries ids and what changed, no free text."""

    signal_registered = PREFIX + "signal.registered"
    signal_status_changed = PREFIX + "signal.status-changed"
    signal_feedback_due = PREFIX + "signal.feedback-due"
    case_opened = PREFIX + "case.opened"
    case_snapshot = PREFIX + "case.snapshot"
    case_closed = PREFIX + "case.closed"
    involvement_started = PREFIX + "involvement.started"
    involvement_changed = PREFIX + "involvement.changed"
    lead_professional_changed = PREFIX + "lead-professional.changed"
    plan_updated = PREFIX + "plan.updated"
    referral_requested = PREFIX + "referral.requested"
    referral_status_changed = PREFIX + "referral.status-changed"
    journal_entry_added = PREFIX + "journal.entry-added"
    assessment_recorded = PREFIX + "assessment.recorded"
    consent_recorded = PREFIX + "consent.recorded"
    consent_withdrawn = PREFIX + "consent.withdrawn"
    attachment_added = PREFIX + "attachment.added"
    household_erased = PREFIX + "household.erased"
    organisation_registered = PREFIX + "organisation.registered"
    team_registered = PREFIX + "team.registered"
    professional_registered = PREFIX + "professional.registered"
    service_registered = PREFIX + "service.registered"
    service_changed = PREFIX + "service.changed"
    client_registered = PREFIX + "client.registered"
    client_changed = PREFIX + "client.changed"
    client_disabled = PREFIX + "client.disabled"
    client_enabled = PREFIX + "client.enabled"
    client_secret_rotated = PREFIX + "client.secret-rotated"
    municipality_registered = PREFIX + "municipality.registered"
    organisation_changed = PREFIX + "organisation.changed"
    team_changed = PREFIX + "team.changed"
    team_organisation_joined = PREFIX + "team.organisation-joined"
    team_organisation_left = PREFIX + "team.organisation-left"
    professional_changed = PREFIX + "professional.changed"
    professional_left = PREFIX + "professional.left"
    household_corrected = PREFIX + "household.corrected"
    member_added = PREFIX + "member.added"
    member_corrected = PREFIX + "member.corrected"
    match_found = PREFIX + "match.found"
    match_contact_recorded = PREFIX + "match.contact-recorded"
    plan_evaluation_due = PREFIX + "plan.evaluation-due"
    plan_activity_due = PREFIX + "plan.activity-due"
    signal_first_contact_due = PREFIX + "signal.first-contact-due"
    referral_unanswered = PREFIX + "referral.unanswered"
    instrument_registered = PREFIX + "assessment-instrument.registered"
    instrument_retired = PREFIX + "assessment-instrument.retired"
    webhook_stopped = PREFIX + "webhook-subscription.stopped"


DESCRIPTIONS = {
    EventType.signal_registered: "A signal came in: its id, household, team, source, life domains and urgency.",
    EventType.signal_feedback_due: "The team decided on a signal whose outside reporter wants to hear back.",
    EventType.signal_status_changed: "Triage moved a signal on: claimed, first contact, accepted, declined, forwarded.",
    EventType.case_opened: "A case was opened for a household.",
    EventType.case_snapshot: "Sent to an organisation that becomes involved, before the changes that follow: "
    "the case as it stands.",
    EventType.case_closed: "A case was closed, with its reason.",
    EventType.involvement_started: "An organisation became involved in a case.",
    EventType.involvement_changed: "An involvement changed role or basis, or ended.",
    EventType.lead_professional_changed: "A case got a (new) lead professional.",
    EventType.plan_updated: "A new version of the plan was saved.",
    EventType.referral_requested: "One organisation referred a case to another.",
    EventType.referral_status_changed: "A referral was accepted, rejected, completed or cancelled.",
    EventType.journal_entry_added: "A journal entry was added; sent to those who may read it.",
    EventType.assessment_recorded: "A self-sufficiency assessment was recorded.",
    EventType.consent_recorded: "A household member's consent was recorded.",
    EventType.consent_withdrawn: "A consent was withdrawn.",
    EventType.attachment_added: "A document was attached to a case.",
    EventType.household_erased: "A household's file was erased, on its request or after the retention period: "
    "its cases and signals. Erase your own copies too (AVG art. 19).",
    EventType.organisation_registered: "An organisation joined the directory (sent to every organisation).",
    EventType.team_registered: "A neighbourhood team was set up (sent to every organisation).",
    EventType.professional_registered: "A professional joined the directory (sent to every organisation).",
    EventType.service_registered: "A service was added to the service directory (sent to every organisation).",
    EventType.service_changed: "A service in the service directory changed (sent to every organisation).",
    EventType.client_registered: "Credentials were issued for one of your organisation's systems.",
    EventType.client_changed: "One of your organisation's clients was renamed or got other scopes or teams.",
    EventType.client_disabled: "One of your organisation's clients was disabled: it gets no more tokens.",
    EventType.client_enabled: "One of your organisation's clients was enabled again.",
    EventType.client_secret_rotated: "A client's secret was rotated; the previous one works for a grace period.",
    EventType.municipality_registered: "A municipality was added to the deployment (sent to every organisation).",
    EventType.organisation_changed: "An organisation's name, identifiers or contact person changed (to everyone).",
    EventType.team_changed: "A team's name, area or first-contact target changed (sent to every organisation).",
    EventType.team_organisation_joined: "An organisation joins a team from a day on (sent to every organisation).",
    EventType.team_organisation_left: "An organisation leaves a team after a day (sent to every organisation).",
    EventType.professional_changed: "A professional's teams, expertise or contact changed (to every organisation).",
    EventType.professional_left: "A professional leaves: no assignments after that day; their leads are handed over.",
    EventType.household_corrected: "A household's address or contact details were corrected: which fields, no values.",
    EventType.member_added: "A member was added to a household: its id, no personal data.",
    EventType.member_corrected: "A member's name, date of birth or contact was corrected, or they left: which fields.",
    EventType.match_found: "Your organisation and another are around the same household: the match says whom to "
    "call, never why (sent to both and the team's coordinator).",
    EventType.match_contact_recorded: "The two organisations of a match recorded that they spoke.",
    EventType.plan_evaluation_due: "A plan's evaluation date has come (once, on that day): for the lead and the team.",
    EventType.plan_activity_due: "A plan activity that is not done reached its date: which goal and activity.",
    EventType.signal_first_contact_due: "A signal reached the team's first-contact deadline without a first contact.",
    EventType.referral_unanswered: "A referral had no answer within the team's number of days.",
    EventType.instrument_registered: "An assessment instrument (or a new version) was added (to every organisation).",
    EventType.instrument_retired: "An assessment instrument is retired from a day on (to every organisation).",
    EventType.webhook_stopped: "One of your webhook subscriptions stopped: its callback answered 410 Gone "
    "(`disabled`) or failed for longer than the retry window (`suspended`); what waited was dead-lettered.",
}
