"""Every model, imported once here so that Alembic and the app see the whole schema."""

from confman.db.models.accounts import (
    AccountToken,
    AccountTokenPurpose,
    ApiToken,
    ConferenceMember,
    MemberRole,
    User,
)
from confman.db.models.attendance import (
    AttendeeLink,
    SeatStatus,
    SessionAttendance,
    SessionFollow,
    SessionReminder,
    SessionSeat,
)
from confman.db.models.audit import AuditRecord
from confman.db.models.conferences import Conference, ConferenceStatus, Stream, Track
from confman.db.models.events import PAYLOAD_VERSION, PUBLIC_EVENTS, Event, OutboxEvent
from confman.db.models.mail import MailStatus, OutboxMail
from confman.db.models.messages import AttendeeMessage
from confman.db.models.news import Announcement, AnnouncementSending, AnnouncementStatus
from confman.db.models.programme import (
    ConferenceSession,
    SessionKind,
    SessionSpeaker,
    SessionStatus,
    SpeakerRole,
)
from confman.db.models.registration import (
    Registration,
    RegistrationSettings,
    RegistrationStatus,
    RegistrationTally,
    RegistrationToken,
    TokenPurpose,
)
from confman.db.models.releases import ChangeKind, ProgrammeChange, ProgrammeRelease
from confman.db.models.speakers import Speaker
from confman.db.models.web import StoredFile, WebSession
from confman.db.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint

__all__ = [
    "PAYLOAD_VERSION",
    "PUBLIC_EVENTS",
    "AccountToken",
    "AccountTokenPurpose",
    "Announcement",
    "AnnouncementSending",
    "AnnouncementStatus",
    "ApiToken",
    "AttendeeLink",
    "AttendeeMessage",
    "AuditRecord",
    "ChangeKind",
    "Conference",
    "ConferenceMember",
    "ConferenceSession",
    "ConferenceStatus",
    "DeliveryStatus",
    "Event",
    "MailStatus",
    "MemberRole",
    "OutboxEvent",
    "OutboxMail",
    "ProgrammeChange",
    "ProgrammeRelease",
    "Registration",
    "RegistrationSettings",
    "RegistrationStatus",
    "RegistrationTally",
    "RegistrationToken",
    "SeatStatus",
    "SessionAttendance",
    "SessionFollow",
    "SessionKind",
    "SessionReminder",
    "SessionSeat",
    "SessionSpeaker",
    "SessionStatus",
    "Speaker",
    "SpeakerRole",
    "StoredFile",
    "Stream",
    "TokenPurpose",
    "Track",
    "User",
    "WebSession",
    "WebhookDelivery",
    "WebhookEndpoint",
]
