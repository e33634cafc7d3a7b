"""Deterministic demo data for the sandbox: integrations, jobs, candidates and applications.

Everything is generated from a seeded :class:`random.Random` (no Faker, no clock): the same
seed always gives the same ids, names, dates and stages. Each integration's data set is built
lazily on first use and cached, so the 20,000-application integration costs nothing until it
is asked for (and then well under half a second).

Dates are relative to :data:`REFERENCE_TIME`, a fixed instant, so they do not move between runs.
"""

from __future__ import annotations

import base64
import gc
import time
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from random import Random

from .integrations import (
    DEFAULT_INTEGRATION_ID,
    INTEGRATIONS,
    INTEGRATIONS_BY_ID,
    SANDBOX_API_KEY,
    SandboxIntegration,
    get_integration,
)

__all__ = [
    "DEFAULT_INTEGRATION_ID",
    "DEFAULT_SEED",
    "INTEGRATIONS",
    "INTEGRATIONS_BY_ID",
    "REFERENCE_TIME",
    "SANDBOX_API_KEY",
    "Application",
    "Candidate",
    "Dataset",
    "Job",
    "SandboxIntegration",
    "SandboxUser",
    "Stage",
    "TypeLimits",
    "attachment_restrictions",
    "dataset",
    "get_integration",
    "iso",
    "users_of",
]

DEFAULT_SEED = 1337
"""Seed of the demo data unless the sandbox is configured otherwise."""

REFERENCE_TIME = 1768467600
"""2026-01-15T09:00:00Z: "now" for the generated data (dates lie before it)."""

_DAY = 86_400
"""Seconds per day."""


@lru_cache(maxsize=4096)
def _iso_day(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * _DAY))


def iso(epoch: int | float) -> str:
    """An epoch second as Kombo writes dates: ``2025-11-03T14:05:09.000Z``."""
    day, seconds = divmod(int(epoch), _DAY)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_iso_day(day)}T{hours:02d}:{minutes:02d}:{seconds:02d}.000Z"


# --------------------------------------------------------------------------- users (On-Behalf-Of)


@dataclass(frozen=True)
class SandboxUser:
    """A recruiter or hiring manager of an integration (hiring team, On-Behalf-Of targets)."""

    remote_id: str
    first_name: str
    last_name: str
    email: str
    role: str
    """RECRUITER | HIRING_MANAGER"""


_STAFF = (
    ("Ines", "Hartmann", "RECRUITER"),
    ("Marcus", "Oyelaran", "RECRUITER"),
    ("Keiko", "Nakamura", "HIRING_MANAGER"),
    ("Pedro", "Alves", "HIRING_MANAGER"),
    ("Hanna", "Lindgren", "RECRUITER"),
)

_USER_ID_BASE = {
    "greenhouse": 4_080_001,
    "workable": 0x2A1000,
}


def users_of(integration: SandboxIntegration) -> tuple[SandboxUser, ...]:
    """The integration's users. Greenhouse ids are numeric, Workable ids short hex."""
    users = []
    base = _USER_ID_BASE.get(integration.tool_id, 900_001)
    for n, (first, last, role) in enumerate(_STAFF):
        if integration.tool_id == "workable":
            remote_id = f"{base + n * 0x1F:x}"
        else:
            remote_id = str(base + n)
        email = f"{_fold(first)}.{_fold(last)}@{integration.tool_id}-sandbox.example.com"
        users.append(SandboxUser(remote_id, first, last, email, role))
    return tuple(users)


# --------------------------------------------------------------------------- attachment limits


@dataclass(frozen=True)
class TypeLimits:
    """``attachment_restrictions.types.<TYPE>`` of one integration (None = unknown)."""

    is_supported: bool
    max_file_size_bytes: int | None = None
    accepted_mime_types: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, object]:
        if not self.is_supported:
            return {"is_supported": False}
        return {
            "is_supported": True,
            "max_file_size_bytes": self.max_file_size_bytes,
            "accepted_mime_types": (
                list(self.accepted_mime_types) if self.accepted_mime_types is not None else None
            ),
        }


