"""Code lists shared across the record.

Life domains follow the thirteen domains of the self-sufficiency matrix (ZRM 2017), the
vocabulary neighbourhood teams already use to describe where a household needs help.
"""

from enum import StrEnum


class LifeDomain(StrEnum):
    finances = "finances"
    work_and_education = "work_and_education"
    time_use = "time_use"
    housing = "housing"
    domestic_relations = "domestic_relations"
    mental_health = "mental_health"
    physical_health = "physical_health"
    substance_use = "substance_use"
    basic_adl = "basic_adl"
    instrumental_adl = "instrumental_adl"
    social_network = "social_network"
    social_participation = "social_participation"
    justice = "justice"


class OrganisationKind(StrEnum):
    social_work = "social_work"
    mental_health_care = "mental_health_care"
    debt_assistance = "debt_assistance"
    district_nursing = "district_nursing"
    youth_care = "youth_care"
    housing_corporation = "housing_corporation"
    municipality = "municipality"
    general_practitioner = "general_practitioner"
    school = "school"
    police = "police"
    welfare = "welfare"
    other = "other"


class SignalSource(StrEnum):
    general_practitioner = "general_practitioner"
    school = "school"
    housing_corporation = "housing_corporation"
    police = "police"
    nuisance_desk = "nuisance_desk"
    volunteer_information_point = "volunteer_information_point"
    youth_care_report = "youth_care_report"
    self_referral = "self_referral"
    team_organisation = "team_organisation"


class ReporterKind(StrEnum):
    """Who reported a signal from outside the team."""

    general_practitioner = "general_practitioner"
    school = "school"
    police = "police"
    volunteer = "volunteer"
    resident = "resident"
    family_member = "family_member"
    neighbour = "neighbour"
    professional = "professional"
    other = "other"


class Urgency(StrEnum):
    normal = "normal"
    high = "high"
    crisis = "crisis"


class SignalStatus(StrEnum):
    open = "open"
    in_triage = "in_triage"
    accepted = "accepted"
    declined = "declined"
    forwarded = "forwarded"


class CaseStatus(StrEnum):
    registered = "registered"
    active = "active"
    closed = "closed"


class ClosureReason(StrEnum):
    goal_reached = "goal_reached"
    handled_by_team = "handled_by_team"
    referred_to_specialist_care = "referred_to_specialist_care"
    moved = "moved"
    no_contact = "no_contact"
    declined_help = "declined_help"
    other = "other"


class InvolvementRole(StrEnum):
    lead = "lead"
    carries_out = "carries_out"
    consulted = "consulted"


class LawfulBasis(StrEnum):
    statutory_task = "statutory_task"
    consent = "consent"


class MemberRole(StrEnum):
    applicant = "applicant"
    partner = "partner"
    child = "child"
    parent = "parent"
    other_adult = "other_adult"
    other = "other"


class HandledBy(StrEnum):
    team = "team"
    specialist_care = "specialist_care"


class TriageActionKind(StrEnum):
    claimed = "claimed"
    taken_up = "taken_up"
    first_contact_planned = "first_contact_planned"
    first_contact_made = "first_contact_made"
    accepted = "accepted"
    declined = "declined"
    forwarded = "forwarded"


class MatchTrigger(StrEnum):
    signal = "signal"
    involvement = "involvement"


class MatchRelation(StrEnum):
    """How the organisation already there knows the household."""

    involved_in_open_case = "involved_in_open_case"
    reported_open_signal = "reported_open_signal"
    former_lead = "former_lead"


class AssessmentKind(StrEnum):
    measured = "measured"
    target = "target"


class JournalKind(StrEnum):
    home_visit = "home_visit"
    phone = "phone"
    meeting = "meeting"
    case_discussion = "case_discussion"
    note = "note"


class JournalVisibility(StrEnum):
    own_organisation = "own_organisation"
    all_involved = "all_involved"


class ReferralStatus(StrEnum):
    requested = "requested"
    received = "received"
    accepted = "accepted"
    rejected = "rejected"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"


class ReferralOutcome(StrEnum):
    got_help = "got_help"
    not_eligible = "not_eligible"
    no_capacity = "no_capacity"
    could_not_make_contact = "could_not_make_contact"
