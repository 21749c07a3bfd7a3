"""Loading and checking the campaign folder's core files: campaign.yaml, demands, facts, recipients."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from toolkit.core.errors import Problems
from toolkit.core.model import (
    LANGUAGES,
    RECIPIENT_KINDS,
    Campaign,
    Demand,
    Fact,
    LetterSettings,
    Organisation,
    Recipient,
    SendWindow,
    Signatory,
    SmtpSettings,
)
from toolkit.core.sources import LineDict, LineList, load_yaml, read_csv

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# A practical address check: one @, no spaces or control characters, a dot in the domain.
EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"  # the local part
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"  # the domain, with a dot
)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
YES = {"ja", "j", "yes", "y", "true", "1", "x"}
NO = {"nei", "n", "no", "false", "0", ""}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

RECIPIENT_COLUMNS = (
    "id", "kind", "name", "title", "organisation", "ministry", "committees", "committee_names", "party", "party_name",
    "county", "county_name", "email", "email_verified", "email_verified_on", "postal_address",
    "language", "person_id", "verified_on", "source", "notes", "name_nn", "title_nn", "organisation_nn",
)
RECIPIENT_REQUIRED = ("id", "kind", "name")
# Fields that reach e-mail headers or a letter's address block: a line break there could forge headers.
ONE_LINE_FIELDS = (
    "id", "kind", "name", "title", "organisation", "email", "party_name", "county_name", "name_nn", "title_nn", "organisation_nn",
)


def parse_date(value) -> date | None:
    """Read a date written as 2026-11-25, 25.11.2026 or by YAML itself; None if it is not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_time(value) -> time | None:
    """Read "09:30"; YAML reads an unquoted 19:30 as the number 1170 (base 60), which is taken back."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    text = str(value).strip()
    if TIME_PATTERN.match(text):
        return time(int(text[:2]), int(text[3:]))
    return None


def split_list(value: str) -> tuple[str, ...]:
    """Split a list cell written with commas, semicolons or bars."""
    return tuple(part.strip() for part in re.split(r"[,;|]", value) if part.strip())


class _Fields:
    """Typed access to one YAML mapping that records every problem with its line."""

    def __init__(self, problems: Problems, label: str, data, prefix: str = "", line: int = 0):
        self.problems = problems
        self.label = label
        self.prefix = prefix
        self.line = getattr(data, "line", line) or line
        if data is None:
            data = LineDict()
        if not isinstance(data, dict):
            problems.error(label, f"«{prefix or 'filen'}» skal være nøkler og verdier.", line=self.line or None)
            data = LineDict()
        self.data = data

    def _line(self, key: str) -> int | None:
        if isinstance(self.data, LineDict):
            return self.data.line_of(key) or None
        return self.line or None

    def _name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def error(self, key: str, message: str, hint: str = "") -> None:
        self.problems.error(self.label, message, hint, line=self._line(key), field=self._name(key))

    def text(self, key: str, required: bool = True, default: str = "", one_line: bool = True) -> str:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(key, "Mangler.", f"Legg til «{key}: …».")
            return default
        if isinstance(value, (dict, list)):
            self.error(key, "Skal være tekst, ikke en liste eller samling.")
            return default
        text = str(value).strip()
        if one_line and CONTROL.search(text):
            self.error(key, "Inneholder linjeskift eller kontrolltegn.", "Skriv verdien på én linje.")
            return default
        return text

    def integer(self, key: str, default: int, low: int | None = None, high: int | None = None) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"Skal være et helt tall, ikke «{value}».")
            return default
        if (low is not None and value < low) or (high is not None and value > high):
            self.error(key, f"Tallet {value} er utenfor det tillatte ({low}–{high}).")
            return default
        return value

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            self.error(key, f"Skal være et tall mellom {low} og {high}, ikke «{value}».")
            return default
        return float(value)

    def date(self, key: str) -> date | None:
        value = self.data.get(key)
        parsed = parse_date(value) if value is not None else None
        if parsed is None:
            self.error(key, f"Skal være en dato som 2026-11-25, ikke «{value}».")
        return parsed

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.error(key, f"Skal være true eller false, ikke «{value}».")
            return default
        return value

    def text_list(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, "Mangler.", f"Legg til en liste: «{key}: [...]».")
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) or v is None for v in value):
            self.error(key, "Skal være en liste med tekster.")
            return ()
        items = tuple(str(v).strip() for v in value)
        if any(CONTROL.search(item) for item in items):
            self.error(key, "Et element inneholder linjeskift eller kontrolltegn.")
            return ()
        return items

    def item_id(self, seen: set[str], each: str, why: str = "") -> str:
        """A list item's ``id``: present, well formed and not used by an earlier item (kept in ``seen``)."""
        value = self.text("id")
        if value and not ID_PATTERN.match(value):
            self.error("id", f"Id-en «{value}» er ugyldig.", "Bruk små bokstaver a–z, tall og bindestrek.")
        elif value in seen:
            self.error("id", f"Id-en «{value}» er brukt før.", f"{each} trenger en egen id{why}.")
        seen.add(value)
        return value

    def mapping(self, key: str) -> "_Fields":
        value = self.data.get(key)
        return _Fields(self.problems, self.label, value, self._name(key), self._line(key) or self.line)

    def unknown_keys(self, known: set[str]) -> None:
        for key in self.data:
            if key not in known:
                self.problems.warning(
                    self.label, f"Ukjent nøkkel «{key}» blir ikke brukt.", "Sjekk stavemåten.",
                    line=self._line(str(key)), field=self._name(str(key)),
                )