_MB = 1024 * 1024
_PDF = "application/pdf"
_DOC = "application/msword"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_ODT = "application/vnd.oasis.opendocument.text"
_RTF = "application/rtf"
_TXT = "text/plain"
_PNG = "image/png"
_JPEG = "image/jpeg"
_DOCUMENTS = (_PDF, _DOC, _DOCX, _ODT, _RTF, _TXT)
_DOCS_AND_IMAGES = (*_DOCUMENTS, _PNG, _JPEG)

_RESTRICTIONS: dict[str, dict[str, TypeLimits] | None] = {
    "greenhouse": {
        "CV": TypeLimits(True, 10 * _MB, _DOCUMENTS),
        "COVER_LETTER": TypeLimits(True, 10 * _MB, _DOCUMENTS),
        "OTHER": TypeLimits(True, 10 * _MB, _DOCS_AND_IMAGES),
    },
    "oraclerecruiting": {
        "CV": TypeLimits(True, 5 * _MB, (_PDF, _DOC, _DOCX, _RTF, _TXT)),
        "COVER_LETTER": TypeLimits(True, 5 * _MB, (_PDF, _DOC, _DOCX, _RTF, _TXT)),
        "OTHER": TypeLimits(True, 5 * _MB, (_PDF, _DOC, _DOCX, _RTF, _TXT, _PNG, _JPEG)),
    },
    "workable": {
        "CV": TypeLimits(True, 10 * _MB, (_PDF, _DOC, _DOCX, _ODT, _RTF)),
        "COVER_LETTER": TypeLimits(False),
        "OTHER": TypeLimits(True, 10 * _MB, _DOCS_AND_IMAGES),
    },
    "lever": {
        "CV": TypeLimits(True, 10 * _MB, None),
        "COVER_LETTER": TypeLimits(True, 10 * _MB, None),
        "OTHER": TypeLimits(True, None, None),
    },
    "personio": None,
    "teamtailor": {
        "CV": TypeLimits(True, 20 * _MB, _DOCS_AND_IMAGES),
        "COVER_LETTER": TypeLimits(True, 20 * _MB, _DOCS_AND_IMAGES),
        "OTHER": TypeLimits(True, 20 * _MB, _DOCS_AND_IMAGES),
    },
    "recruitee": {
        "CV": TypeLimits(True, 10 * _MB, _DOCUMENTS),
        "COVER_LETTER": TypeLimits(True, 10 * _MB, _DOCUMENTS),
        "OTHER": TypeLimits(True, 10 * _MB, _DOCS_AND_IMAGES),
    },
    "smartrecruiters": {
        "CV": TypeLimits(True, 5 * _MB, _DOCUMENTS),
        "COVER_LETTER": TypeLimits(False),
        "OTHER": TypeLimits(True, 5 * _MB, _DOCS_AND_IMAGES),
    },
    "workday": {
        "CV": TypeLimits(True, 25 * _MB, _DOCS_AND_IMAGES),
        "COVER_LETTER": TypeLimits(True, 25 * _MB, _DOCS_AND_IMAGES),
        "OTHER": TypeLimits(True, 25 * _MB, None),
    },
}


def attachment_restrictions(integration: SandboxIntegration) -> dict[str, TypeLimits] | None:
    """Per-type limits of the integration (None: Kombo knows nothing about them)."""
    return _RESTRICTIONS.get(integration.tool_id)


# --------------------------------------------------------------------------- records


@dataclass(slots=True, eq=False)
class Stage:
    id: str
    remote_id: str
    name: str
    index: int


@dataclass(slots=True, eq=False)
class Job:
    id: str
    remote_id: str
    index: int
    name: str
    job_code: str
    department: str
    category: str
    city: str
    country: str
    status: str
    """OPEN | CLOSED | DRAFT | ARCHIVED"""
    employment_type: str
    remote_work_status: str
    experience_level: str
    salary_from: int
    salary_to: int
    currency: str
    weekly_hours: int
    created: int
    updated: int
    opened: int | None
    closed: int | None
    stages: list[Stage]


@dataclass(slots=True, eq=False)
class Candidate:
    id: str
    remote_id: str
    index: int
    first_name: str
    last_name: str
    email: str
    phone: str
    company: str | None
    title: str | None
    source: str
    city: str
    country: str
    tags: tuple[str, ...]
    created: int = 0
    updated: int = 0
    applications: list[Application] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def deleted(self) -> int | None:
        """When the candidate disappeared from the ATS: once all their applications did."""
        stamps = [a.deleted for a in self.applications]
        if not stamps or any(stamp is None for stamp in stamps):
            return None
        return max(stamp for stamp in stamps if stamp is not None)


