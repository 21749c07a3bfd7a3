"""Newspapers that take op-eds (outlets.csv) and the volunteers who sign them (signatories.csv)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from toolkit.core.campaign import EMAIL_PATTERN, _yes_no, check_row_id, one_line_cells, parse_date, split_list
from toolkit.core.errors import Problems
from toolkit.core.model import LANGUAGES
from toolkit.core.sources import read_csv

# The Storting's 19 electoral districts (the pre-2020 counties) by the API's `fylke` id, which is
# mixed-case and non-ASCII: match it exactly (../shared/reference/norway.md, section 1.4).
DISTRICTS = {
    "Øs": "Østfold", "Ak": "Akershus", "Os": "Oslo", "He": "Hedmark", "Op": "Oppland",
    "Bu": "Buskerud", "Ve": "Vestfold", "Te": "Telemark", "AA": "Aust-Agder", "VA": "Vest-Agder",
    "Ro": "Rogaland", "Ho": "Hordaland", "SF": "Sogn og Fjordane", "MR": "Møre og Romsdal",
    "ST": "Sør-Trøndelag", "NT": "Nord-Trøndelag", "No": "Nordland", "Tr": "Troms", "Fi": "Finnmark",
}

# Today's counties (2024) by the electoral districts they cover, so a fact tagged «Trøndelag» in
# facts.yaml reaches a paper covering Nord- or Sør-Trøndelag.
COUNTIES = {
    "Østfold": ("Øs",), "Akershus": ("Ak",), "Buskerud": ("Bu",), "Oslo": ("Os",), "Innlandet": ("He", "Op"),
    "Vestfold": ("Ve",), "Telemark": ("Te",), "Agder": ("AA", "VA"), "Rogaland": ("Ro",), "Vestland": ("Ho", "SF"),
    "Møre og Romsdal": ("MR",), "Trøndelag": ("ST", "NT"), "Nordland": ("No",), "Troms": ("Tr",), "Finnmark": ("Fi",),
}


def districts_of(area: str) -> tuple[str, ...]:
    """The electoral districts an area names: a district id or name, or one of today's counties."""
    area = area.strip()
    if area in DISTRICTS:
        return (area,)
    lowered = area.lower()
    for name, districts in COUNTIES.items():
        if name.lower() == lowered:
            return districts
    district = DISTRICT_BY_NAME.get(lowered)
    return (district,) if district else ()


# Kinds of outlet; local and regional papers print local writers (their `coverage`).
OUTLET_KINDS = {
    "national": "national", "nasjonal": "national", "riksavis": "national",
    "regional": "regional", "regionavis": "regional",
    "local": "local", "lokal": "local", "lokalavis": "local",
    "online": "online", "nett": "online", "nettavis": "online", "nettmagasin": "online",
}
KIND_NAMES = {"national": "nasjonal avis", "regional": "regionavis", "local": "lokalavis", "online": "nettavis"}
LOCAL_KINDS = ("regional", "local")
DISTRICT_BY_NAME = {name.lower(): district for district, name in DISTRICTS.items()}

COUNT_UNITS = {"chars": "chars", "tegn": "chars", "teikn": "chars", "words": "words", "ord": "words"}
UNIT_NAMES = {"chars": "tegn", "words": "ord"}

# The two lengths of a piece: a kronikk (long) and a debate piece (short).
VERSIONS = ("kronikk", "debatt")
VERSION_NAMES = {"kronikk": "kronikk", "debatt": "debattinnlegg"}

