"""The campaign site: a static website where each supporter writes to the representatives of their district.

`toolkit site` writes it into ``<output>/side/``: a front page (the campaign, its demands with their
sources, the organisation), a page to find one's electoral district, a page per district with its
representatives and the letter writer, and a privacy note, in bokmål and (under ``nn/``) nynorsk.

Nothing leaves the browser: no server, no cookies, no scripts or fonts from elsewhere. Every page
carries a Content-Security-Policy that only lets it load its own files, the letter is put together
in the page from text rendered here from the campaign's templates (``site_letter.j2``), and the
supporter sends it from their own mail program. Without JavaScript each district page still shows its
representatives and a letter draft to copy; the script adds the live letter, the copy warning (the
fingerprint measure of ``toolkit check``, see ``similarity.py``, implemented again in ``site.js``),
the mail link and printing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from toolkit.core import markup
from toolkit.core.errors import Problems, ToolkitError
from toolkit.core.fsutil import atomic_write_bytes, safe_stem
from toolkit.core.model import LANGUAGES, Campaign, Recipient
from toolkit.core.sources import read_csv, read_text
from toolkit.core.templates import Templates, format_date, join_and, page_environment
from toolkit.letters.pack import templates_for
from toolkit.letters.render import campaign_context, demand_context, letter_context, lookup_names, rank_demands
from toolkit.letters.similarity import dice, fingerprint
from toolkit.letters.supporters import MAX_PARAGRAPH_CHARS  # a supporter's paragraph, as in supporters.csv
from toolkit.opeds.outlets import DISTRICTS
from toolkit.site.texts import TEXTS

SITE_FOLDER = "side"
ASSET_DIR = Path(__file__).resolve().parent.parent / "data" / "site"
LETTER_TEMPLATE = "site_letter.j2"
INTRO_TEMPLATE = "site_intro.j2"
EXAMPLES_FILE = "site_examples.txt"
MUNICIPALITIES_FILE = "kommuner.csv"
MAX_SITE_BYTES = 1_000_000

# Some mail programs and browsers on Windows cut or refuse mailto: links longer than about 2,000
# characters; above this the page leaves the body out of the link and offers "Kopier brevet".
MAILTO_LIMIT = 2000
# The Storting's official route for a representative without a verified address: the general inbox and
# the postal address (../shared/reference/facts-2026.md, "The Storting", read on stortinget.no).
STORTINGET_POSTAL = ("Stortinget", "Karl Johans gate 22", "0026 Oslo")
STORTINGET_EMAIL = "postmottak@stortinget.no"
# Stand-ins for what the supporter types; the page replaces them. Private-use characters never occur
# in campaign text, so a template cannot produce one by accident.
TOKENS = {"name": "\ue000navn\ue000", "place": "\ue000sted\ue000", "paragraph": "\ue000avsnitt\ue000"}
ASSETS = ("side.css", "side.js")
# Wordings of the letter (`variant` in site_letter.j2); the page picks one by the supporter's name, so
# one representative's letters from different people differ beyond their own paragraphs.
VARIANTS = 3
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'none'; "
       "connect-src 'none'; form-action 'none'; base-uri 'none'")


class SiteProblem(ToolkitError):
    """The site cannot be built from these campaign files."""

    exit_code = 2


@dataclass
class SiteReport:
    """What `toolkit site` wrote."""

    folder: Path
    pages: int = 0
    bytes: int = 0
    districts_with_representatives: int = 0
    representatives: int = 0
    verified: int = 0
    municipalities: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"Nettside: {self.pages} sider ({self.bytes / 1000:.0f} kB) i {self.folder}; "
                f"{self.representatives} stortingsrepresentanter i {self.districts_with_representatives} av "
                f"{len(DISTRICTS)} valgdistrikter, {self.verified} med kontrollert e-postadresse.")
        return "\n".join([text, *("  " + warning for warning in self.warnings)])


def district_slug(district_id: str) -> str:
    return safe_stem(DISTRICTS.get(district_id, district_id))


def _json_for_html(value) -> str:
    """JSON to put inside a <script type="application/json">: no "<", ">" or "&" that could end it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def read_examples(campaign: Campaign, language: str) -> list[str]:
    """The example paragraphs the page shows (and warns about when pasted), one per block of text."""

    path = campaign.templates_dir / language / EXAMPLES_FILE
    if not path.is_file():
        return []
    problems = Problems()
    text = read_text(path, problems, f"letter_templates/{language}/{EXAMPLES_FILE}")
    problems.raise_if_errors()
    assert text is not None  # read_text gives None only with an error, raised above
    lines = ["" if not line.strip() else line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return [" ".join(block.split()) for block in "\n".join(lines).split("\n\n") if block.strip()]


def read_municipalities(campaign: Campaign) -> dict[str, list[str]]:
    """Municipality name → district ids from the campaign's optional kommuner.csv (columns kommune,
    valgdistrikt). A name may stand in more than one district (Våler, Herøy): the page offers each."""

    path = campaign.folder / MUNICIPALITIES_FILE
    if not path.is_file():
        return {}
    problems = Problems()
    table = read_csv(path, problems, MUNICIPALITIES_FILE, ("kommune", "valgdistrikt"), ("kommune", "valgdistrikt"))
    by_name = {name.casefold(): district for district, name in DISTRICTS.items()}
    by_id = {district.casefold(): district for district in DISTRICTS}
    found: dict[str, list[str]] = {}
    for number, row in table.rows if table else ():
        name, district = row["kommune"].strip(), row["valgdistrikt"].strip()
        district_id = by_id.get(district.casefold()) or by_name.get(district.casefold())
        if not name:
            problems.error(MUNICIPALITIES_FILE, "Mangler kommunenavn.", "Fyll inn kommunen eller slett raden.",
                           row=number, field="kommune")
        elif district_id is None:
            problems.error(MUNICIPALITIES_FILE, f"«{district}» er ikke et valgdistrikt.",
                           f"Bruk et av de 19: {', '.join(DISTRICTS.values())}.", row=number, field="valgdistrikt")
        elif district_id not in found.setdefault(name, []):
            found[name].append(district_id)
    problems.raise_if_errors()
    return found


def reference_texts(campaign: Campaign) -> list[tuple[str, str]]:
    """What a supporter's paragraph must not be copied from: the examples, the demands and the facts."""
    texts: list[tuple[str, str]] = []
    for language in LANGUAGES:
        for number, example in enumerate(read_examples(campaign, language), 1):
            texts.append((f"example-{language}-{number}", example))
        for demand in campaign.demands:
            local = demand.in_language(language)
            for part, text in (("summary", local.summary), ("ask", local.ask),
                               *((f"argument-{n}", a) for n, a in enumerate(local.arguments, 1))):
                texts.append((f"{demand.id}-{language}-{part}", text))
        for fact in campaign.facts.values():
            texts.append((f"fact-{fact.id}-{language}", fact.in_language(language).text))
    # One entry per distinct text: an untranslated demand is the same text in both languages.
    return list({text: (key, text) for key, text in texts if text}.values())


def copy_score(paragraph: str, references: list[frozenset[int]]) -> float:
    """How much of a paragraph is copied: the higher of its best Dice coefficient against one reference
    text (the measure of `toolkit check`) and the share of its fingerprints found in any of them (so a
    paragraph lifted from a long argument counts, which Dice against the whole argument would dilute).
    ``site.js`` computes the same; the browser tests compare the two."""
    hashes = fingerprint(paragraph)
    if not hashes:
        return 0.0
    best = max((dice(hashes, reference) for reference in references), default=0.0)
    union = frozenset().union(*references) if references else frozenset()
    return max(best, len(hashes & union) / len(hashes))


def group_recipient(district_id: str, members: list[Recipient]) -> Recipient:
    """The district's representatives as one addressee, with every committee any of them sits in."""
    committees: dict[str, str] = {}
    for member in members:
        for number, committee in enumerate(member.committees):
            names = member.committee_names
            committees.setdefault(committee, names[number] if number < len(names) else committee)
    return Recipient(
        id=f"distrikt-{district_slug(district_id)}", kind="mp", name=f"stortingsrepresentantene fra {DISTRICTS[district_id]}",
        organisation="Stortinget", committees=tuple(committees), committee_names=tuple(committees.values()),
        county=district_id, county_name=DISTRICTS[district_id],
    )


def letter_paragraphs(
    campaign: Campaign, templates, district_id: str, members: list[Recipient], language: str, names, variant: int = 0
) -> list[dict]:
    """The district's letter as paragraphs ``{"style", "text"}`` with the stand-ins in ``TOKENS``."""

    recipient = replace(group_recipient(district_id, members), language=language)
    context = letter_context(campaign, recipient, date.today(), names, variant=variant)
    context["signer"] = {"name": TOKENS["name"], "place": TOKENS["place"]}
    context["personal_paragraph"] = TOKENS["paragraph"]
    text = templates[language].render(LETTER_TEMPLATE, context)
    return [{"style": p.style, "text": p.text} for p in markup.parse(text)]


def letter_context_view(campaign: Campaign, language: str) -> dict:
    """The organisation and the demands as letter templates see them, for the front page's introduction."""

    org = campaign.organisation
    nobody = Recipient(id="nettside", kind="other", name="", language=language)
    return {
        "organisation": {"name": org.name, "address": list(org.address), "website": org.website, "email": org.email},
        "demands": [demand_context(campaign, ranked, nobody, language, 0) for ranked in
                    sorted(rank_demands(campaign, nobody), key=lambda r: r.demand.number)],
    }


@dataclass
class _Page:
    path: str  # relative to the site folder, with "/"
    template: str
    context: dict


def build_site(campaign: Campaign, base_url: str = "") -> SiteReport:
    """Write the whole site into ``<output>/side/`` and return what was written."""
    folder = campaign.output_dir / SITE_FOLDER
    report = SiteReport(folder)
    base_url = base_url.rstrip("/")
    if base_url and not base_url.startswith(("https://", "http://")):
        raise SiteProblem(f"--base-url «{base_url}» må være en full adresse som begynner med https://.")
    templates = {}
    for language in LANGUAGES:
        engine = templates_for(campaign).get(language) or Templates(campaign.templates_dir, language)
        for name in (LETTER_TEMPLATE, INTRO_TEMPLATE):
            if not engine.exists(name):
                raise SiteProblem(
                    f"Malen letter_templates/{language}/{name} mangler. Kopier den fra den utleverte kampanjen "
                    "(se docs/site.md) og tilpass teksten."
                )
        templates[language] = engine
    names = lookup_names(campaign)
    municipalities = read_municipalities(campaign)
    report.municipalities = len(municipalities)
    members_of: dict[str, list[Recipient]] = {district: [] for district in DISTRICTS}
    for recipient in campaign.recipients:
        if recipient.kind == "mp" and recipient.county in members_of:
            members_of[recipient.county].append(recipient)
    unknown = sorted({r.county for r in campaign.recipients if r.kind == "mp" and r.county not in DISTRICTS})
    if unknown:
        report.warnings.append(f"Representanter med ukjent valgdistrikt blir ikke vist: {', '.join(unknown)}.")
    for members in members_of.values():
        members.sort(key=lambda r: (r.name.split()[-1:], r.name))
    report.districts_with_representatives = sum(1 for m in members_of.values() if m)
    report.representatives = sum(len(m) for m in members_of.values())
    report.verified = sum(1 for m in members_of.values() for r in m if r.email and r.email_verified)
    if not report.representatives:
        report.warnings.append("recipients.csv har ingen stortingsrepresentanter: distriktsidene viser bare Stortingets "
                               "postadresse. Hent dem med «toolkit recipients import-stortinget».")
    elif not report.verified:
        report.warnings.append("Ingen stortingsrepresentant har kontrollert e-postadresse (email_verified = ja): "
                               "siden viser Stortingets postmottak i stedet. Se docs/site.md.")
    references = reference_texts(campaign)
    threshold = campaign.similarity_threshold
    assets = {name: (ASSET_DIR / name).read_bytes() for name in ASSETS}
    references_js = ("window.toolkitReferences = " + json.dumps(
        {"threshold": threshold, "fingerprints": [sorted(fingerprint(text)) for _, text in references]},
        separators=(",", ":")) + ";\n").encode()

    env = page_environment(ASSET_DIR)
    pages: list[_Page] = []
    for language in LANGUAGES:
        t = TEXTS[language]
        prefix = "" if language == "nb" else "nn/"
        demands = [d.in_language(language) for d in campaign.demands]
        demand_facts = {
            d.id: [campaign.facts[f].in_language(language) for f in d.facts if f in campaign.facts] for d in campaign.demands
        }
        # The same view of the campaign the letter templates get, not the whole model (SMTP settings and all).
        letter_view = letter_context_view(campaign, language)
        intro = markup.parse(templates[language].render(INTRO_TEMPLATE, {
            "organisation": letter_view["organisation"], "campaign": campaign_context(campaign), "demands": letter_view["demands"],
        }))
        common = {"language": language, "t": t, "campaign": campaign, "organisation": campaign.organisation}
        pages.append(_Page(f"{prefix}index.html", "index.html.j2", {
            **common, "intro": intro, "demands": demands, "facts": demand_facts,
        }))
        districts: list[dict[str, Any]] = [
            {"id": d, "name": n, "slug": district_slug(d), "count": len(members_of[d])} for d, n in DISTRICTS.items()
        ]
        pages.append(_Page(f"{prefix}representanter.html", "finn.html.j2", {
            **common, "districts": districts,
            "search": {"districts": {d["name"]: d["slug"] for d in districts},
                       "municipalities": {m: sorted(district_slug(d) for d in ids) for m, ids in sorted(municipalities.items())},
                       "texts": {key: t["js"][key] for key in ("no_match", "several")}},
        }))
        pages.append(_Page(f"{prefix}personvern.html", "personvern.html.j2", common))
        for district in districts:
            members = members_of[district["id"]]
            people = []
            for member in members:
                owned = [r.demand.in_language(language) for r in rank_demands(campaign, member, names) if r.score > 0]
                people.append({
                    "name": member.name, "party": member.party_name or member.party,
                    "committees": list(member.committee_names) or [names[1].get(c, c) for c in member.committees],
                    "demands": owned,
                    "email": member.email if member.email and member.email_verified else "",
                })
            variants: list[dict[str, Any]] = []
            for variant in range(VARIANTS):
                paragraphs = letter_paragraphs(campaign, templates, district["id"], members, language, names, variant)
                subject = next((p["text"] for p in paragraphs if p["style"] == "Heading1"), "")
                body = [p for p in paragraphs if p["style"] != "Heading1"]
                if {"subject": subject, "paragraphs": body} not in variants:  # a template may not vary its words
                    variants.append({"subject": subject, "paragraphs": body})
            subject, body = variants[0]["subject"], variants[0]["paragraphs"]
            draft = _draft_text(body, t)
            data = {
                "variants": variants, "tokens": TOKENS,
                "addresses": [p["email"] for p in people if p["email"]],
                "limit": MAX_PARAGRAPH_CHARS, "mailtoLimit": MAILTO_LIMIT, "threshold": threshold,
                "recipientLines": [t["to_representatives"].format(district=district["name"]), *STORTINGET_POSTAL],
                "texts": t["js"],
                "placeholders": {"name": t["your_name"], "paragraph": t["paragraph_placeholder"]},
            }
            pages.append(_Page(f"{prefix}distrikt/{district['slug']}.html", "distrikt.html.j2", {
                **common, "district": district, "people": people, "draft": draft,
                "draft_subject": subject.replace(TOKENS["name"], t["your_name"]),
                "data": _json_for_html(data), "examples": read_examples(campaign, language),
                "postal": STORTINGET_POSTAL, "storting_email": STORTINGET_EMAIL,
                "unverified": [p for p in people if not p["email"]], "limit": MAX_PARAGRAPH_CHARS,
            }))

    written: dict[str, bytes] = {f"assets/{name}": data for name, data in assets.items()}
    written["assets/referanser.js"] = references_js
    for page in pages:
        depth = page.path.count("/")
        root = "../" * depth
        language = page.context["language"]
        twin = page.path[3:] if language == "nn" else f"nn/{page.path}"
        env.filters.update(
            dato=lambda d, language=language: format_date(d, language),
            dag=lambda d, language=language: format_date(d, language, with_year=False),
            join_and=join_and,
        )
        html = env.get_template(page.template).render(
            **page.context, root=root, home=root + ("nn/" if language == "nn" else ""),
            twin=root + twin, csp=CSP, page_path=page.path,
            canonical=f"{base_url}/{page.path}".removesuffix("index.html") if base_url else "",
            base_url=base_url,
        )
        written[page.path] = html.encode("utf-8")
    report.pages = len(pages)
    report.bytes = sum(len(data) for data in written.values())
    if report.bytes > MAX_SITE_BYTES:
        report.warnings.append(f"Siden er {report.bytes / 1000:.0f} kB, over {MAX_SITE_BYTES / 1000:.0f} kB: den lastes "
                               "tregt på mobil. Se docs/site.md.")
    _write(folder, written)
    return report


def _draft_text(paragraphs: list[dict], t: dict) -> str:
    """The letter as plain text for copying without JavaScript, with the stand-ins spelt out."""
    text = markup.to_plain_text([markup.Paragraph(p["style"], (markup.Run(p["text"]),)) for p in paragraphs])
    return (text.replace(TOKENS["paragraph"], t["paragraph_placeholder"])
                .replace(TOKENS["name"], t["your_name"]).replace(TOKENS["place"], t["your_place"]))


def _write(folder: Path, files: dict[str, bytes]) -> None:
    """Write the site's files, each atomically. The set of pages is fixed (19 districts, two
    languages), so a rerun replaces every file it wrote before and touches nothing else."""
    for relative, data in files.items():
        atomic_write_bytes(folder / relative, data, durable=False)


def site_size(folder: Path) -> int:
    """Bytes of every file under the site folder."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