@dataclass(slots=True, eq=False)
class Application:
    id: str
    remote_id: str
    index: int
    candidate: Candidate
    job: Job
    stage: Stage
    outcome: str
    """PENDING | HIRED | DECLINED"""
    rejection_reason: str | None
    rejected_at: int | None
    created: int
    updated: int
    deleted: int | None
    """When the application was deleted in the ATS (None: it was not)."""
    has_existing_cv: bool
    """A CV already sits on the application (shown by ``GET .../attachments``)."""

    @property
    def is_current(self) -> bool:
        """Still in the process: not deleted and no final outcome."""
        return self.deleted is None and self.outcome == "PENDING"


@dataclass(eq=False)
class Dataset:
    """The generated records of one integration."""

    integration: SandboxIntegration
    seed: int
    jobs: list[Job]
    candidates: list[Candidate]
    applications: list[Application]
    """All applications, deleted ones included, in a stable order."""
    live_applications: list[Application]
    """The applications that are not deleted (exactly ``integration.application_count``)."""
    users: tuple[SandboxUser, ...]
    wire_cache: dict[tuple[str, str, bool], bytes] = field(default_factory=dict, repr=False)
    """Encoded JSON of records already served (kind, id, variant) → bytes; filled lazily."""
    applications_by_id: dict[str, Application] = field(default_factory=dict)
    candidates_by_id: dict[str, Candidate] = field(default_factory=dict)
    jobs_by_id: dict[str, Job] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.applications_by_id = {a.id: a for a in self.applications}
        self.candidates_by_id = {c.id: c for c in self.candidates}
        self.jobs_by_id = {j.id: j for j in self.jobs}


# --------------------------------------------------------------------------- name pools

# fmt: off

_FIRST_NAMES = (
    "Anna", "Lukas", "Sofia", "Mateo", "Aisha", "Yuki", "Chen", "Priya", "Arjun", "Olga",
    "Mohammed", "Fatima", "Lars", "Ingrid", "Søren", "Zoë", "José", "Camille", "Léa", "Mehmet",
    "Elif", "Kwame", "Ngozi", "Thabo", "Amara", "Diego", "Valentina", "Hiroshi", "Sakura",
    "Min-jun", "Ji-woo", "Wei", "Mei", "Raj", "Ananya", "Oluwaseun", "Chiara", "Giulia", "Marco",
    "Björn", "Åsa", "Łukasz", "Agnieszka", "Tomáš", "Eszter", "Dávid", "Ioana", "Andrei",
    "Nikos", "Eleni", "Emma", "Liam", "Noah", "Olivia", "Ethan", "Chloé", "Jakub", "Zofia",
    "Aleksandr", "Svetlana", "Noa", "Yosef", "Leila", "Omar", "Karim", "Siobhán", "Seán",
    "Niamh", "Aoife", "Tiago", "Beatriz", "João", "Inês", "Jonas", "Mia", "Felix", "Hannah",
    "Paul", "Marie", "Finn", "Clara", "Ahmed", "Sara", "Ali", "Maryam", "Kenji", "Aiko", "Hana",
    "Jin", "Lin", "Hyun-woo", "Rafael", "Lucía", "Carmen", "Pablo", "Martina", "Santiago",
    "Isabella", "Ama", "Kofi", "Zanele", "Sipho", "Tariq", "Nadia", "Emeka", "Chinedu", "Ayşe",
    "Can", "Deniz", "Freya", "Astrid", "Mikko", "Aino", "Eero", "Gabriel", "Manon", "Maëlle",
    "Rohan", "Kavya", "Dmitri", "Katarzyna", "Bartosz", "Vilja", "Oskar", "Matilda", "Amélie",
)