CAMPAIGN_KEYS = {
    "organisation", "signatories", "year", "period", "timezone", "language", "hashtags", "link",
    "output", "stale_after_days", "letters", "smtp", "platforms", "opeds", "calendar", "facts",
    "imap", "privacy",  # read by toolkit.followup.replies and toolkit.followup.privacy
    "images",  # the post cards' look (toolkit.social.images)
}
LETTERS_KEYS = {
    "subject", "attach_docx", "similarity_threshold", "inform_others", "ministry_letter_to", "reply_within_days",
    "attach_case", "reference", "budget_adopted_on", "remind_after_days", "reminder_reply_days",
}


def load_core_files(folder: Path, problems: Problems) -> Campaign | None:
    """Read the campaign folder's core files (campaign.yaml, demands, facts, recipients), recording every
    problem; None if campaign.yaml is unusable. toolkit.load.load_campaign adds the posts and the op-eds."""
    folder = Path(folder)
    label = "campaign.yaml"
    data = load_yaml(folder / label, problems, label)
    if data is None:
        return None
    root = _Fields(problems, label, data)
    root.unknown_keys(CAMPAIGN_KEYS)

    org = root.mapping("organisation")
    organisation = Organisation(
        name=org.text("name"),
        address=org.text_list("address"),
        website=org.text("website", required=False),
        email=org.text("email"),
        phone=org.text("phone", required=False),
    )
    if organisation.email and not EMAIL_PATTERN.match(organisation.email):
        org.error("email", f"«{organisation.email}» er ikke en gyldig e-postadresse.")

    signatories = _signatories(root, problems, label)
    year = root.integer("year", date.today().year, 2000, 2100)
    period = root.mapping("period")
    start = period.date("start") or date(year, 11, 25)
    end = period.date("end") or date(year, 12, 10)
    if end < start:
        period.error("end", f"Slutten ({end}) er før starten ({start}).", "Bytt om datoene.")
    elif (end - start).days > 366:
        period.error("end", "Perioden er lengre enn ett år.", "Sjekk årstallene.")
    if start.year != year:
        period.error("start", f"Starten ({start}) er ikke i kampanjeåret {year}.", "Rett «year» eller datoen.")

    timezone = root.text("timezone", required=False, default="Europe/Oslo")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        root.error("timezone", f"Ukjent tidssone «{timezone}».", "Bruk et IANA-navn som Europe/Oslo.")
        timezone = "Europe/Oslo"
    language = root.text("language", required=False, default="nb")
    if language not in LANGUAGES:
        root.error("language", f"Språket «{language}» finnes ikke her.", "Bruk nb (bokmål) eller nn (nynorsk).")
        language = "nb"

    output = root.text("output", required=False, default="ut")
    output_dir = (folder / output).resolve()
    from toolkit.pack import output_folder_problem  # here: only loading a campaign needs it

    problem = output_folder_problem(folder, output_dir)
    if problem:
        root.error("output", problem)
    letters = root.mapping("letters")
    letters.unknown_keys(LETTERS_KEYS)
    subject, subjects = _letter_subjects(letters)
    letter_settings = _letter_settings(letters, subjects)
    facts_settings = root.mapping("facts")
    facts_settings.unknown_keys({"max_age_years"})
    smtp = _smtp(root.mapping("smtp"))
    campaign = Campaign(
        folder=folder,
        organisation=organisation,
        signatories=signatories,
        year=year,
        start=start,
        end=end,
        timezone=timezone,
        language=language,
        hashtags=root.text_list("hashtags"),
        link=root.text("link", required=False),
        output_dir=output_dir,
        stale_after_days=root.integer("stale_after_days", 180, 1, 3650),
        letter_subject=subject,
        attach_docx=letters.boolean("attach_docx", False),
        smtp=smtp,
        similarity_threshold=letters.number("similarity_threshold", 0.5, 0.0, 1.0),
        letters=letter_settings,
        max_fact_age_years=facts_settings.integer("max_age_years", 4, 0, 100),
        config=dict(data),
    )
    for tag in campaign.hashtags:
        if not re.fullmatch(r"#\w+", tag):
            root.error("hashtags", f"«{tag}» er ikke en emneknagg.", "Skriv den som #Ord, uten mellomrom.")
    campaign.facts = load_facts(folder, problems)
    campaign.demands = load_demands(folder, problems, campaign.facts)
    campaign.recipients = load_recipients(folder / "recipients.csv", problems)
    check_references(campaign, problems)
    check_recipient_languages(campaign, problems)
    return campaign


