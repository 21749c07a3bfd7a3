"""Personalised letters: which demands lead for whom, the template context, and rendering."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from toolkit.core import markup
from toolkit.core.errors import ToolkitError
from toolkit.core.model import Campaign, Demand, Recipient
from toolkit.core.templates import Templates, join_and, lower_first, upper_first

LETTER_TEMPLATES = {kind: f"letter_{kind}.j2" for kind in ("minister", "ministry", "mp", "committee", "other")}
# Variables every letter template may use; `validate` reports any other name a template uses.
LETTER_VARIABLES = {
    "organisation", "signatories", "campaign", "date", "recipient", "lead", "others", "demands",
    "language", "signer", "personal_paragraph", "variant", "reply_by", "budget", "reference", "notes",
    "informational", "attachment",
}
# The file the full case is written to (see toolkit.letters.case), named in the letters that have it attached.
CASE_STEM = "kampanjens-krav"


@dataclass(frozen=True)
class RankedDemand:
    """A demand and why it matters to one recipient; ``score`` 0 means it is only summarised."""

    demand: Demand
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PlannedLetter:
    """One letter of the organisation: its addressee and every recipients.csv row it goes to.

    ``members`` holds the rows that share the letter (a ministry and its ministers, committees that
    share an inbox); ``informational`` marks a letter to a body that owns none of the demands.
    """

    recipient: Recipient
    members: tuple[Recipient, ...]
    informational: bool = False

    @property
    def member_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.members)


@dataclass
class LetterPlan:
    """Who gets a letter, who does not and why, and e-mail addresses that several letters share."""

    letters: list[PlannedLetter] = field(default_factory=list)
    left_out: list[tuple[Recipient, str]] = field(default_factory=list)
    shared: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


@dataclass
class Letter:
    """One rendered letter, ready for the DOCX, text and e-mail writers."""

    recipient: Recipient
    subject: str
    paragraphs: list[markup.Paragraph]
    lead: tuple[str, ...]
    others: tuple[str, ...]
    language: str
    members: tuple[str, ...] = ()  # the recipients.csv ids the letter goes to, when it is shared

    @property
    def text(self) -> str:
        return markup.to_plain_text(self.paragraphs)


def lookup_names(campaign: Campaign, language: str = "nb") -> tuple[dict[str, str], dict[str, str]]:
    """Ministry and committee names by id, from the rows of recipients.csv (nynorsk forms for ``nn``)."""
    def name(r: Recipient) -> str:
        return r.in_language(language).name

    ministries = {r.ministry: name(r) for r in campaign.recipients if r.kind == "ministry" and r.ministry}
    # Names an MP row carries from the Storting's data, overridden by the committees' own rows. A row
    # without committee_names gives none (the loader keeps the names only when there is one per committee).
    committees = {c: n for r in campaign.recipients if r.kind == "mp"
                  for c, n in zip(r.committees, r.committee_names, strict=False)}
    committees.update({c: name(r) for r in campaign.recipients if r.kind == "committee" for c in r.committees})
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
BRIEF_FROM = 2  # more owned demands than this: each is argued briefly
FACTS_IN_BRIEF = 2


def stable_number(*keys: str) -> int:
    """A number derived from the keys alone, so the same input always gives the same letter."""
    digest = hashlib.sha256("\x1f".join(keys).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def recipient_variant_numbers(recipients) -> dict[str, int]:
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


def owner_ids(recipient: Recipient) -> tuple[str, ...]:
    """The ids under which a recipient can own a demand: its ministry, then its committees."""
    return ((recipient.ministry,) if recipient.ministry else ()) + tuple(recipient.committees)


def demand_context(
    campaign: Campaign, ranked: RankedDemand, recipient: Recipient, language: str = "nb", digit: int | None = None,
    committee_names: dict[str, str] | None = None,
) -> dict:
    """One demand as a template sees it; ``digit`` picks the phrasing and the facts for this letter.

    ``angle`` is what the demand asks of this recipient's own body (``angles`` in demands.yaml);
    ``parts`` lists it per committee when one letter goes to several committees.
    """
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
    owners = [o for o in owner_ids(recipient) if o in demand.owners]
    angle = next((demand.angles[o] for o in owners if o in demand.angles), "")
    parts = []
    if recipient.kind == "committee" and len(recipient.committees) > 1:
        names = committee_names or {}
        parts = [
            {"id": c, "name": names.get(c, c), "angle": demand.angles.get(c, "")}
            for c in recipient.committees if c in demand.committees
        ]
    return {
        "id": demand.id,
        "number": demand.number,
        "title": demand.title,
        "summary": demand.summary,
        "argument": argument,
        "ask": demand.ask,
        "angle": angle,
        "parts": parts,
        "facts": [fact_context(campaign, f, language) for f in facts],
        "reasons": list(dict.fromkeys(ranked.reasons)),
    }


def recipient_context(
    recipient: Recipient, committee_names: dict[str, str], ministry_names: dict[str, str],
    members: tuple[Recipient, ...] = (), language: str = "nb",
) -> dict:
    shown = recipient.in_language(language)
    # Ministers who share the ministry's letter: it is addressed to the ministry "v/ statsråd NN".
    via = [
        {"name": m.in_language(language).name, "title": m.in_language(language).title}
        for m in members if m.kind == "minister" and m is not recipient and recipient.kind == "ministry"
    ]
    ministers = [recipient] if recipient.kind == "minister" else [m for m in members if m.kind == "minister"]
    prime_minister = any(m.title.strip().lower() == "statsminister" for m in ministers)
    lines = address_lines(shown)
    if recipient.kind == "committee" and len(recipient.committees) > 1:
        names = [committee_names.get(c, c) for c in recipient.committees]
        lines = list(dict.fromkeys(
            [shown.organisation or "Stortinget", "v/ " + join_and([lower_first(n) for n in names], language)]
            + list(recipient.postal_address)
        ))
    elif via:
        if len(via) == 1:
            word = "statsråd"
        else:
            word = "statsrådane" if language == "nn" else "statsrådene"
        if prime_minister:
            word = "statsminister"
        lines = list(dict.fromkeys(
            [shown.name, f"v/ {word} " + join_and([v["name"] for v in via], language)] + list(recipient.postal_address)
        ))
    return {
        "id": recipient.id,
        "kind": recipient.kind,
        "name": shown.name,
        "title": shown.title,
        "organisation": shown.organisation,
        "ministry": recipient.ministry,
        "ministry_name": ministry_names.get(recipient.ministry, shown.organisation),
        "committees": list(recipient.committees),
        "committee_names": (
            [committee_names.get(c, n) for c, n in zip(recipient.committees, recipient.committee_names, strict=True)]
            if recipient.committee_names else [committee_names.get(c, c) for c in recipient.committees]
        ),
        "party": recipient.party,
        "party_name": recipient.party_name,
        "county": recipient.county,
        "county_name": recipient.county_name,
        "email": recipient.email,
        "address_lines": lines,
        "language": recipient.language,
        "via": via,
        "prime_minister": prime_minister,
        "postal": bool(recipient.postal_address),
    }


def campaign_context(campaign: Campaign) -> dict:
    return {
        "year": campaign.year,
        "start": campaign.start,
        "end": campaign.end,
        "hashtags": list(campaign.hashtags),
        "link": campaign.link,
    }


def budget_context(campaign: Campaign, letter_date: date) -> dict:
    """Which budgets a letter can still ask for on ``letter_date``.

    The Storting adopts next year's budget in mid-December (``letters.budget_adopted_on``, default
    15 December). Before that, in the autumn, a letter asks for the coming year's budget; after it,
    for the revised budget in the spring and the budget for the year after.
    """
    adopted = campaign.letters.budget_adopted_on or date(letter_date.year, 12, 15)
    if letter_date.month >= 10 and letter_date <= adopted:
        coming = letter_date.year + 1
        # The budget's name is the same in bokmål and nynorsk.
        return {"before_adoption": True, "revised": None, "next": coming, "phrase": f"statsbudsjettet for {coming}"}
    revised = letter_date.year + 1 if letter_date > adopted else letter_date.year
    return {
        "before_adoption": False, "revised": revised, "next": revised + 1,
        "phrase": f"revidert nasjonalbudsjett for {revised} og statsbudsjettet for {revised + 1}",
    }


def letter_context(
    campaign: Campaign, recipient: Recipient, letter_date: date, names=None, variant: int | None = None,
    members: tuple[Recipient, ...] = (), informational: bool = False,
) -> dict:
    """Everything a letter template may use (documented in docs/templates.md).

    ``variant`` (from ``recipient_variant_numbers``) is read as a mixed-radix number whose digits choose the
    phrasing of each leading demand, so recipients with different variants get different texts.
    """
    language = language_of(campaign, recipient)
    names = lookup_names(campaign, language) if names is None or language != "nb" else names
    ministries, committees = names
    ranked = rank_demands(campaign, recipient, names)
    lead = []
    # ContextCache (below) shares contexts between variants with the same digits here: a new use of
    # ``variant`` in this function must be reflected in its key.
    remaining = variant
    for r in (r for r in ranked if r.score > 0):
        digit = None
        if remaining is not None:
            base = max(len(r.demand.arguments), 1)
            digit, remaining = remaining % base, remaining // base
        lead.append(demand_context(campaign, r, recipient, language, digit, committees))
    others = [demand_context(campaign, r, recipient, language) for r in ranked if r.score == 0]
    # A letter with many demands of its own argues each briefly (its part and two facts) to stay
    # within two pages; with one or two it gives the full argument. The case attachment has it all.
    brief = len(lead) > BRIEF_FROM or (recipient.kind == "committee" and len(recipient.committees) > 1)
    # Facts the letter states get a note number; the sources are listed once at the end.
    notes: list[dict] = []
    used: set[str] = set()
    for demand in lead:
        demand["brief"] = brief
        if not brief:
            continue
        # Two facts per demand, none stated twice in one letter; the variant turns the choice.
        ids = list(campaign.demand(demand["id"]).facts)
        turn = stable_number(campaign.slug, recipient.id, demand["id"]) % max(len(ids), 1)
        # Two facts each for up to three demands, one each beyond that, to stay within two pages; a
        # letter to several committees gives each committee's part instead (the case has the facts).
        several = recipient.kind == "committee" and len(recipient.committees) > 1
        ids = [i for i in ids[turn:] + ids[:turn] if i not in used][: 0 if several else FACTS_IN_BRIEF if len(lead) <= 3 else 1]
        used.update(ids)
        demand["facts"] = [fact_context(campaign, i, language) for i in ids]
        for fact in demand["facts"]:
            known = next((n for n in notes if n["citation"] == fact["citation"]), None)
            if known is None:
                known = {"number": len(notes) + 1, "citation": fact["citation"], "url": fact["url"]}
                notes.append(known)
            fact["note"] = known["number"]
    org = campaign.organisation
    signatories = [
        {"name": s.name, "role": (s.role_nn or s.role) if language == "nn" else s.role} for s in campaign.signatories
    ]
    return {
        "organisation": {
            "name": org.name, "address": list(org.address), "website": org.website, "email": org.email, "phone": org.phone,
        },
        "signatories": signatories,
        "signer": None,
        "personal_paragraph": "",
        "variant": variant if variant is not None else stable_number(campaign.slug, recipient.id) % 1000,
        "campaign": campaign_context(campaign),
        "date": letter_date,
        "reply_by": letter_date + timedelta(days=campaign.letters.reply_within_days),
        "budget": budget_context(campaign, letter_date),
        "reference": campaign.letters.reference,
        "recipient": recipient_context(recipient, committees, ministries, members, language),
        "lead": lead,
        "others": others,
        "demands": sorted(lead + others, key=lambda d: d["number"]),
        "notes": notes,
        # An MP gets a letter whatever their committees; it is "til orientering" only for other bodies.
        "informational": informational or (not lead and recipient.kind != "mp"),
        "attachment": f"{CASE_STEM}.docx" if campaign.letters.attach_case else "",
        "language": language,
    }


class ContextCache:
    """Supporters' letters to the same recipients on one date, rendered from contexts built once.

    Two supporters' letters to one representative differ, before the supporter's own details are
    added, only by the digits their variants give the representative's leading demands (see
    ``letter_context``): the context for each recipient and digits is built once and shared. A
    template that reaches a method that changes a list or a dict (``append``, ``update``: the
    sandbox allows them) may have changed the shared context: it is then dropped, so that the next
    letter gets a new one, exactly as without the cache. Holds at most ``limit`` contexts, whatever
    the number of supporters.
    """

    def __init__(self, campaign: Campaign, letter_date: date, names=None, limit: int = 2048):
        self.campaign, self.letter_date, self.names, self.limit = campaign, letter_date, names, limit
        self._bases: dict[Recipient, tuple[int, ...]] = {}
        self._contexts: dict[tuple, dict] = {}
        self._languages: dict[tuple[Recipient, str], Recipient] = {}

    def in_language(self, recipient: Recipient, language: str) -> Recipient:
        """``replace(recipient, language=language)``, made once per recipient and language."""
        key = (recipient, language)
        found = self._languages.get(key)
        if found is None:
            found = self._languages[key] = replace(recipient, language=language)
        return found

    def render(self, templates: dict[str, Templates], recipient: Recipient, variant: int, additions: dict) -> Letter:
        """``render_letter`` of ``letter_context(campaign, recipient, letter_date, names, variant)``
        with ``additions`` (the signer) put in it."""
        bases = self._bases.get(recipient)
        if bases is None:
            language = language_of(self.campaign, recipient)
            names = lookup_names(self.campaign, language) if self.names is None or language != "nb" else self.names
            ranked = rank_demands(self.campaign, recipient, names)
            # As letter_context reads the variant: one digit per leading demand, in base its number of phrasings.
            bases = self._bases[recipient] = tuple(max(len(r.demand.arguments), 1) for r in ranked if r.score > 0)
        digits = []
        remaining = variant
        for base in bases:
            digits.append(remaining % base)
            remaining //= base
        key = (recipient, tuple(digits))
        shared = self._contexts.get(key)
        if shared is None:
            if len(self._contexts) >= self.limit:
                self._contexts.clear()
            shared = self._contexts[key] = letter_context(self.campaign, recipient, self.letter_date, self.names, variant)
        # Only the top level is this letter's own; the template cannot reach it as an object.
        context = dict(shared)
        context["variant"] = variant
        context.update(additions)
        environment = templates[language_of(self.campaign, recipient)].env
        before = environment.mutations
        try:
            return render_letter(self.campaign, templates, recipient, self.letter_date, self.names, context)
        finally:
            if environment.mutations != before:
                self._contexts.pop(key, None)


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
    planned: PlannedLetter | None = None,
) -> Letter:
    """Render one recipient's letter in the recipient's written standard."""
    language = language_of(campaign, recipient)
    members = planned.members if planned else ()
    context = context or letter_context(
        campaign, recipient, letter_date, names, variant, members, planned.informational if planned else False,
    )
    engine = templates[language]
    text = engine.render(LETTER_TEMPLATES[recipient.kind], context)
    paragraphs = markup.parse(text)
    if context.get("signer"):
        # A supporter's e-mail carries the subject of their own letter, in a voter's voice.
        subject = next((p.text for p in paragraphs if p.style == "Heading1"), campaign.letter_subject)
    else:
        subject_template = campaign.letters.subjects.get(language, campaign.letter_subject)
        subject = " ".join(engine.from_string(subject_template).render(context).split())
    return Letter(
        recipient=recipient,
        subject=subject,
        paragraphs=paragraphs,
        lead=tuple(d["id"] for d in context["lead"]),
        others=tuple(d["id"] for d in context["others"]),
        language=language,
        members=planned.member_ids if planned else (recipient.id,),
    )


def owns_demand(campaign: Campaign, recipient: Recipient) -> bool:
    """True when the recipient's ministry or one of its committees is named on a demand."""
    for demand in campaign.demands:
        if recipient.ministry and recipient.ministry in demand.ministries:
            return True
        if any(c in demand.committees for c in recipient.committees) and recipient.kind != "mp":
            return True
    return False