_LAST_NAMES = (
    "Müller", "Schmidt", "García", "Martínez", "Rossi", "Bianchi", "Dubois", "Lefèvre",
    "Kowalski", "Nowak", "Novák", "Horváth", "Popescu", "Papadopoulos", "Andersson",
    "Johansson", "Nielsen", "Hansen", "Virtanen", "Korhonen", "O'Brien", "Murphy", "Smith",
    "Johnson", "Williams", "Brown", "Taylor", "Wilson", "Silva", "Santos", "Oliveira", "Costa",
    "Fernández", "López", "González", "Yılmaz", "Kaya", "Demir", "Cohen", "Levi", "Haddad",
    "Khalil", "Hassan", "Khan", "Patel", "Sharma", "Gupta", "Singh", "Iyer", "Reddy", "Nguyễn",
    "Trần", "Lê", "Kim", "Lee", "Park", "Choi", "Wang", "Li", "Zhang", "Liu", "Chen", "Tanaka",
    "Suzuki", "Sato", "Takahashi", "Watanabe", "Okafor", "Adeyemi", "Mensah", "Boateng",
    "Dlamini", "Nkosi", "Mwangi", "Ivanov", "Petrov", "Sokolov", "van der Berg", "de Vries",
    "Jansen", "Bakker", "Peeters", "Janssens", "Fischer", "Weber", "Becker", "Wagner",
    "Schneider", "Hoffmann", "Kovačević", "Jovanović", "Horvat", "Rodrigues", "Pereira",
    "Moreau", "Laurent", "Ricci", "Esposito", "Lindqvist", "Berg", "Eriksen", "Dahl",
    "Wiśniewski", "Łuczak", "Øverby", "Strauß", "MacDonald", "Fitzgerald", "Ó Súilleabháin",
)

_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")

_COMPANIES = (
    "Northwind Traders", "Contoso", "Fabrikam", "Tailspin Toys", "Wide World Importers",
    "Adventure Works", "Globex", "Initech", "Umbrella Logistics", "Blue Yonder Airlines",
    "Litware", "Proseware", "Lucerne Publishing", "Margie's Travel", "Trey Research",
)

_SOURCES = ("LinkedIn", "Referral", "Careers page", "Indeed", "StepStone", "Agency", "Event")

_PHONE_PREFIXES = ("49", "44", "33", "31", "1", "34", "48")

_TAGS = ("Top talent", "Relocation", "Visa needed", "Silver medalist", "Referral", "Remote only")

# (title, department, category, experience level)
_JOB_TITLES = (
    ("Backend Engineer", "Engineering", "Software Development", "Mid-level"),
    ("Senior Backend Engineer", "Engineering", "Software Development", "Senior"),
    ("Frontend Engineer", "Engineering", "Software Development", "Mid-level"),
    ("Staff Platform Engineer", "Engineering", "Software Development", "Staff"),
    ("Site Reliability Engineer", "Engineering", "Infrastructure", "Senior"),
    ("Data Engineer", "Data", "Data & Analytics", "Mid-level"),
    ("Data Scientist", "Data", "Data & Analytics", "Senior"),
    ("Machine Learning Engineer", "Data", "Data & Analytics", "Senior"),
    ("Product Manager", "Product", "Product Management", "Senior"),
    ("Product Designer", "Design", "Design", "Mid-level"),
    ("UX Researcher", "Design", "Design", "Mid-level"),
    ("Account Executive", "Sales", "Sales", "Mid-level"),
    ("Sales Development Representative", "Sales", "Sales", "Entry"),
    ("Customer Success Manager", "Customer Success", "Customer Service", "Mid-level"),
    ("Support Engineer", "Customer Success", "Customer Service", "Mid-level"),
    ("Marketing Manager", "Marketing", "Marketing", "Senior"),
    ("Content Marketing Lead", "Marketing", "Marketing", "Lead"),
    ("Financial Controller", "Finance", "Finance", "Senior"),
    ("Accountant", "Finance", "Finance", "Mid-level"),
    ("Talent Acquisition Partner", "People", "Human Resources", "Mid-level"),
    ("People Operations Specialist", "People", "Human Resources", "Entry"),
    ("Legal Counsel", "Legal", "Legal", "Senior"),
    ("Office Manager", "Operations", "Administration", "Mid-level"),
    ("Warehouse Team Lead", "Operations", "Logistics", "Lead"),
    ("Nurse (Night Shift)", "Care", "Healthcare", "Mid-level"),
    ("Working Student Marketing", "Marketing", "Marketing", "Student"),
)