OUTLET_COLUMNS = (
    "id", "name", "kind", "coverage", "submission_email", "submission_form", "submission_verified",
    "language", "count_unit", "kronikk_min", "kronikk_max", "debate_min", "debate_max", "exclusive",
    "photo_required", "pieces", "verified_on", "source", "notes", "lead_days", "answer_days", "publish_date",
)
OUTLET_REQUIRED = ("id", "name", "kind")
SIGNATORY_COLUMNS = ("name", "role", "town", "district", "language", "preferred_outlets", "notes")
SIGNATORY_REQUIRED = ("name", "role")
NUMBER = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Limit:
    """How long one kind of piece may be at an outlet, in the outlet's unit; None = no lower bound."""

    low: int | None
    high: int


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    kind: str
    coverage: tuple[str, ...]
    submission_email: str
    submission_form: str
    submission_verified: bool
    languages: tuple[str, ...]
    unit: str
    limits: dict[str, Limit]  # version -> limit; a version missing here is not taken (or not known)
    exclusive: bool
    photo_required: bool
    pieces: tuple[str, ...]  # empty = every piece
    verified_on: date | None
    source: str
    notes: str
    row: int
    lead_days: int | None = None  # the outlet's own rule for how early a date-bound piece must come
    answer_days: int | None = None  # the outlet's own rule for when to expect an answer
    publish_date: bool = True  # False: the outlet gives no date, so no date-bound piece goes there

    @property
    def rules_known(self) -> bool:
        """Planning needs at least one known length limit; outlets without one get nothing."""
        return bool(self.limits)

    @property
    def is_local(self) -> bool:
        return self.kind in LOCAL_KINDS

    def takes(self, piece_id: str) -> bool:
        return not self.pieces or piece_id in self.pieces


@dataclass(frozen=True)
class OpedSignatory:
    """A volunteer who signs op-eds; the byline is their name and role as written here."""

    name: str
    role: str
    town: str
    district: str
    languages: tuple[str, ...]
    preferred_outlets: tuple[str, ...]
    row: int

    @property
    def district_name(self) -> str:
        return DISTRICTS.get(self.district, "")


def _number(value: str) -> int | None:
    """Read a count as Excel or a person writes it: "4900", "4 900" (also with a no-break space)."""
    text = value.replace("\u00a0", "").replace(" ", "").replace(".", "")
    return int(text) if NUMBER.match(text) else None