def _merge_key(recipient: Recipient) -> tuple:
    """Rows that may share one letter: a ministry and its ministers; the committees."""
    if recipient.kind in ("ministry", "minister") and recipient.ministry:
        return ("ministry", recipient.ministry.upper())
    if recipient.kind == "committee":
        return ("committee",)
    return ("single", recipient.id)


def _committee_group(members: list[Recipient], number: int) -> Recipient:
    """One addressee for committees that share an inbox: the Storting, by way of each committee."""
    first = members[0]
    committees = tuple(c for m in members for c in m.committees)
    names = tuple(m.name for m in members for _ in m.committees)
    return replace(
        first,
        # The first committee's id: the letter is that row's in the outbox and the send journal.
        id=first.id,
        name="Stortingets komiteer",
        organisation=first.organisation or "Stortinget",
        committees=committees,
        committee_names=names,
        email_verified=all(m.email_verified for m in members),
        name_nn="Komiteane på Stortinget",
        title_nn="",
        organisation_nn="",
    )


def plan_letters(campaign: Campaign, selectors: tuple[str, ...] = ()) -> LetterPlan:
    """Decide who gets one of the organisation's letters (see docs/letters.md).

    By default every recipient that owns a demand and every Member of the Storting gets one; others
    only with ``letters.inform_others`` or when ``--to`` names their id. Recipients that share an
    e-mail address share one letter where they can (a ministry and its ministers, committees);
    addresses that still carry two letters are listed in ``shared``.
    """
    chosen = {r.id for r in select_recipients(campaign.recipients, selectors)} if selectors else None
    named = {s.lower() for s in selectors if ":" not in s}
    plan = LetterPlan()
    included: list[tuple[Recipient, bool]] = []
    # The inboxes are worked out over every recipient, so that `--to minister-jd` writes the one
    # letter that ministry and minister share, not a second letter to the same inbox.
    for recipient in campaign.recipients:
        if recipient.kind == "mp" or owns_demand(campaign, recipient):
            included.append((recipient, False))
        elif campaign.letters.inform_others or recipient.id in named:
            included.append((recipient, True))
        else:
            plan.left_out.append((recipient, "eier ingen av kravene"))
    informational = {r.id: info for r, info in included}
    # Group by inbox; rows without an e-mail address go by post and are never merged.
    groups: dict[tuple, list[Recipient]] = {}
    for recipient, _ in included:
        inbox = recipient.email.lower() if recipient.email else f"post:{recipient.id}"
        groups.setdefault((inbox, _merge_key(recipient)), []).append(recipient)
    committee_groups = 0
    letters_by_inbox: dict[str, list[PlannedLetter]] = {}
    for (inbox, key), members in groups.items():
        info = all(informational[m.id] for m in members)
        if key[0] == "ministry" and len(members) > 1:
            ministries = [m for m in members if m.kind == "ministry"]
            ministers = [m for m in members if m.kind == "minister"]
            if campaign.letters.ministry_letter_to == "minister" and ministers or not ministries:
                addressee = ministers[0]
            else:
                addressee = ministries[0]
            ordered = [addressee] + [m for m in members if m is not addressee]
            for m in ordered[1:]:
                plan.left_out.append((m, f"får brevet til {addressee.id} (samme e-postadresse)"))
            letter = PlannedLetter(addressee, tuple(ordered), info)
        elif key[0] == "committee" and len(members) > 1:
            committee_groups += 1
            addressee = _committee_group(members, committee_groups)
            first_member = members[0]
            for m in members:
                if m is not first_member:
                    plan.left_out.append((m, f"får fellesbrevet til komiteene, {addressee.id} (samme e-postadresse)"))
            letter = PlannedLetter(addressee, tuple(members), info)
        else:
            letter = PlannedLetter(members[0], tuple(members), info)
        plan.letters.append(letter)
        letters_by_inbox.setdefault(inbox, []).append(letter)
    for inbox, letters in letters_by_inbox.items():
        if len(letters) > 1 and not inbox.startswith("post:"):
            plan.shared.append((letters[0].recipient.email, tuple(each.recipient.id for each in letters)))
    if chosen is not None:
        plan.letters = [p for p in plan.letters if chosen & set(p.member_ids)]
        plan.left_out = [(r, why) for r, why in plan.left_out if r.id in chosen]
    order = {r.id: i for i, r in enumerate(campaign.recipients)}
    plan.letters.sort(key=lambda letter: order.get(letter.members[0].id, 0))
    return plan


def select_recipients(recipients, selectors: tuple[str, ...]) -> list[Recipient]:
    """Filter recipients by ``--to`` selectors: an id, or kind:, party:, county:, committee:, ministry:.

    Several selectors widen the selection (any may match).
    """
    if not selectors:
        return list(recipients)

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