# (city, country ISO code, currency, yearly salary band in thousands)
_LOCATIONS = (
    ("Berlin", "DE", "EUR", (55, 95)),
    ("Munich", "DE", "EUR", (60, 105)),
    ("Hamburg", "DE", "EUR", (52, 90)),
    ("Vienna", "AT", "EUR", (50, 88)),
    ("Zurich", "CH", "CHF", (95, 160)),
    ("Paris", "FR", "EUR", (48, 90)),
    ("Amsterdam", "NL", "EUR", (55, 95)),
    ("London", "GB", "GBP", (50, 110)),
    ("Dublin", "IE", "EUR", (55, 100)),
    ("Madrid", "ES", "EUR", (35, 70)),
    ("Lisbon", "PT", "EUR", (30, 65)),
    ("Warsaw", "PL", "PLN", (150, 320)),
    ("Stockholm", "SE", "SEK", (480, 850)),
    ("New York", "US", "USD", (110, 210)),
    ("Austin", "US", "USD", (95, 180)),
    ("Toronto", "CA", "CAD", (85, 160)),
    ("Singapore", "SG", "SGD", (80, 170)),
    ("Remote (EU)", "DE", "EUR", (50, 95)),
)

_STAGE_FLOWS = (
    ("Application Review", "Phone Screen", "Technical Interview", "Onsite Interview", "Offer",
     "Hired"),
    ("Application Review", "Recruiter Screen", "Hiring Manager Interview", "Assessment",
     "Final Interview", "Offer", "Hired"),
    ("New", "Application Review", "Interview", "Reference Check", "Offer", "Hired"),
)

_REJECTION_REASONS = (
    "Not a fit for the role", "Position filled", "Candidate withdrew",
    "Salary expectations too high", "Did not pass the assessment", "No response from candidate",
    "Insufficient experience",
)

# fmt: on

_JOB_STATUSES = ("OPEN", "CLOSED", "DRAFT", "ARCHIVED")
_JOB_STATUS_WEIGHTS = (76, 12, 7, 5)

_FOLD = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "đ": "d",
        "Đ": "d",
        "ı": "i",
        "œ": "oe",
        "Œ": "oe",
    }
)