def load_outlets(path: Path, problems: Problems, pieces: tuple[str, ...], label: str = "outlets.csv") -> tuple[Outlet, ...]:
    """Read outlets.csv and check each row; ``pieces`` are the op-ed ids a row may name."""
    table = read_csv(path, problems, label, OUTLET_REQUIRED, OUTLET_COLUMNS)
    if table is None:
        return ()
    outlets: list[Outlet] = []
    seen: dict[str, int] = {}
    for number, row in table.rows:
        bad = problems.in_row(label, number)

        one_line_cells(row, ("id", "name", "submission_email", "submission_form"), bad)
        outlet_id = row["id"]
        check_row_id(outlet_id, seen, number, bad, each="Hver avis",
                     missing_hint="Gi avisa en kort id med små bokstaver, tall og bindestrek, for eksempel «vg».")
        if not row["name"]:
            bad("name", "Mangler navnet på avisa.")
        kind = OUTLET_KINDS.get(row["kind"].lower())
        if kind is None:
            bad("kind", f"Ukjent type «{row['kind']}».", "Bruk national, regional, local eller online.")
            kind = "national"
        coverage = tuple(DISTRICT_BY_NAME.get(d.lower(), d) for d in split_list(row.get("coverage", "")))
        for district in coverage:
            if district not in DISTRICTS:
                bad("coverage", f"«{district}» er ikke en valgkrets.", f"Bruk Stortingets id-er eller navn: {', '.join(DISTRICTS)}.")
        if kind in LOCAL_KINDS and not coverage:
            bad("coverage", "En lokal- eller regionavis trenger et dekningsområde.",
                "Skriv valgkretsens id (for eksempel NT for Nord-Trøndelag), så får avisa lokale underskrivere.")
        email = row.get("submission_email", "")
        if email and not EMAIL_PATTERN.match(email):
            bad("submission_email", f"«{email}» er ikke en gyldig e-postadresse.", "Rett den, eller la feltet stå tomt.")
        form = row.get("submission_form", "")
        if form and not form.startswith(("https://", "http://")):
            bad("submission_form", f"«{form}» er ikke en nettadresse.", "Skriv hele adressen, med https://.")
        verified = _yes_no(row.get("submission_verified", ""))
        if verified is None:
            bad("submission_verified", f"«{row['submission_verified']}» er verken ja eller nei.", "Skriv ja eller nei.")
        elif verified and not (email or form):
            bad("submission_verified", "Adressen er merket som verifisert, men det står ingen adresse.",
                "Fyll inn submission_email eller submission_form, eller skriv nei.")
        languages = tuple(part.lower() for part in split_list(row.get("language", ""))) or ("nb",)
        for language in languages:
            if language not in LANGUAGES:
                bad("language", f"Ukjent språk «{language}».", "Bruk nb, nn eller begge: «nb, nn».")
        languages = tuple(language for language in languages if language in LANGUAGES) or ("nb",)
        unit = COUNT_UNITS.get(row.get("count_unit", "").lower() or "chars")
        if unit is None:
            bad("count_unit", f"Ukjent enhet «{row['count_unit']}».", "Skriv chars (tegn med mellomrom) eller words (ord).")
            unit = "chars"
        limits: dict[str, Limit] = {}
        for version, low_column, high_column in (("kronikk", "kronikk_min", "kronikk_max"), ("debatt", "debate_min", "debate_max")):
            values = {}
            for column in (low_column, high_column):
                text = row.get(column, "")
                values[column] = _number(text) if text else None
                if text and (values[column] is None or values[column] == 0):
                    bad(column, f"«{text}» er ikke et positivt helt tall.", f"Skriv antall {UNIT_NAMES[unit]}, for eksempel 3000.")
                    values[column] = None
            low, high = values[low_column], values[high_column]
            if low is not None and high is None:
                bad(high_column, "Det står en nedre grense, men ingen øvre.", f"Fyll inn {high_column}, eller fjern {low_column}.")
            elif high is not None:
                if low is not None and low > high:
                    bad(low_column, f"Nedre grense ({low}) er større enn øvre ({high}).", "Bytt om tallene.")
                    low = None
                limits[version] = Limit(low, high)
        exclusive = _yes_no(row.get("exclusive", "")) if row.get("exclusive", "") else True
        if exclusive is None:
            bad("exclusive", f"«{row['exclusive']}» er verken ja eller nei.", "Skriv ja eller nei (tomt betyr ja).")
            exclusive = True
        photo = _yes_no(row.get("photo_required", "")) if row.get("photo_required", "") else True
        if photo is None:
            bad("photo_required", f"«{row['photo_required']}» er verken ja eller nei.", "Skriv ja eller nei (tomt betyr ja).")
            photo = True
        only = split_list(row.get("pieces", ""))
        for piece in only:
            if piece not in pieces:
                bad("pieces", f"Innlegget «{piece}» finnes ikke.", f"Bruk id-ene fra opeds.pieces i campaign.yaml: {', '.join(pieces)}.")
        verified_on = None
        if row.get("verified_on", ""):
            verified_on = parse_date(row["verified_on"])
            if verified_on is None:
                bad("verified_on", f"«{row['verified_on']}» er ikke en dato.", "Skriv datoen som 2026-11-20 eller 20.11.2026.")
        days = {}
        for column in ("lead_days", "answer_days"):
            text = row.get(column, "")
            given = _number(text) if text else None
            days[column] = given
            if text and (given is None or given > 60):
                bad(column, f"«{text}» er ikke et antall dager.", "Skriv et helt tall fra 0 til 60, eller la feltet stå tomt.")
                days[column] = None
        publish_date = _yes_no(row.get("publish_date", "")) if row.get("publish_date", "") else True
        if publish_date is None:
            bad("publish_date", f"«{row['publish_date']}» er verken ja eller nei.",
                "Skriv nei hvis avisa ikke lover en dato for publisering (tomt betyr ja).")
            publish_date = True
        outlets.append(
            Outlet(
                id=outlet_id, name=row["name"], kind=kind, coverage=coverage, submission_email=email,
                submission_form=form, submission_verified=bool(verified) and bool(email or form),
                languages=languages, unit=unit, limits=limits, exclusive=exclusive, photo_required=photo,
                pieces=only, verified_on=verified_on, source=row.get("source", ""), notes=row.get("notes", ""),
                row=number, lead_days=days["lead_days"], answer_days=days["answer_days"] or None, publish_date=publish_date,
            )
        )
    return tuple(outlets)


