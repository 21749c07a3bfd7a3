"""Op-eds: the pieces named in campaign.yaml, rendering them from templates, and counting them.

A piece (``opeds.pieces`` in campaign.yaml) is one text with two lengths, a kronikk and a debate
piece, rendered from ``letter_templates/<language>/oped_<id>.j2`` in each of its languages. The
length an editor counts is the characters including spaces (or the words) of the title, the
ingress and the body: the byline and the cover note do not count, nor do the breaks between
paragraphs. The tests count the reopened DOCX by the same rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from toolkit.core import markup
from toolkit.core.campaign import ID_PATTERN, _Fields
from toolkit.core.docx import clean_text
from toolkit.core.errors import Problems
from toolkit.core.excel_in import excel_twin
from toolkit.core.model import LANGUAGE_NAMES, LANGUAGES, Campaign
from toolkit.core.sources import LineList
from toolkit.core.templates import TemplateProblem
from toolkit.letters.pack import templates_for
from toolkit.letters.render import campaign_context, fact_context
from toolkit.opeds.outlets import (
    COUNTIES,
    UNIT_NAMES,
    VERSION_NAMES,
    VERSIONS,
    OpedSignatory,
    Outlet,
    districts_of,
    load_outlets,
    load_signatories,
    report_unknown_rules,
)
from toolkit.opeds.status import load_status

OUTLETS_FILE = "outlets.csv"
SIGNATORIES_FILE = "signatories.csv"
STATUS_FILE = "opeds-status.csv"
DEFAULT_WAIT_DAYS = 3
DEFAULT_LEAD_DAYS = 5  # days before its day a date-bound piece must be with an outlet
DEFAULT_GAP_DAYS = 7  # days between two pieces to one outlet, or signed by one person
EARLIEST_SEND_DAYS = 60  # a piece may be sent this many days before the period starts
COUNTED_STYLES = frozenset({"Title", "Ingress", "Body", "Heading2", "ListBullet"})
PARENTHESIS = re.compile(r"\s*\(([^()]*)\)")
LOCAL_TEMPLATE = "oped_local.j2"
COVER_TEMPLATE = "oped_cover.j2"
# Room a piece for a local or regional outlet leaves within the limit for its local paragraph.
LOCAL_ROOM = {"chars": 500, "words": 80}


@dataclass(frozen=True)
class PieceSpec:
    """One op-ed as campaign.yaml names it: its id, its demand and the days it may be sent."""

    id: str
    demand: str
    send_from: date
    send_until: date
    languages: tuple[str, ...]
    line: int = 0
    publish_on: date | None = None  # the day the piece belongs to, asked for in the cover note

    @property
    def template(self) -> str:
        return f"oped_{self.id}.j2"


@dataclass(frozen=True)
class RenderedPiece:
    """One piece in one length and language, as paragraphs; the counts cover title, ingress and body."""

    piece: str
    version: str
    language: str
    paragraphs: tuple[markup.Paragraph, ...]
    chars: int
    words: int

    @property
    def title(self) -> str:
        return next((p.text for p in self.paragraphs if p.style == "Title"), "")

    def count(self, unit: str) -> int:
        return self.words if unit == "words" else self.chars


@dataclass
class OpedSetup:
    """Everything the op-ed planner needs: read once, on first use of `campaign.opeds` (toolkit.load)."""

    wait_days: int
    pieces: tuple[PieceSpec, ...]
    outlets: tuple[Outlet, ...]
    signatories: tuple[OpedSignatory, ...]
    history: tuple = ()  # toolkit.opeds.status.Submission rows from the status file
    status_separator: str = ";"
    lengths: dict[tuple[str, str, str], RenderedPiece] = field(default_factory=dict)
    lead_days: int = DEFAULT_LEAD_DAYS
    gap_days: int = DEFAULT_GAP_DAYS

    def answer_days(self, outlet: Outlet) -> int:
        """Days after sending that an answer is expected (the outlet's own rule, else exclusive_wait_days)."""
        return outlet.answer_days if outlet.answer_days is not None else self.wait_days

    def lead(self, outlet: Outlet) -> int:
        """Days before a piece's day it must be with ``outlet`` (the outlet's own rule, else opeds.lead_days)."""
        return outlet.lead_days if outlet.lead_days is not None else self.lead_days

    def piece(self, piece_id: str) -> PieceSpec:
        return next(p for p in self.pieces if p.id == piece_id)

    def outlet(self, outlet_id: str) -> Outlet:
        return next(o for o in self.outlets if o.id == outlet_id)

    def signatory(self, name: str) -> OpedSignatory | None:
        return next((s for s in self.signatories if s.name.lower() == name.lower()), None)

    def fits(self, outlet: Outlet, piece_id: str, version: str, language: str) -> bool:
        """True when that version of the piece exists and is within the outlet's limits."""
        rendered = self.lengths.get((piece_id, version, language))
        limit = outlet.limits.get(version)
        if rendered is None or limit is None or language not in outlet.languages or not outlet.takes(piece_id):
            return False
        count = rendered.count(outlet.unit)
        room = LOCAL_ROOM[outlet.unit] if outlet.is_local else 0
        return count + room <= limit.high and (limit.low is None or count >= limit.low)


def count_text(paragraphs) -> tuple[int, int]:
    """Characters including spaces, and words, of the counted paragraphs, as the DOCX will hold them."""

    texts = [clean_text(p.text) for p in paragraphs if p.style in COUNTED_STYLES]
    return sum(len(text) for text in texts), sum(len(text.split()) for text in texts)


def format_count(value: int) -> str:
    """A count the Norwegian way, with a no-break space between thousands: "4 900"."""
    return f"{value:,}".replace(",", "\u00a0")


def load_settings(campaign: Campaign, problems: Problems) -> tuple[int, tuple[PieceSpec, ...]]:
    """Read the `opeds` section of campaign.yaml: the wait and the pieces (see also load_spacing)."""
    label = "campaign.yaml"
    section = _Fields(problems, label, campaign.config.get("opeds"), "opeds")
    section.unknown_keys({"exclusive_wait_days", "lead_days", "outlet_gap_days", "pieces"})
    wait = section.integer("exclusive_wait_days", DEFAULT_WAIT_DAYS, 1, 30)
    items = section.data.get("pieces")
    if not isinstance(items, list) or not items:
        section.error("pieces", "Mangler listen over innlegg.", "Legg til «pieces:» med minst ett innlegg (se docs/campaign-files.md).")
        return wait, ()
    demands = {d.id for d in campaign.demands}
    pieces: list[PieceSpec] = []
    for index, item in enumerate(items):
        line = items.line_of(index) if isinstance(items, LineList) else 0
        fields = _Fields(problems, label, item, f"opeds.pieces[{index + 1}]", line)
        fields.unknown_keys({"id", "demand", "send_from", "send_until", "languages", "publish_on"})
        piece_id = fields.text("id")
        if piece_id and not ID_PATTERN.match(piece_id):
            fields.error("id", f"Id-en «{piece_id}» er ugyldig.", "Bruk små bokstaver a–z, tall og bindestrek.")
            piece_id = ""
        if piece_id in {p.id for p in pieces}:
            fields.error("id", f"Id-en «{piece_id}» er brukt før.", "Hvert innlegg trenger en egen id.")
            piece_id = ""
        demand = fields.text("demand", required=False)
        if demand and demand not in demands:
            fields.error("demand", f"Kravet «{demand}» finnes ikke i demands.yaml.", f"Bruk en av: {', '.join(sorted(demands))}.")
        send_from = fields.date("send_from") if "send_from" in fields.data else campaign.start
        send_until = fields.date("send_until") if "send_until" in fields.data else campaign.end
        send_from, send_until = send_from or campaign.start, send_until or campaign.end
        publish_on = fields.date("publish_on") if "publish_on" in fields.data else None
        if publish_on is not None and not campaign.start <= publish_on <= campaign.end:
            fields.error("publish_on", f"Datoen {publish_on:%d.%m.%Y} er utenfor kampanjeperioden.",
                         "Velg dagen innlegget skal stå på trykk, mellom period.start og period.end.")
            publish_on = None
        # A piece that belongs to the first day must be offered before it: send_from may lie up to
        # EARLIEST_SEND_DAYS before the period.
        earliest = campaign.start - timedelta(days=EARLIEST_SEND_DAYS)
        for key, value in (("send_from", send_from), ("send_until", send_until)):
            if not earliest <= value <= campaign.end:
                fields.error(key, f"Datoen {value:%d.%m.%Y} er utenfor kampanjeperioden.",
                             f"Velg en dato mellom {earliest:%d.%m.%Y} og period.end.")
        if send_until < send_from:
            fields.error("send_until", "Siste dag er før første dag.", "Bytt om datoene.")
        if publish_on is not None and send_from >= publish_on:
            fields.error("send_from", f"Innlegget skal stå på trykk {publish_on:%d.%m.%Y}, men kan først sendes {send_from:%d.%m.%Y}.",
                         "Sett send_from noen dager før publish_on, så avisa rekker å svare og sette det inn.")
        languages = fields.text_list("languages") or ("nb",)
        for language in languages:
            if language not in LANGUAGES:
                fields.error("languages", f"Ukjent språk «{language}».", "Bruk nb og/eller nn.")
        languages = tuple(language for language in languages if language in LANGUAGES) or ("nb",)
        if piece_id:
            pieces.append(PieceSpec(piece_id, demand if demand in demands else "", send_from, send_until, languages, fields.line,
                                    publish_on))
    return wait, tuple(pieces)


def load_spacing(campaign: Campaign, problems: Problems) -> tuple[int, int]:
    """``opeds.lead_days`` and ``opeds.outlet_gap_days``: the days a date-bound piece needs, and the spacing."""
    data = campaign.config.get("opeds")
    if not isinstance(data, dict):
        return DEFAULT_LEAD_DAYS, DEFAULT_GAP_DAYS  # load_settings has said what is wrong
    section = _Fields(problems, "campaign.yaml", data, "opeds")
    return section.integer("lead_days", DEFAULT_LEAD_DAYS, 0, 60), section.integer("outlet_gap_days", DEFAULT_GAP_DAYS, 1, 60)


YEAR_PARENTHESIS = re.compile(r"\s*\((?:[^()]*\d{4}[^()]*|[a-zæøå][^()]*)\)")


def source_name(source: str) -> str:
    """Who a source is, as a newspaper names it in a sentence: the part before the first comma or
    semicolon, without the year or a lower-case remark in parentheses, and a web site's owner rather
    than its page. "ILO, Global Estimates … (2022)" -> "ILO"; "EUs Daphne-program (studie), gjengitt
    i …" -> "EUs Daphne-program"; "regjeringen.no: Nasjonal strategi …" -> "regjeringen"."""
    head = re.split(r"[,;]", source)[0]
    head = YEAR_PARENTHESIS.sub("", head).strip()
    site = re.match(r"^([a-zæøå0-9-]+)\.no(?::|\s+om\s)", head)
    if site:
        return site.group(1) if ":" in head[: site.end()] else f"{site.group(1)}.no"
    return head or source.strip()


def _names(who: str, text: str) -> bool:
    """True when ``text`` already names the source ``who``: its acronym (as written, also in the
    genitive: "KOMs", "ILOs"), or, without one, a longer word of its name."""
    words = [w.strip("()«»'\".,:") for w in who.split()]
    acronyms = [w[:-1] if w.endswith("s") and w[:-1].isupper() else w for w in words]
    acronyms = [w for w in acronyms if len(w) >= 2 and w.isupper()]
    if acronyms:
        return any(re.search(rf"\b{re.escape(a)}s?\b", text) for a in acronyms)
    keys = [w for w in words if len(w) >= 4]
    return any(re.search(rf"\b{re.escape(k)}", text, re.IGNORECASE) for k in keys)


def sourced_sentence(text: str, source: str, year: int | None, language: str, dated: bool = True) -> str:
    """The fact as one sentence that names its source once, the way newspapers write: the text as it
    is when it already names the source, otherwise "…, ifølge ILO (2022)." (the year only where the
    text gives none, and never for what does not date, such as a law)."""
    who = source_name(source)
    body = text[:-1] if text.endswith(".") else text
    if _names(who, text):
        return body + "."
    according = "ifølgje" if language == "nn" else "ifølge"
    if year and dated and str(year) not in text:
        who = f"{who[:-1]}, {year})" if who.endswith(")") else f"{who} ({year})"
    return f"{body}, {according} {who}."


def fact_contexts(campaign: Campaign) -> dict[str, dict[str, dict]]:
    """Facts by written standard and id for the templates.

    ``sourced`` is the fact as a newspaper sentence with its source and year named once in it
    ("…, ifølge ILO (2022)."); ``who`` the source's short name; ``statement`` the text without its
    full stop; ``ref`` the full source without parentheses of its own (for letters, not op-eds).
    """

    by_language: dict[str, dict[str, dict]] = {}
    for language in ("nb", "nn"):
        contexts = {}
        for fact_id in campaign.facts:
            context = fact_context(campaign, fact_id, language)
            text = context["text"]
            context["statement"] = text[:-1] if text.endswith(".") else text
            context["ref"] = PARENTHESIS.sub(r", \1", context["source"])
            context["who"] = source_name(context["source"])
            context["sourced"] = sourced_sentence(text, context["source"], context["year"], language,
                                                  getattr(campaign.facts[fact_id], "dated", True))
            contexts[fact_id] = context
        by_language[language] = contexts
    return by_language


def oped_context(campaign: Campaign, spec: PieceSpec, version: str, language: str, signatory: OpedSignatory | None, facts=None) -> dict:
    """Everything an op-ed template may use (documented in docs/campaign-files.md)."""

    facts = (facts if facts is not None else fact_contexts(campaign))[language]
    demands = [
        {
            "id": d.id, "number": d.number, "title": d.title, "summary": d.summary, "ask": d.ask,
            "facts": [facts[f] for f in d.facts if f in facts],
        }
        for d in (demand.in_language(language) for demand in campaign.demands)
    ]
    org = campaign.organisation
    return {
        "piece": {"id": spec.id, "version": version, "long": version == "kronikk", "language": language},
        "demand": next((d for d in demands if d["id"] == spec.demand), None),
        "demands": demands,
        "facts": facts,
        "signatory": {
            "name": signatory.name if signatory else "", "role": signatory.role if signatory else "",
            "town": signatory.town if signatory else "", "district": signatory.district if signatory else "",
            "district_name": signatory.district_name if signatory else "",
        },
        "organisation": {"name": org.name, "website": org.website},
        "campaign": campaign_context(campaign),
        "language": language,
    }


def render_piece(
    campaign: Campaign, templates, spec: PieceSpec, version: str, language: str,
    signatory: OpedSignatory | None = None, facts=None, local: dict | None = None,
) -> RenderedPiece:
    """Render one piece in one length and language; raises TemplateProblem with the template's line.

    ``local`` (toolkit.opeds.pack.local_context) adds the local paragraph of a piece for a local or
    regional outlet, from letter_templates/<language>/oped_local.j2, before the closing paragraph.
    """
    context = oped_context(campaign, spec, version, language, signatory, facts)
    text = templates[language].render(spec.template, context)
    if local is not None:
        own = markup.parse(templates[language].render(LOCAL_TEMPLATE, {**context, "local": local}))
        parsed = markup.parse(text)
        last_body = max((i for i, p in enumerate(parsed) if p.style == "Body"), default=len(parsed) - 1)
        text = None
        source = parsed[:last_body] + own + parsed[last_body:]
    else:
        source = markup.parse(text)
    paragraphs = []
    for paragraph in source:
        if paragraph.style in ("Title", "Ingress", "Byline"):
            # A long title or ingress may be wrapped in the template; in print it is one line.
            runs = tuple(markup.Run(" ".join(run.text.split("\n")), run.bold, run.italic) for run in paragraph.runs)
            paragraph = markup.Paragraph(paragraph.style, runs)
        paragraphs.append(paragraph)
    chars, words = count_text(paragraphs)
    return RenderedPiece(spec.id, version, language, tuple(paragraphs), chars, words)


def structure_problem(rendered: RenderedPiece) -> str | None:
    """What is missing from a rendered piece (title, ingress, body, byline), or None."""
    styles = [p.style for p in rendered.paragraphs]
    for style, name in (("Title", "tittel"), ("Ingress", "ingress"), ("Byline", "byline")):
        if styles.count(style) != 1:
            return f"skal ha nøyaktig én {name} (::{style}), men har {styles.count(style)}"
    if "Body" not in styles:
        return "har ingen brødtekst"
    if styles[-1] != "Byline":
        return "skal slutte med bylinen (::Byline)"
    return None


def load_opeds(campaign: Campaign, problems: Problems) -> OpedSetup | None:
    """Read the op-eds' settings, outlets, signatories and status file, and render every piece in each
    length and language (the planner needs their counts); None when the campaign has no op-eds.
    Problems found while reading are recorded; ``check_opeds`` checks the rest."""
    folder = campaign.folder
    present = "opeds" in campaign.config or (folder / OUTLETS_FILE).exists() or excel_twin(folder / OUTLETS_FILE) is not None
    if not present:
        return None
    wait, pieces = load_settings(campaign, problems)
    lead, gap = load_spacing(campaign, problems)
    piece_ids = tuple(p.id for p in pieces)
    outlets = load_outlets(folder / OUTLETS_FILE, problems, piece_ids)
    report_unknown_rules(outlets, problems)
    signatories = load_signatories(folder / SIGNATORIES_FILE, problems, outlets, campaign.language)
    setup = OpedSetup(wait, pieces, outlets, signatories, lead_days=lead, gap_days=gap)
    _render_pieces(campaign, setup, problems)
    setup.history, setup.status_separator = load_status(folder / STATUS_FILE, problems, setup)
    return setup


def check_opeds(campaign: Campaign, setup: OpedSetup, problems: Problems) -> None:
    """Validation step: the facts' areas, and each piece's length against each outlet's limits."""
    for fact in campaign.facts.values():
        if fact.county and not districts_of(fact.county):
            problems.error("facts.yaml", f"«{fact.county}» er verken et fylke eller en valgkrets.",
                           f"Skriv et fylke ({', '.join(COUNTIES)}) eller en valgkrets-id som NT.",
                           line=fact.line or None, field="county")
    _check_lengths(campaign, setup, problems)


def _render_pieces(campaign: Campaign, setup: OpedSetup, problems: Problems) -> None:
    """Parse each piece's templates, render every length and language, and record the counts."""

    folder = campaign.templates_dir
    if not folder.is_dir():
        return  # check_letter_templates reports the missing folder
    templates = templates_for(campaign)
    facts = fact_contexts(campaign)
    def check_shared(name: str, what: str, languages) -> None:
        for language in sorted(languages):
            if not templates[language].exists(name):
                problems.error(f"{folder.name}/{language}/{name}", f"Malen for {what} finnes ikke.",
                               f"Lag {name} i letter_templates/{language}/ (se letter_templates/nb/{name}).")
                continue
            try:
                templates[language].get(name)
            except TemplateProblem as exc:
                place, _, message = str(exc).partition(": ")
                problems.error(place, message)

    written_in = {language for spec in setup.pieces for language in spec.languages}
    # The cover note is written in each language a piece is sent in.
    check_shared(COVER_TEMPLATE, "følgebrevet", {"nb"} | written_in)
    if any(o.is_local for o in setup.outlets):
        check_shared(LOCAL_TEMPLATE, "det lokale avsnittet", written_in)
    # Rendering both lengths runs every branch a piece has, so a strict render finds what
    # Templates.check would (an unknown variable, with the template's line) at half the cost.
    for spec in setup.pieces:
        for language in spec.languages:
            label = templates[language].label(spec.template)
            if not templates[language].exists(spec.template):
                label = f"{folder.name}/{language}/{spec.template}"
                problems.error(label, "Malen finnes ikke.",
                               f"Lag {spec.template} i letter_templates/{language}/, eller fjern «{language}» fra languages for innlegget.")
                continue
            for version in VERSIONS:
                try:
                    rendered = render_piece(campaign, templates, spec, version, language, None, facts)
                except TemplateProblem as exc:
                    place, _, message = str(exc).partition(": ")
                    problems.error(place, message)
                    break
                wrong = structure_problem(rendered)
                if wrong:
                    problems.error(label, f"Innlegget {wrong}.", "Se docs/campaign-files.md for oppsettet til en kronikkmal.")
                    break
                setup.lengths[(spec.id, version, language)] = rendered


def _check_lengths(campaign: Campaign, setup: OpedSetup, problems: Problems) -> None:
    """A piece over an outlet's limit is an error saying by how much; a piece nothing fits is a warning."""
    templates = templates_for(campaign)
    usable = [o for o in setup.outlets if o.rules_known]
    for spec in setup.pieces:
        placed = False
        for language in spec.languages:
            label = templates[language].label(spec.template)
            for version in VERSIONS:
                rendered = setup.lengths.get((spec.id, version, language))
                if rendered is None:
                    continue
                what = f"«{rendered.title}» ({VERSION_NAMES[version]}, {LANGUAGE_NAMES[language]})"
                for outlet in usable:
                    limit = outlet.limits.get(version)
                    if limit is None or language not in outlet.languages or not outlet.takes(spec.id):
                        continue
                    count, unit = rendered.count(outlet.unit), UNIT_NAMES[outlet.unit]
                    other = next((v for v in VERSIONS if v != version and setup.fits(outlet, spec.id, v, language)), None)
                    if count > limit.high and other:
                        # The other length fits this outlet and goes there: worth knowing, not an error.
                        problems.warning(
                            label,
                            f"{what} har {format_count(count)} {unit}, men {outlet.name} tar høyst "
                            f"{format_count(limit.high)} {unit}; avisa får {VERSION_NAMES[other]}en i stedet.",
                            f"Kort ned teksten med minst {format_count(count - limit.high)} {unit} "
                            "hvis avisa skal kunne få denne versjonen.",
                        )
                        placed = True
                    elif count > limit.high:
                        problems.error(
                            label,
                            f"{what} har {format_count(count)} {unit}, men {outlet.name} tar høyst "
                            f"{format_count(limit.high)} {unit}: {format_count(count - limit.high)} {unit} for mye.",
                            f"Kort ned teksten med minst {format_count(count - limit.high)} {unit}"
                            + (" (tittel, ingress og brødtekst teller; bylinen teller ikke)." if unit == "tegn" else "."),
                        )
                    elif limit.low is not None and count < limit.low:
                        problems.warning(
                            label,
                            f"{what} har {format_count(count)} {unit}; {outlet.name} vil ha minst {format_count(limit.low)} {unit}, "
                            "så innlegget blir ikke sendt dit.",
                            f"Skriv {format_count(limit.low - count)} {unit} til hvis det skal dit.",
                        )
                    else:
                        placed = True
        if not placed and any((spec.id, v, lang) in setup.lengths for v in VERSIONS for lang in spec.languages):
            problems.warning(
                "campaign.yaml", f"Innlegget «{spec.id}» passer ikke hos noen av avisene med kjente regler og blir ikke planlagt.",
                "Sjekk språk og lengde mot outlets.csv.", line=spec.line or None, field="opeds.pieces",
            )
