"""The one data model of a campaign, built once by the loaders and passed to every writer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from toolkit.core.errors import Problem

if TYPE_CHECKING:  # for the type checker only: the op-eds' model is theirs (toolkit.opeds.pieces)
    from toolkit.opeds.pieces import OpedSetup

YEAR_IN_TEXT = re.compile(r"(?<!\d)(1[89]|20)\d\d(?!\d)")  # a four-digit year in a source's name

RECIPIENT_KINDS = ("minister", "ministry", "mp", "committee", "other")
LANGUAGES = ("nb", "nn")
LANGUAGE_NAMES = {"nb": "bokmål", "nn": "nynorsk"}  # as the plans and exports name them


@dataclass(frozen=True)
class Organisation:
    name: str
    address: tuple[str, ...]
    website: str
    email: str
    phone: str = ""  # optional, shown in the letterhead


@dataclass(frozen=True)
class LetterSettings:
    """The `letters:` keys of campaign.yaml that decide who gets a letter and what it says."""

    inform_others: bool = False  # letters "til orientering" to recipients that own no demand
    ministry_letter_to: str = "ministry"  # a ministry and its ministers share an inbox: "ministry" or "minister"
    reply_within_days: int = 21
    attach_case: bool = True  # kampanjens-krav.docx attached to every e-mail and printed after each letter
    reference: str = ""  # "Vår referanse"
    budget_adopted_on: date | None = None  # when the Storting adopts next year's budget (default 15 December)
    subjects: dict = field(default_factory=dict)  # subject template by language, where it differs from nb


@dataclass(frozen=True)
class Signatory:
    name: str
    role: str
    role_nn: str = ""  # the role in nynorsk ("leiar"); empty = the same word in both standards


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
    timeout: int = 60  # seconds to wait for each answer from the server


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
    # False for what does not go out of date (a law, a ratification): the fact-age check skips it.
    dated: bool = True
    # A fact about one area ("Trøndelag", or a district id): used in op-eds for outlets there.
    county: str = ""

    def in_language(self, language: str) -> "Fact":
        """This fact in another written standard (nynorsk), where the campaign files give one."""
        extra = self.translations.get(language)
        if not extra:
            return self
        return Fact(
            self.id, extra.get("text", self.text), extra.get("source", self.source), self.year, self.url,
            line=self.line, dated=self.dated, county=self.county,
        )

    @property
    def citation(self) -> str:
        """The source as it is named in a text, with one year: "ILO (2022)".

        A source that already names a year ("… «Stopp menneskehandel» (2022)", "tilstandsrapport for
        2021") is printed as it is; the fact's own year is added only to a source without one.
        """
        if self.year and not YEAR_IN_TEXT.search(self.source):
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
    # Other written standards: {"nn": {"title": …, "summary": …, "arguments": […], "ask": …, "angles": {…}}}.
    translations: dict = field(default_factory=dict, compare=False, hash=False)
    line: int = 0
    # What the demand asks of each owner, by ministry or committee id: {"JD": "…", "JUSTIS": "…"}.
    angles: dict = field(default_factory=dict, compare=False, hash=False)

    def in_language(self, language: str) -> "Demand":
        """This demand in another written standard (nynorsk), where the campaign files give one."""
        extra = self.translations.get(language)
        if not extra:
            return self
        return Demand(
            self.id, self.number, extra.get("title", self.title), extra.get("summary", self.summary),
            tuple(extra.get("arguments", self.arguments)), extra.get("ask", self.ask),
            self.ministries, self.committees, self.facts, line=self.line,
            angles={**self.angles, **extra.get("angles", {})},
        )

    @property
    def owners(self) -> tuple[str, ...]:
        return self.ministries + self.committees


@dataclass(frozen=True)
class Recipient:
    id: str
    kind: str
    name: str
    title: str = ""
    organisation: str = ""
    ministry: str = ""
    committees: tuple[str, ...] = ()
    committee_names: tuple[str, ...] = ()  # the names of ``committees``, in the same order, when known
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
    # The official nynorsk forms, for letters in nynorsk (empty = the same as the bokmål column).
    name_nn: str = ""
    title_nn: str = ""
    organisation_nn: str = ""

    def in_language(self, language: str) -> "Recipient":
        """The recipient's name, title and body as a letter in ``language`` writes them."""
        if language != "nn" or not (self.name_nn or self.title_nn or self.organisation_nn):
            return self
        return replace(
            self, name=self.name_nn or self.name, title=self.title_nn or self.title,
            organisation=self.organisation_nn or self.organisation, name_nn="", title_nn="", organisation_nn="",
        )


@dataclass(frozen=True)
class PlatformSettings:
    """One social platform as campaign.yaml sets it up: on or off, posting times, limit, what to add."""

    id: str
    name: str
    enabled: bool
    weekday_times: tuple[time, ...]
    weekend_times: tuple[time, ...]
    limit: int
    hashtags: int | None = None  # how many of the campaign's hashtags to add; None = all
    link: bool = True  # add the campaign link (Instagram shows links as plain text)
    language: str = "nb"  # the written standard the account posts in: nb or nn


@dataclass(frozen=True)
class Observance:
    """A day inside the campaign period that the world marks, with who marks it."""

    date: date
    name: str
    source: str
    theme: str = ""


@dataclass(frozen=True)
class SocialPost:
    """One post on one platform at one moment: the text exactly as it will be posted, and its count."""

    id: str  # the post's id in posts.yaml
    platform: str
    day: int  # 1 = the first day of the period
    date: date
    slot: int  # 1 = the first post of the day on this platform
    publish_at: datetime  # timezone-aware, in the campaign's time zone
    title: str
    text: str
    hashtags: tuple[str, ...]
    link: str
    image: str
    alt_text: str
    observance: str
    fact_id: str
    demand_id: str
    count: int
    limit: int
    language: str  # the written standard of title, text and alt text: nb or nn
    problems: tuple[str, ...] = ()

    @property
    def publish_utc(self) -> datetime:
        return self.publish_at.astimezone(timezone.utc)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def key(self) -> str:
        """Stable identity of this post on this platform, the base of its calendar UID."""
        return f"{self.id}-{self.platform}"


@dataclass
class PostCalendar:
    """The social-post calendar: platforms, the days the world marks, and every planned post."""

    platforms: tuple[PlatformSettings, ...]
    observances: tuple[Observance, ...]
    posts: tuple[SocialPost, ...]
    # Problems that only concern posts breaking a platform's rules; `--allow-invalid` lets them through.
    rule_problems: list[Problem] = field(default_factory=list)
    # The posts' image cards (toolkit.social.images): file name -> Card, and how they look.
    cards: dict = field(default_factory=dict)
    card_style: object = None
    # The posts as posts.yaml writes them (toolkit.social.posts), for the checks that compare their texts.
    entries: tuple = field(default=(), repr=False, compare=False)

    @property
    def enabled(self) -> tuple[PlatformSettings, ...]:
        return tuple(p for p in self.platforms if p.enabled)

    def observance_on(self, day: date) -> Observance | None:
        return next((o for o in self.observances if o.date == day), None)


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
    letters: LetterSettings = field(default_factory=LetterSettings)
    max_fact_age_years: int = 4
    demands: tuple[Demand, ...] = ()
    facts: dict[str, Fact] = field(default_factory=dict)
    recipients: tuple[Recipient, ...] = ()
    config: dict = field(default_factory=dict)
    # toolkit.core.templates.Templates by language, made on first use and shared by every step of a run,
    # so that validation and writing compile each template once.
    templates: dict = field(default_factory=dict, repr=False, compare=False)
    # The posts' calendar and the op-eds, read from their own files on first use (toolkit.load gives each a
    # loader); None when the campaign has none. Set directly, a value replaces the loader.
    _loaders: dict[str, Callable[[], Any]] = field(default_factory=dict, repr=False, compare=False)
    _loaded: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def load_later(self, name: str, loader: Callable[[], Any]) -> None:
        """Read ``name`` (``calendar`` or ``opeds``) with ``loader`` the first time it is asked for."""
        self._loaded.pop(name, None)
        self._loaders[name] = loader

    def _get(self, name: str) -> Any:
        if name not in self._loaded:
            loader = self._loaders.get(name)
            self._loaded[name] = loader() if loader is not None else None
            self._loaders.pop(name, None)
        return self._loaded[name]

    @property
    def calendar(self) -> PostCalendar | None:
        """The social-post calendar (posts.yaml), or None when the campaign has none."""
        return self._get("calendar")

    @calendar.setter
    def calendar(self, value: PostCalendar | None) -> None:
        self._loaders.pop("calendar", None)
        self._loaded["calendar"] = value

    @property
    def opeds(self) -> OpedSetup | None:
        """The op-eds' pieces, outlets, signatories and status file, or None when the campaign has none."""
        return self._get("opeds")

    @opeds.setter
    def opeds(self, value: OpedSetup | None) -> None:
        self._loaders.pop("opeds", None)
        self._loaded["opeds"] = value

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
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def demand(self, demand_id: str) -> Demand:
        return next(d for d in self.demands if d.id == demand_id)


@dataclass(frozen=True)
class Supporter:
    """A person who signs letters to their own representatives (one row of supporters.csv)."""

    id: str
    name: str
    email: str
    county: str  # the electoral district's id as the Storting writes it (``Øs``)
    county_name: str
    place: str = ""
    personal_paragraph: str = ""
    language: str = ""
    row: int = 0
    address: str = ""  # optional postal address, one line ("Storgata 1, 0155 Oslo"), shown under the name