def _letter_subjects(letters: _Fields) -> tuple[str, dict]:
    """`letters.subject`: one template, or one per written standard ({nb: …, nn: …})."""
    default = "Fem krav mot menneskehandel"
    value = letters.data.get("subject")
    if isinstance(value, dict):
        by_language = letters.mapping("subject")
        subjects = {language: by_language.text(language, required=False) for language in LANGUAGES}
        for key in value:
            if key not in LANGUAGES:
                by_language.error(str(key), f"Ukjent språk «{key}».", "Bruk nb og nn.")
        nb = subjects.get("nb") or default
        return nb, {language: text for language, text in subjects.items() if text and language != "nb"}
    return letters.text("subject", required=False, default=default), {}


def _letter_settings(letters: _Fields, subjects: dict) -> LetterSettings:
    ministry_letter_to = letters.text("ministry_letter_to", required=False, default="ministry")
    if ministry_letter_to not in ("ministry", "minister"):
        letters.error("ministry_letter_to", f"«{ministry_letter_to}» er verken ministry eller minister.",
                      "Skriv ministry (brevet til departementet v/ statsråden) eller minister (brevet til statsråden).")
        ministry_letter_to = "ministry"
    return LetterSettings(
        inform_others=letters.boolean("inform_others", False),
        ministry_letter_to=ministry_letter_to,
        reply_within_days=letters.integer("reply_within_days", 21, 1, 365),
        attach_case=letters.boolean("attach_case", True),
        reference=letters.text("reference", required=False),
        budget_adopted_on=letters.date("budget_adopted_on") if "budget_adopted_on" in letters.data else None,
        subjects=subjects,
    )


def _item_line(items: list, index: int) -> int:
    """The line of a list item read from YAML (0 for a list made otherwise)."""
    return items.line_of(index) if isinstance(items, LineList) else 0


def _signatories(root: _Fields, problems: Problems, label: str) -> tuple[Signatory, ...]:
    value = root.data.get("signatories")
    if not isinstance(value, list) or not value:
        root.error("signatories", "Mangler: hvem skal skrive under brevene?", "Legg til minst én med name og role.")
        return ()
    people = []
    for index, item in enumerate(value):
        fields = _Fields(problems, label, item, f"signatories[{index + 1}]", _item_line(value, index))
        people.append(Signatory(
            name=fields.text("name"), role=fields.text("role", required=False), role_nn=fields.text("role_nn", required=False),
        ))
    return tuple(people)


