"""The one data model of a campaign, built once by the loaders and passed to every writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

RECIPIENT_KINDS = ("minister", "ministry", "mp", "committee", "other")
LANGUAGES = ("nb", "nn")


@dataclass(frozen=True)
class Organisation:
    name: str
    address: tuple[str, ...]
    website: str
    email: str


@dataclass(frozen=True)
class Signatory:
    name: str
    role: str


@dataclass(frozen=True)
class SendWindow:
    """Days of the week (``mon`` … ``sun``) and local hours in which sending is allowed."""

    days: tuple[str, ...]
    start: str
    end: str


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 587
    security: str = "starttls"
    user: str = ""
    rate_per_minute: int = 20
    window: SendWindow | None = None


@dataclass(frozen=True)
class Fact:
    id: str
    text: str
    source: str
    year: int | None = None
    url: str = ""
    # Other written standards: {"nn": {"text": …, "source": …}}; missing keys fall back to bokmål.
    translations: dict = field(default_factory=dict, compare=False, hash=False)
    line: int = 0

    def in_language(self, language: str) -> "Fact":
        """This fact in another written standard (nynorsk), where the campaign files give one."""
        extra = self.translations.get(language)
        if not extra:
            return self
        return Fact(self.id, extra.get("text", self.text), extra.get("source", self.source), self.year, self.url)

    @property
    def citation(self) -> str:
        """The source as it is named in a text: "ILO (2022)"."""
        if self.year and str(self.year) not in self.source:
            return f"{self.source} ({self.year})"
        return self.source


@dataclass(frozen=True)
class Demand:
    id: str
    number: int
    title: str
    summary: str
    arguments: tuple[str, ...]
    ask: str
    ministries: tuple[str, ...]
    committees: tuple[str, ...]
    facts: tuple[str, ...]
    # Other written standards: {"nn": {"title": …, "summary": …, "arguments": […], "ask": …}}.
    translations: dict = field(default_factory=dict, compare=False, hash=False)
    line: int = 0

    def in_language(self, language: str) -> "Demand":
        """This demand in another written standard (nynorsk), where the campaign files give one."""
        extra = self.translations.get(language)
        if not extra:
            return self
        return Demand(
            self.id, self.number, extra.get("title", self.title), extra.get("summary", self.summary),
            tuple(extra.get("arguments", self.arguments)), extra.get("ask", self.ask),
            self.ministries, self.committees, self.facts, line=self.line,
        )


@dataclass(frozen=True)
class Recipient:
    id: str
    kind: str
    name: str
    title: str = ""
    organisation: str = ""
    ministry: str = ""
    committees: tuple[str, ...] = ()
    party: str = ""
    party_name: str = ""
    county: str = ""
    county_name: str = ""
    email: str = ""
    email_verified: bool = False
    email_verified_on: date | None = None
    postal_address: tuple[str, ...] = ()
    language: str = ""
    person_id: str = ""
    verified_on: date | None = None
    source: str = ""
    notes: str = ""
    row: int = 0


@dataclass
class Campaign:
    """Everything read from a campaign folder."""

    folder: Path
    organisation: Organisation
    signatories: tuple[Signatory, ...]
    year: int
    start: date
    end: date
    timezone: str
    language: str
    hashtags: tuple[str, ...]
    link: str
    output_dir: Path
    stale_after_days: int
    letter_subject: str
    attach_docx: bool
    smtp: SmtpSettings
    similarity_threshold: float = 0.5
    demands: tuple[Demand, ...] = ()
    facts: dict[str, Fact] = field(default_factory=dict)
    recipients: tuple[Recipient, ...] = ()
    config: dict = field(default_factory=dict)

    @property
    def templates_dir(self) -> Path:
        return self.folder / "letter_templates"

    @property
    def slug(self) -> str:
        """A stable name for this campaign, used in Message-IDs and calendar UIDs."""
        domain = self.organisation.email.rpartition("@")[2] or "toolkit.invalid"
        return f"16dager-{self.year}.{domain}"

    @property
    def days(self) -> list[date]:
        from datetime import timedelta

        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def demand(self, demand_id: str) -> Demand:
        return next(d for d in self.demands if d.id == demand_id)