def report_unknown_rules(outlets: tuple[Outlet, ...], problems: Problems, label: str = "outlets.csv") -> None:
    """Warn about outlets whose rules or address nobody has checked; nothing is planned where no limit is known."""
    for outlet in outlets:
        if not outlet.rules_known:
            problems.warning(
                label, f"{outlet.name}: lengdegrensene er ukjente og må sjekkes. Ingen innlegg blir planlagt dit.",
                f"Sjekk avisas side for innsending{f' ({outlet.source})' if outlet.source else ''} og fyll inn kronikk_max "
                "og/eller debate_max.",
                row=outlet.row, field="debate_max",
            )
        elif not outlet.submission_verified:
            problems.warning(
                label, f"{outlet.name}: innsendingsadressen er ikke verifisert.",
                "Følgenotatet ber den som sender, om å sjekke adressen først. Fyll inn adressen og skriv ja i "
                "submission_verified når den er sjekket.",
                row=outlet.row, field="submission_verified",
            )


def load_signatories(
    path: Path, problems: Problems, outlets: tuple[Outlet, ...], default_language: str, label: str = "signatories.csv"
) -> tuple[OpedSignatory, ...]:
    """Read signatories.csv and check each row against the districts and the outlets."""
    table = read_csv(path, problems, label, SIGNATORY_REQUIRED, SIGNATORY_COLUMNS)
    if table is None:
        return ()
    by_name = {o.name.lower(): o.id for o in outlets}
    ids = {o.id for o in outlets}
    people: list[OpedSignatory] = []
    seen: dict[str, int] = {}
    for number, row in table.rows:
        bad = problems.in_row(label, number)

        one_line_cells(row, ("name", "role", "town"), bad)
        name = " ".join(row["name"].split())
        if not name:
            bad("name", "Mangler navn.")
        elif name.lower() in seen:
            bad("name", f"«{name}» står også på rad {seen[name.lower()]}.",
                "Hver underskriver skal stå én gang; skill like navn med mellomnavn.")
        else:
            seen[name.lower()] = number
        if not row["role"]:
            bad("role", "Mangler tittel eller rolle.",
                "Skriv rollen slik den skal stå under innlegget, for eksempel «leder i Kvinnenettverket Trøndelag».")
        district = row.get("district", "")
        district = DISTRICT_BY_NAME.get(district.lower(), district)
        if district and district not in DISTRICTS:
            # Ids are mixed-case; say which one was meant when only the case is wrong.
            meant = next((d for d in DISTRICTS if d.lower() == district.lower()), None)
            hint = f"Mente du «{meant}»?" if meant else f"Bruk Stortingets id-er eller navn: {', '.join(DISTRICTS)}."
            bad("district", f"«{district}» er ikke en valgkrets.", hint)
            district = meant or ""
        languages = tuple(part.lower() for part in split_list(row.get("language", ""))) or (default_language,)
        for language in languages:
            if language not in LANGUAGES:
                bad("language", f"Ukjent språk «{language}».", "Bruk nb, nn eller begge: «nb, nn».")
        languages = tuple(language for language in languages if language in LANGUAGES) or (default_language,)
        preferred = []
        for item in split_list(row.get("preferred_outlets", "")):
            outlet_id = item if item in ids else by_name.get(item.lower())
            if outlet_id is None:
                bad("preferred_outlets", f"Avisa «{item}» finnes ikke i outlets.csv.",
                    "Bruk avisas id eller navn slik det står i outlets.csv.")
            else:
                preferred.append(outlet_id)
        people.append(
            OpedSignatory(
                name=name, role=" ".join(row["role"].split()), town=row.get("town", ""), district=district,
                languages=languages, preferred_outlets=tuple(preferred), row=number,
            )
        )
    return tuple(people)


def can_sign(signatory: OpedSignatory, outlet: Outlet, language: str) -> bool:
    """A signatory writes in the language, and a local or regional outlet gets writers from its area."""
    if language not in signatory.languages:
        return False
    return not outlet.is_local or signatory.district in outlet.coverage