def _smtp(fields: _Fields) -> SmtpSettings:
    """Read the smtp block. toolkit.send.settings checks the values, with the command line's overrides applied."""
    window = None
    if fields.data.get("window") is not None:
        win = fields.mapping("window")
        times = {key: _time_text(win.data.get(key, default)) for key, default in (("start", "08:00"), ("end", "18:00"))}
        window = SendWindow(win.text_list("days") or WEEKDAYS[:5], times["start"], times["end"])
    return SmtpSettings(
        host=fields.text("host", required=False),
        port=fields.integer("port", 587),
        security=fields.text("security", required=False, default="starttls"),
        user=fields.text("user", required=False),
        rate_per_minute=fields.integer("rate_per_minute", 20),
        window=window,
        timeout=fields.integer("timeout", 60),
    )


def _time_text(value) -> str:
    """A time of day as "08:00" when it reads as one; otherwise as written, for the check to name."""
    parsed = parse_time(value)
    return parsed.strftime("%H:%M") if parsed is not None else str(value)


def load_facts(folder: Path, problems: Problems) -> dict[str, Fact]:
    """Read facts.yaml: every figure with its source."""
    label = "facts.yaml"
    data = load_yaml(folder / label, problems, label)
    if data is None:
        return {}
    items = data.get("facts")
    if not isinstance(items, list):
        problems.error(label, "Mangler listen «facts».", "Start filen med «facts:» og en liste.", line=1)
        return {}
    facts: dict[str, Fact] = {}
    seen: set[str] = set()
    for index, item in enumerate(items):
        fields = _Fields(problems, label, item, f"facts[{index + 1}]", _item_line(items, index))
        fact_id = fields.item_id(seen, "Hvert faktum")
        year = item.get("year") if isinstance(item, dict) else None
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            fields.error("year", f"Årstallet «{year}» er ikke et tall.")
            year = None
        translations = {}
        if isinstance(item, dict) and item.get("nn") is not None:
            nn = fields.mapping("nn")
            translations["nn"] = {
                key: value
                for key, value in (("text", nn.text("text", one_line=False)), ("source", nn.text("source", required=False)))
                if value
            }
        fact = Fact(
            id=fact_id,
            text=fields.text("text", one_line=False),
            source=fields.text("source"),
            year=year,
            url=fields.text("url", required=False),
            translations=translations,
            line=fields.line,
            dated=fields.boolean("dated", True),
            county=fields.text("county", required=False),
        )
        if fact_id:
            facts[fact_id] = fact
    return facts


def load_demands(folder: Path, problems: Problems, facts: dict[str, Fact]) -> tuple[Demand, ...]:
    """Read demands.yaml and check its references to facts."""
    label = "demands.yaml"
    data = load_yaml(folder / label, problems, label)
    if data is None:
        return ()
    items = data.get("demands")
    if not isinstance(items, list) or not items:
        problems.error(label, "Mangler listen «demands».", "Start filen med «demands:» og en liste.", line=1)
        return ()
    demands: list[Demand] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        fields = _Fields(problems, label, item, f"demands[{index + 1}]", _item_line(items, index))
        demand_id = fields.item_id(seen, "Hvert krav")
        arguments = fields.data.get("arguments", fields.data.get("argument"))
        if isinstance(arguments, str):
            arguments = [arguments]
        if not isinstance(arguments, list) or not arguments or not all(isinstance(a, str) and a.strip() for a in arguments):
            fields.error("arguments", "Mangler argumentet.", "Skriv minst én formulering under «arguments:».")
            arguments = []
        translations = {}
        if isinstance(item, dict) and item.get("nn") is not None:
            translations["nn"] = _demand_translation(fields.mapping("nn"))
        fact_ids = fields.text_list("facts")
        for fact_id in fact_ids:
            if fact_id not in facts:
                fields.error("facts", f"Faktumet «{fact_id}» finnes ikke i facts.yaml.", "Rett id-en eller legg det til i facts.yaml.")
        demands.append(
            Demand(
                id=demand_id,
                number=fields.integer("number", index + 1, 1, 99),
                title=fields.text("title"),
                summary=fields.text("summary"),
                arguments=tuple(" ".join(a.split()) for a in arguments),
                ask=" ".join(fields.text("ask", one_line=False).split()),
                ministries=fields.text_list("ministries"),
                committees=fields.text_list("committees"),
                facts=tuple(f for f in fact_ids if f in facts),
                translations=translations,
                line=fields.line,
                angles=_angles(fields),
            )
        )
    return tuple(sorted(demands, key=lambda d: d.number))