@lru_cache(maxsize=1024)
def _fold(text: str) -> str:
    """ASCII, lower case, letters and digits only (``Łukasz`` → ``lukasz``, ``O'Brien`` → ``obrien``)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


# Kombo ids: 24 characters of the base58 alphabet. Drawn as random bytes and mapped through
# a translation table (much faster than choosing characters one by one).
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B58_ALPHABET = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ID_TABLE = bytes.maketrans(_B64_ALPHABET, bytes(_B58_ALPHABET[i % 58] for i in range(64)))


class _IdStream:
    """Kombo-style ids drawn from their own seeded generator, a block at a time."""

    _BLOCK = 1024

    def __init__(self, rng: Random) -> None:
        self._rng = rng
        self._buffer: list[str] = []

    def __call__(self) -> str:
        if not self._buffer:
            raw = base64.b64encode(self._rng.randbytes(18 * self._BLOCK)).translate(_ID_TABLE)
            text = raw.decode("ascii")
            self._buffer = [text[i : i + 24] for i in range(len(text) - 24, -1, -24)]
        return self._buffer.pop()


class _RemoteIds:
    """Remote ids in the style of each ATS (numeric, UUID, hex, Workday references)."""

    def __init__(self, tool_id: str, rng: Random) -> None:
        self.tool_id = tool_id
        self.rng = rng

    def make(self, kind: str, index: int) -> str:
        tool = self.tool_id
        offset = {"job": 1, "stage": 2, "candidate": 3, "application": 4}[kind]
        if tool == "lever":
            value = self.rng.getrandbits(128)
            h = f"{value:032x}"
            return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
        if tool == "workable":
            return f"{0x10000 * offset + index * 7:x}"
        if tool == "workday":
            prefix = {
                "job": "JOB_REQUISITION",
                "stage": "RECRUITING_STEP",
                "candidate": "CANDIDATE",
                "application": "JOB_APPLICATION",
            }[kind]
            return f"{prefix}-6-{10_000 + index}"
        if tool == "oraclerecruiting":
            return str(300_000_000_000_000 + offset * 10_000_000 + index * 3)
        if tool == "greenhouse":
            return str(offset * 10_000_000 + 4_000_000 + index * 11)
        return str(offset * 1_000_000 + index)


# --------------------------------------------------------------------------- generation


def dataset(integration_id: str, seed: int = DEFAULT_SEED) -> Dataset:
    """The generated data of one integration (built once per (integration, seed), then cached).

    Raises KeyError for an unknown integration id.
    """
    return _cached_dataset(integration_id, seed)


@lru_cache(maxsize=64)
def _cached_dataset(integration_id: str, seed: int) -> Dataset:
    integration = INTEGRATIONS_BY_ID[integration_id]
    # Tens of thousands of small linked objects: the cyclic GC would walk them over and over
    # while they are built, for nothing (they are all kept). Pause it for the build.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(integration, seed)
    finally:
        if was_enabled:
            gc.enable()


def _generate(integration: SandboxIntegration, seed: int) -> Dataset:
    rng = Random(f"kombo-tui-sandbox/{seed}/{integration.id}")
    new_id = _IdStream(Random(f"kombo-tui-sandbox/{seed}/{integration.id}/ids"))
    remote = _RemoteIds(integration.tool_id, rng)
    live_count = integration.application_count
    deleted_count = live_count // 40
    total = live_count + deleted_count
    users = users_of(integration)

    jobs = _generate_jobs(rng, new_id, remote, total)
    hiring_jobs = [j for j in jobs if j.status != "DRAFT"]

    deleted_indices = set(rng.sample(range(total), deleted_count)) if deleted_count else set()

    candidates: list[Candidate] = []
    applications: list[Application] = []
    emails: set[str] = set()
    now = REFERENCE_TIME
    randrange = rng.randrange
    rand = rng.random
    choice = rng.choice

    for index in range(total):
        # One in five applications belongs to a returning candidate (a second or third
        # application, for another job); the rest bring a new person.
        candidate: Candidate | None = None
        if candidates and rand() < 0.2:
            pick = candidates[randrange(max(0, len(candidates) - 50), len(candidates))]
            if len(pick.applications) < 3:
                candidate = pick
        if candidate is None:
            candidate = _new_candidate(rng, new_id, remote, len(candidates), emails)
            candidates.append(candidate)

        taken = {a.job.id for a in candidate.applications}
        job = choice(hiring_jobs)
        for _ in range(4):
            if job.id not in taken:
                break
            job = choice(hiring_jobs)

        window_end = job.closed if job.closed is not None else now
        start = job.opened if job.opened is not None else job.created
        created = start + int(rand() * max(_DAY, window_end - start - _DAY))
        updated = min(now - 60, created + int(rand() * (now - created) * 0.6) + 3600)

        roll = rand()
        stages = job.stages
        if job.status in ("CLOSED", "ARCHIVED"):
            outcome = "HIRED" if roll < 0.12 else "DECLINED"
        else:
            outcome = "PENDING" if roll < 0.7 else ("HIRED" if roll < 0.78 else "DECLINED")
        rejection_reason: str | None = None
        rejected_at: int | None = None
        if outcome == "HIRED":
            stage = stages[-1]
        elif outcome == "DECLINED":
            stage = stages[randrange(0, len(stages) - 1)]
            rejection_reason = choice(_REJECTION_REASONS)
            rejected_at = updated
        else:
            stage = stages[randrange(0, len(stages) - 1)]
        deleted = updated + 3 * _DAY if index in deleted_indices else None
        if deleted is not None and deleted > now:
            deleted = now - 120

        application = Application(
            id=new_id(),
            remote_id=remote.make("application", index),
            index=index,
            candidate=candidate,
            job=job,
            stage=stage,
            outcome=outcome,
            rejection_reason=rejection_reason,
            rejected_at=rejected_at,
            created=created,
            updated=updated,
            deleted=deleted,
            has_existing_cv=index % 3 == 0,
        )
        applications.append(application)
        candidate.applications.append(application)
        if not candidate.created or created < candidate.created:
            candidate.created = created
        candidate.updated = max(candidate.updated, updated)

    live = [a for a in applications if a.deleted is None]
    return Dataset(
        integration=integration,
        seed=seed,
        jobs=jobs,
        candidates=candidates,
        applications=applications,
        live_applications=live,
        users=users,
    )


def _generate_jobs(
    rng: Random, new_id: _IdStream, remote: _RemoteIds, application_total: int
) -> list[Job]:
    count = max(6, min(300, application_total // 60 + 6))
    jobs: list[Job] = []
    stage_index = 0
    now = REFERENCE_TIME
    for index in range(count):
        title, department, category, level = rng.choice(_JOB_TITLES)
        city, country, currency, (low, high) = rng.choice(_LOCATIONS)
        status = "OPEN" if index < 3 else rng.choices(_JOB_STATUSES, _JOB_STATUS_WEIGHTS)[0]
        created = now - rng.randrange(20 * _DAY, 540 * _DAY)
        opened: int | None = created + rng.randrange(0, 5 * _DAY) if status != "DRAFT" else None
        closed: int | None = None
        if status in ("CLOSED", "ARCHIVED") and opened is not None:
            closed = min(now - _DAY, opened + rng.randrange(30 * _DAY, 120 * _DAY))
        updated = max(x for x in (created, opened, closed) if x is not None) + rng.randrange(
            3600, 3 * _DAY
        )
        updated = min(updated, now - 60)
        flow = rng.choice(_STAGE_FLOWS)
        stages = []
        for position, name in enumerate(flow):
            stages.append(Stage(new_id(), remote.make("stage", stage_index), name, position))
            stage_index += 1
        salary_from = rng.randrange(low, (low + high) // 2) * 1000
        salary_to = salary_from + rng.randrange(10, max(11, high - low)) * 1000
        employment_type = (
            "PART_TIME"
            if "Working Student" in title
            else ("FULL_TIME" if rng.random() < 0.88 else rng.choice(("PART_TIME", "CONTRACT")))
        )
        jobs.append(
            Job(
                id=new_id(),
                remote_id=remote.make("job", index),
                index=index,
                name=title,
                job_code=f"{department[:3].upper()}-{1000 + index}",
                department=department,
                category=category,
                city=city,
                country=country,
                status=status,
                employment_type=employment_type,
                remote_work_status="REMOTE"
                if city.startswith("Remote")
                else rng.choice(("HYBRID", "ON_SITE", "HYBRID")),
                experience_level=level,
                salary_from=salary_from,
                salary_to=salary_to,
                currency=currency,
                weekly_hours=20 if employment_type == "PART_TIME" else 40,
                created=created,
                updated=updated,
                opened=opened,
                closed=closed,
                stages=stages,
            )
        )
    return jobs


def _new_candidate(
    rng: Random, new_id: _IdStream, remote: _RemoteIds, index: int, emails: set[str]
) -> Candidate:
    rand = rng.random
    first = _FIRST_NAMES[int(rand() * len(_FIRST_NAMES))]
    last = _LAST_NAMES[int(rand() * len(_LAST_NAMES))]
    f, l_ = _fold(first), _fold(last)
    style = int(rand() * 5)
    local = (f"{f}.{l_}", f"{f}{l_}", f"{f[0]}.{l_}", f"{f}_{l_}", f"{l_}.{f}")[style]
    domain = _EMAIL_DOMAINS[int(rand() * len(_EMAIL_DOMAINS))]
    email = f"{local}@{domain}"
    n = 2
    while email in emails:
        email = f"{local}{n}@{domain}"
        n += 1
    emails.add(email)
    city, country, _, _ = _LOCATIONS[int(rand() * len(_LOCATIONS))]
    has_job = rand() < 0.7
    return Candidate(
        id=new_id(),
        remote_id=remote.make("candidate", index),
        index=index,
        first_name=first,
        last_name=last,
        email=email,
        phone=f"+{_PHONE_PREFIXES[int(rand() * len(_PHONE_PREFIXES))]} "
        f"{150 + int(rand() * 30)} {1_000_000 + int(rand() * 8_999_999)}",
        company=_COMPANIES[int(rand() * len(_COMPANIES))] if has_job else None,
        title=_JOB_TITLES[int(rand() * len(_JOB_TITLES))][0] if has_job else None,
        source=_SOURCES[int(rand() * len(_SOURCES))],
        city=city,
        country=country,
        tags=(_TAGS[int(rand() * len(_TAGS))],) if rand() < 0.25 else (),
    )
