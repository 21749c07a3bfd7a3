"""`toolkit validate`'s checks for the organisation's letters and the age of the facts the campaign uses."""

from __future__ import annotations

import re

from toolkit.core.errors import Problems
from toolkit.core.model import Campaign
from toolkit.core.sources import LineDict, load_yaml
from toolkit.core.templates import Templates
from toolkit.letters.case import CASE_TEMPLATE, CASE_VARIABLES
from toolkit.letters.render import plan_letters

# How op-ed templates name a fact: facts["id"] or facts['id'].
FACT_IN_TEMPLATE = re.compile(r"""facts\[\s*["']([^"']+)["']\s*\]""")


def check_letter_plan(campaign: Campaign, problems: Problems) -> None:
    """Shared e-mail addresses that cannot become one letter, and letters that cannot go by post."""

    if not campaign.recipients:
        return
    plan = plan_letters(campaign)
    for address, ids in plan.shared:
        problems.warning(
            "recipients.csv",
            f"Adressen {address} får {len(ids)} ulike brev ({', '.join(ids)}), og verktøyet kan ikke slå dem sammen.",
            "Gi radene hver sin adresse, eller fjern dem som ikke skal ha eget brev. «toolkit send» sender bare "
            "med --allow-shared-inbox.",
            field="email",
        )
    for planned in plan.letters:
        recipient = planned.recipient
        if recipient.postal_address:
            continue
        row = planned.members[0].row or None
        if not recipient.email:
            problems.warning(
                "recipients.csv", f"{recipient.id} har verken e-post eller postadresse, så brevet kan ikke sendes.",
                "Fyll inn postal_address (linjene skilt med « / ») eller email.", row=row, field="postal_address",
            )
        else:
            problems.warning(
                "recipients.csv", f"{recipient.id} mangler postadresse: brevet i utskriftsfilen kan ikke sendes i posten.",
                "Fyll inn postal_address (linjene skilt med « / »), for eksempel «Postboks 8005 Dep / 0030 Oslo».",
                row=row, field="postal_address",
            )


def check_case_template(campaign: Campaign, problems: Problems) -> None:
    """The case attachment's template, in each written standard the letters use, when it is attached."""

    if not campaign.letters.attach_case or not campaign.templates_dir.is_dir():
        return
    languages = sorted({r.language or campaign.language for r in campaign.recipients} | {campaign.language})
    for language in languages:
        Templates(campaign.templates_dir, language).check([CASE_TEMPLATE], CASE_VARIABLES, problems)


def fact_uses(campaign: Campaign) -> dict[str, list[str]]:
    """Where each fact is used: letters (through demands.yaml), op-ed templates, posts."""
    uses: dict[str, list[str]] = {}

    def add(fact_id: str, where: str) -> None:
        places = uses.setdefault(fact_id, [])
        if where not in places:
            places.append(where)

    for demand in campaign.demands:
        for fact_id in demand.facts:
            add(fact_id, f"brevene og vedlegget (kravet «{demand.id}» i demands.yaml)")
    folder = campaign.templates_dir
    if folder.is_dir():
        for path in sorted(folder.rglob("*oped*.j2")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # the template checks report unreadable templates
            for number, line in enumerate(text.splitlines(), start=1):
                for fact_id in FACT_IN_TEMPLATE.findall(line):
                    add(fact_id, f"{path.relative_to(campaign.folder).as_posix()}, linje {number}")
    posts = campaign.folder / "posts.yaml"
    if posts.is_file():

        data = load_yaml(posts, Problems(), "posts.yaml")  # its own check reports its problems
        items = data.get("posts") if data else None
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, LineDict) and isinstance(item.get("fact"), str):
                    add(item["fact"], f"posts.yaml, linje {item.line_of('fact')} (innlegget «{item.get('id', index + 1)}»)")
    return uses


def check_fact_age(campaign: Campaign, problems: Problems) -> None:
    """Warn for every fact older than `facts.max_age_years` that a letter, op-ed or post uses."""
    limit = campaign.max_fact_age_years
    uses = fact_uses(campaign)
    for fact_id, places in uses.items():
        fact = campaign.facts.get(fact_id)
        if fact is None or not fact.dated or fact.year is None:
            continue
        age = campaign.year - fact.year
        if age <= limit:
            continue
        problems.warning(
            "facts.yaml",
            f"Faktumet «{fact_id}» er fra {fact.year}, {age} år før kampanjeåret (grensen er {limit} år). "
            f"Det brukes i: {'; '.join(places)}.",
            "Finn et nyere tall, eller sørg for at teksten sier hvilket år tallet gjelder. "
            "Grensen settes med facts.max_age_years i campaign.yaml.",
            line=fact.line or None, field="year",
        )