def _demand_translation(fields: _Fields) -> dict:
    """A demand's text in another written standard: the same keys as the bokmål text."""
    arguments = fields.data.get("arguments")
    if isinstance(arguments, str):
        arguments = [arguments]
    if not isinstance(arguments, list) or not all(isinstance(a, str) and a.strip() for a in arguments):
        fields.error("arguments", "Mangler argumentet på nynorsk.", "Skriv minst éin formulering under «arguments:».")
        arguments = []
    result: dict[str, object] = {
        "title": fields.text("title"),
        "summary": fields.text("summary"),
        "arguments": tuple(" ".join(a.split()) for a in arguments),
        "ask": " ".join(fields.text("ask", one_line=False).split()),
    }
    if "angles" in fields.data:
        result["angles"] = _angles(fields)
    return result


def _angles(fields: _Fields) -> dict[str, str]:
    """`angles`: one or two sentences per ministry or committee id on that body's part of the demand."""
    value = fields.data.get("angles")
    if value is None:
        return {}
    if not isinstance(value, dict):
        fields.error("angles", "Skal være en liste av id: tekst.", "Skriv for eksempel «JD: Departementet har …».")
        return {}
    angles = {}
    inner = fields.mapping("angles")
    for key in value:
        text = inner.text(str(key), one_line=False)
        if text:
            angles[str(key)] = " ".join(text.split())
    return angles


def check_recipient_languages(campaign: Campaign, problems: Problems) -> None:
    """Every written standard the recipients ask for needs the demands and facts in that standard."""
    wanted = {r.language or campaign.language for r in campaign.recipients} | {campaign.language}
    for language in sorted(wanted - {"nb"}):
        for demand in campaign.demands:
            if language not in demand.translations:
                problems.error(
                    "demands.yaml", f"Kravet «{demand.id}» finnes ikke på nynorsk, men noen mottakere skal ha brev på nynorsk.",
                    "Legg til «nn:» med title, summary, arguments og ask under kravet (se docs/campaign-files.md).",
                    line=demand.line or None, field="nn",
                )
        for fact in campaign.facts.values():
            if language not in fact.translations:
                problems.error(
                    "facts.yaml", f"Faktumet «{fact.id}» finnes ikke på nynorsk, men noen mottakere skal ha brev på nynorsk.",
                    "Legg til «nn:» med text under faktumet.", line=fact.line or None, field="nn",
                )


