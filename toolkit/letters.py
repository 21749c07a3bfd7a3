"""Personalised letters: which demands lead for whom, the template context, and rendering."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from toolkit import markup
from toolkit.model import Campaign, Demand, Recipient
from toolkit.templates import Templates, upper_first

LETTER_TEMPLATES = {kind: f"letter_{kind}.j2" for kind in ("minister", "ministry", "mp", "committee", "other")}
# Variables every letter template may use; `validate` reports any other name a template uses.
LETTER_VARIABLES = {
    "organisation", "signatories", "campaign", "date", "recipient", "lead", "others", "demands",
    "language", "signer", "personal_paragraph", "variant",
}


@dataclass(frozen=True)
class RankedDemand:
    """A demand and why it matters to one recipient; ``score`` 0 means it is only summarised."""

    demand: Demand
    score: int
    reasons: tuple[str, ...]


@dataclass
class Letter:
    """One rendered letter, ready for the DOCX, text and e-mail writers."""

    recipient: Recipient
    subject: str
    paragraphs: list[markup.Paragraph]
    lead: tuple[str, ...]
    others: tuple[str, ...]
    language: str

    @property
    def text(self) -> str:
        return markup.to_plain_text(self.paragraphs)


def lookup_names(campaign: Campaign) -> tuple[dict[str, str], dict[str, str]]:
    """Ministry and committee names by id, from the rows of recipients.csv."""
    ministries = {r.ministry: r.name for r in campaign.recipients if r.kind == "ministry" and r.ministry}
    # Names an MP row carries from the Storting's data, overridden by the committees' own rows.
    committees = {c: n for r in campaign.recipients if r.kind == "mp" for c, n in zip(r.committees, r.committee_names)}
    committees.update({c: r.name for r in campaign.recipients if r.kind == "committee" for c in r.committees})
    return ministries, committees


def rank_demands(campaign: Campaign, recipient: Recipient, names=None) -> list[RankedDemand]:
    """Order the demands for a recipient: those their ministry or committees own first."""
    ministries, committees = names or lookup_names(campaign)
    ranked = []
    for demand in campaign.demands:
        score = 0
        reasons: list[str] = []
        if recipient.ministry and recipient.ministry in demand.ministries:
            # The first ministry named is the one that leads on the demand.
            score += 3 if demand.ministries[0] == recipient.ministry else 2
            reasons.append(ministries.get(recipient.ministry, recipient.ministry))
        for committee in recipient.committees:
            if committee in demand.committees:
                score += 3 if demand.committees[0] == committee else 2
                reasons.append(committees.get(committee, committee))
        ranked.append(RankedDemand(demand, score, tuple(reasons)))
    return sorted(ranked, key=lambda r: (-r.score, r.demand.number))


FACTS_PER_DEMAND = 3


def stable_number(*keys: str) -> int:
    """A number derived from the keys alone, so the same input always gives the same letter."""
    digest = hashlib.sha256("\x1f".join(keys).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def variant_numbers(recipients) -> dict[str, int]:
    """Number the recipients who sit together (same first committee, else same kind) 0, 1, 2, …

    Letters to people in one group are read side by side, so each member gets a different variant
    number and with it a different combination of phrasings and facts (see ``letter_context``).
    """
    groups: dict[str, list[str]] = {}
    for recipient in recipients:
        key = recipient.committees[0] if recipient.committees else recipient.kind
        groups.setdefault(key, []).append(recipient.id)
    return {rid: number for ids in groups.values() for number, rid in enumerate(sorted(ids))}


def address_lines(recipient: Recipient) -> list[str]:
    """The address block for a recipient, by kind (NS 4129 layout: name, role, body, address)."""
    if recipient.kind == "minister":
        lines = [f"{upper_first(recipient.title)} {recipient.name}".strip(), recipient.organisation]
    elif recipient.kind == "mp":
        lines = [f"Stortingsrepresentant {recipient.name}", recipient.organisation or "Stortinget"]
    elif recipient.kind in ("ministry", "committee"):
        lines = [recipient.name, recipient.organisation if recipient.organisation != recipient.name else ""]
    else:
        lines = [recipient.name, upper_first(recipient.title), recipient.organisation]
    return list(dict.fromkeys(line for line in lines + list(recipient.postal_address) if line))


def fact_context(campaign: Campaign, fact_id: str, language: str = "nb") -> dict:
    fact = campaign.facts[fact_id].in_language(language)
    return {"id": fact.id, "text": fact.text, "source": fact.source, "year": fact.year, "url": fact.url, "citation": fact.citation}


def demand_context(
    campaign: Campaign, ranked: RankedDemand, recipient: Recipient, language: str = "nb", digit: int | None = None
) -> dict:
    """One demand as a template sees it; ``digit`` picks the phrasing and the facts for this letter."""
    demand = ranked.demand.in_language(language)
    if digit is None:
        digit = stable_number(campaign.slug, recipient.id, demand.id)
    # An offset per demand keeps the first variant from always using every demand's first phrasing.
    offset = stable_number(campaign.slug, demand.id)
    argument = demand.arguments[(digit + offset) % len(demand.arguments)] if demand.arguments else ""
    facts = list(demand.facts)
    if len(facts) > FACTS_PER_DEMAND:
        start = (digit + offset) % len(facts)
        facts = [facts[(start + k) % len(facts)] for k in range(FACTS_PER_DEMAND)]
    return {
        "id": demand.id,
        "number": demand.number,
        "title": demand.title,
        "summary": demand.summary,
        "argument": argument,
        "ask": demand.ask,
        "facts": [fact_context(campaign, f, language) for f in facts],
        "reasons": list(dict.fromkeys(ranked.reasons)),
    }


def recipient_context(recipient: Recipient, committee_names: dict[str, str], ministry_names: dict[str, str]) -> dict:
    return {
        "id": recipient.id,
        "kind": recipient.kind,
        "name": recipient.name,
        "title": recipient.title,
        "organisation": recipient.organisation,
        "ministry": recipient.ministry,
        "ministry_name": ministry_names.get(recipient.ministry, recipient.organisation),
        "committees": list(recipient.committees),
        "committee_names": list(recipient.committee_names) or [committee_names.get(c, c) for c in recipient.committees],
        "party": recipient.party,
        "party_name": recipient.party_name,
        "county": recipient.county,
        "county_name": recipient.county_name,
        "email": recipient.email,
        "address_lines": address_lines(recipient),
        "language": recipient.language,
    }


def campaign_context(campaign: Campaign) -> dict:
    return {
        "year": campaign.year,
        "start": campaign.start,
        "end": campaign.end,
        "hashtags": list(campaign.hashtags),
        "link": campaign.link,
    }


def letter_context(
    campaign: Campaign, recipient: Recipient, letter_date: date, names=None, variant: int | None = None
) -> dict:
    """Everything a letter template may use (documented in docs/templates.md).

    ``variant`` (from ``variant_numbers``) is read as a mixed-radix number whose digits choose the
    phrasing of each leading demand, so recipients with different variants get different texts.
    """
    names = names or lookup_names(campaign)
    ministries, committees = names
    ranked = rank_demands(campaign, recipient, names)
    language = language_of(campaign, recipient)
    lead = []
    remaining = variant
    for r in (r for r in ranked if r.score > 0):
        digit = None
        if remaining is not None:
            base = max(len(r.demand.arguments), 1)
            digit, remaining = remaining % base, remaining // base
        lead.append(demand_context(campaign, r, recipient, language, digit))
    others = [demand_context(campaign, r, recipient, language) for r in ranked if r.score == 0]
    org = campaign.organisation
    return {
        "organisation": {"name": org.name, "address": list(org.address), "website": org.website, "email": org.email},
        "signatories": [{"name": s.name, "role": s.role} for s in campaign.signatories],
        "signer": None,
        "personal_paragraph": "",
        "variant": variant if variant is not None else stable_number(campaign.slug, recipient.id) % 1000,
        "campaign": campaign_context(campaign),
        "date": letter_date,
        "recipient": recipient_context(recipient, committees, ministries),
        "lead": lead,
        "others": others,
        "demands": sorted(lead + others, key=lambda d: d["number"]),
        "language": language,
    }


def language_of(campaign: Campaign, recipient: Recipient) -> str:
    return recipient.language or campaign.language


def render_letter(
    campaign: Campaign,
    templates: dict[str, Templates],
    recipient: Recipient,
    letter_date: date,
    names=None,
    context: dict | None = None,
    variant: int | None = None,
) -> Letter:
    """Render one recipient's letter in the recipient's written standard."""
    language = language_of(campaign, recipient)
    context = context or letter_context(campaign, recipient, letter_date, names, variant)
    engine = templates[language]
    text = engine.render(LETTER_TEMPLATES[recipient.kind], context)
    subject = " ".join(engine.from_string(campaign.letter_subject).render(context).split())
    return Letter(
        recipient=recipient,
        subject=subject,
        paragraphs=markup.parse(text),
        lead=tuple(d["id"] for d in context["lead"]),
        others=tuple(d["id"] for d in context["others"]),
        language=language,
    )


def select_recipients(recipients, selectors: tuple[str, ...]) -> list[Recipient]:
    """Filter recipients by ``--to`` selectors: an id, or kind:, party:, county:, committee:, ministry:.

    Several selectors widen the selection (any may match).
    """
    if not selectors:
        return list(recipients)
    from toolkit.errors import ToolkitError

    chosen = []
    for recipient in recipients:
        for selector in selectors:
            key, _, value = selector.partition(":")
            if not value:
                if recipient.id == selector.lower():
                    chosen.append(recipient)
                    break
                continue
            key = key.lower()
            matches = {
                "kind": recipient.kind == value.lower(),
                "type": recipient.kind == value.lower(),
                "party": recipient.party.lower() == value.lower(),
                "parti": recipient.party.lower() == value.lower(),
                "county": recipient.county.lower() == value.lower() or recipient.county_name.lower() == value.lower(),
                "fylke": recipient.county.lower() == value.lower() or recipient.county_name.lower() == value.lower(),
                "committee": value.upper() in (c.upper() for c in recipient.committees),
                "komite": value.upper() in (c.upper() for c in recipient.committees),
                "ministry": recipient.ministry.upper() == value.upper(),
                "departement": recipient.ministry.upper() == value.upper(),
            }
            if key not in matches:
                raise ToolkitError(
                    f"Ukjent utvalg «{selector}» i --to. Bruk en id, eller kind:, party:, county:, committee: eller ministry:."
                )
            if matches[key]:
                chosen.append(recipient)
                break
    if not chosen:
        raise ToolkitError(f"Ingen mottakere passer til --to {' '.join(selectors)}. Sjekk id-ene med «toolkit recipients list».")
    return chosen