def _yes_no(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return None


def one_line_cells(row: dict[str, str], columns, bad) -> None:
    """Report and flatten line breaks in cells that must be one line (names can reach e-mail headers)."""
    for column in columns:
        if CONTROL.search(row.get(column, "")):
            bad(column, "Inneholder linjeskift eller kontrolltegn.", "Skriv verdien på én linje.")
            row[column] = " ".join(CONTROL.sub(" ", row[column]).split())


def check_row_id(value: str, seen: dict[str, int], number: int, bad, *, each: str, missing_hint: str) -> None:
    """A CSV row's id: present, well formed and not used on an earlier row (recorded in ``seen``)."""
    if not value:
        bad("id", "Mangler id.", missing_hint)
    elif not ID_PATTERN.match(value):
        bad("id", f"Id-en «{value}» er ugyldig.", "Bruk små bokstaver a–z, tall og bindestrek (høyst 64 tegn).")
    elif value in seen:
        bad("id", f"Id-en «{value}» er brukt før, på rad {seen[value]}.", f"{each} trenger en egen id.")
    else:
        seen[value] = number


def load_recipients(path: Path, problems: Problems, label: str = "recipients.csv") -> tuple[Recipient, ...]:
    """Read recipients.csv (Excel or editor format) and check each row."""
    table = read_csv(path, problems, label, RECIPIENT_REQUIRED, RECIPIENT_COLUMNS)
    if table is None:
        return ()
    recipients: list[Recipient] = []
    seen: dict[str, int] = {}
    for number, row in table.rows:
        bad = problems.in_row(label, number)

        one_line_cells(row, ONE_LINE_FIELDS, bad)
        recipient_id = row["id"]
        check_row_id(recipient_id, seen, number, bad, each="Hver mottaker",
                     missing_hint="Gi raden en id med små bokstaver, tall og bindestrek.")
        kind = row["kind"].lower()
        if kind not in RECIPIENT_KINDS:
            bad("kind", f"Ukjent type «{row['kind']}».", f"Bruk en av: {', '.join(RECIPIENT_KINDS)}.")
        if not row["name"]:
            bad("name", "Mangler navn.")
        email = row.get("email", "")
        if email and not EMAIL_PATTERN.match(email):
            bad("email", f"«{email}» er ikke en gyldig e-postadresse.", "Rett den, eller la feltet stå tomt for brev i posten.")
        verified = _yes_no(row.get("email_verified", ""))
        if verified is None:
            bad("email_verified", f"«{row['email_verified']}» er verken ja eller nei.", "Skriv ja eller nei.")
        dates = {}
        for column in ("email_verified_on", "verified_on"):
            value = row.get(column, "")
            dates[column] = parse_date(value) if value else None
            if value and dates[column] is None:
                bad(column, f"«{value}» er ikke en dato.", "Skriv datoen som 2026-11-20 eller 20.11.2026.")
        language = row.get("language", "").lower()
        if language and language not in LANGUAGES:
            bad("language", f"Ukjent språk «{language}».", "Bruk nb, nn eller la feltet stå tomt.")
        if kind in ("minister", "ministry") and not row.get("ministry"):
            bad("ministry", "Mangler departementets id.", "Skriv forkortelsen, for eksempel JD.")
        if kind == "committee" and not row.get("committees"):
            bad("committees", "Mangler komiteens id.", "Skriv Stortingets id, for eksempel JUSTIS.")
        committees = split_list(row.get("committees", ""))
        committee_names = split_list(row.get("committee_names", ""))
        if committee_names and len(committee_names) != len(committees):
            problems.warning(
                label, f"{len(committees)} komiteer, men {len(committee_names)} komitenavn; navnene blir ikke brukt.",
                "Skriv ett navn per komite-id, i samme rekkefølge.", row=number, field="committee_names",
            )
            committee_names = ()
        recipients.append(
            Recipient(
                id=recipient_id,
                kind=kind,
                name=row["name"],
                title=row.get("title", ""),
                organisation=row.get("organisation", ""),
                ministry=row.get("ministry", ""),
                committees=committees,
                committee_names=committee_names,
                party=row.get("party", ""),
                party_name=row.get("party_name", ""),
                county=row.get("county", ""),
                county_name=row.get("county_name", ""),
                email=email,
                email_verified=bool(verified) and bool(email),
                email_verified_on=dates["email_verified_on"],
                postal_address=tuple(p.strip() for p in row.get("postal_address", "").split("/") if p.strip()),
                language=language,
                person_id=row.get("person_id", ""),
                verified_on=dates["verified_on"],
                source=row.get("source", ""),
                notes=row.get("notes", ""),
                row=number,
                name_nn=row.get("name_nn", ""),
                title_nn=row.get("title_nn", ""),
                organisation_nn=row.get("organisation_nn", ""),
            )
        )
    return tuple(recipients)


def known_ministries(campaign: Campaign) -> set[str]:
    return {r.ministry for r in campaign.recipients if r.kind == "ministry" and r.ministry}


def known_committees(campaign: Campaign) -> set[str]:
    return {c for r in campaign.recipients if r.kind == "committee" for c in r.committees}


def check_references(campaign: Campaign, problems: Problems) -> None:
    """Cross-file checks: ministries and committees named by demands and ministers exist."""
    ministries = known_ministries(campaign)
    committees = known_committees(campaign)
    for demand in campaign.demands:
        for ministry in demand.ministries:
            if ministry not in ministries:
                problems.error(
                    "demands.yaml", f"Kravet «{demand.id}» viser til departementet «{ministry}», som ikke finnes i recipients.csv.",
                    "Bruk forkortelsen fra kolonnen «ministry» på en rad av typen ministry.", field="ministries",
                )
        for committee in demand.committees:
            if committee not in committees:
                problems.error(
                    "demands.yaml", f"Kravet «{demand.id}» viser til komiteen «{committee}», som ikke finnes i recipients.csv.",
                    "Bruk Stortingets komite-id fra en rad av typen committee.", field="committees",
                )
        for language, angles in (("nb", demand.angles), *((lang, t.get("angles", {})) for lang, t in demand.translations.items())):
            where = "angles" if language == "nb" else f"{language}.angles"
            for owner in angles:
                if owner not in demand.owners:
                    problems.error(
                        "demands.yaml", f"Kravet «{demand.id}» har en vinkling for «{owner}», som ikke eier kravet.",
                        "Legg id-en til under ministries eller committees, eller fjern vinklingen.",
                        line=demand.line or None, field=where,
                    )
        missing = [owner for owner in demand.owners if owner not in demand.angles]
        if demand.angles and missing:
            problems.warning(
                "demands.yaml", f"Kravet «{demand.id}» mangler vinkling for {', '.join(missing)}.",
                "Skriv én eller to setninger under angles om hva kravet betyr for hver eier.",
                line=demand.line or None, field="angles",
            )
    for recipient in campaign.recipients:
        if recipient.kind == "minister" and recipient.ministry and recipient.ministry not in ministries:
            problems.error(
                "recipients.csv", f"Departementet «{recipient.ministry}» finnes ikke som egen rad.",
                "Legg til departementet som en rad av typen ministry, eller rett forkortelsen.",
                row=recipient.row, field="ministry",
            )


@dataclass(frozen=True)
class Staleness:
    """Recipients whose data is older than the campaign's limit, and those never checked at all."""

    limit_days: int
    stale: tuple[Recipient, ...]
    never_checked: tuple[Recipient, ...]

    def __bool__(self) -> bool:
        return bool(self.stale or self.never_checked)


def find_stale(campaign: Campaign, today: date, only=None) -> Staleness:
    """Find stale and never-checked recipients; ``only`` limits the search to these recipient ids."""
    wanted = None if only is None else set(only)
    limit = campaign.stale_after_days
    chosen = [r for r in campaign.recipients if wanted is None or r.id in wanted]
    return Staleness(
        limit_days=limit,
        stale=tuple(r for r in chosen if r.verified_on is not None and (today - r.verified_on).days > limit),
        never_checked=tuple(r for r in chosen if r.verified_on is None),
    )


def _some_ids(recipients, shown: int = 8) -> str:
    ids = ", ".join(r.id for r in recipients[:shown])
    return ids + (f" og {len(recipients) - shown} til" if len(recipients) > shown else "")


def check_staleness(campaign: Campaign, problems: Problems, today: date, only=None) -> Staleness:
    """Warn about recipients whose data was last checked too long ago, or never.

    The send step calls this with ``only`` = the recipient ids it is about to use.
    """
    found = find_stale(campaign, today, only)
    limit = found.limit_days
    hint = f"Sjekk navn, rolle og adresse og oppdater «verified_on» (grensen er {limit} dager, «stale_after_days» i campaign.yaml)."
    for recipient in found.stale:
        assert recipient.verified_on is not None  # find_stale's stale ones all have a date
        age = (today - recipient.verified_on).days
        problems.warning(
            "recipients.csv",
            f"{recipient.name}: opplysningene ble sist sjekket {recipient.verified_on:%d.%m.%Y} ({age} dager siden).",
            hint, row=recipient.row, field="verified_on",
        )
    if found.never_checked:
        count = len(found.never_checked)
        problems.warning(
            "recipients.csv",
            f"{count} {'mottaker' if count == 1 else 'mottakere'} har ingen dato for når opplysningene sist ble sjekket: "
            f"{_some_ids(found.never_checked)}.",
            "Sjekk dem og skriv datoen i «verified_on».", field="verified_on",
        )
    return found
