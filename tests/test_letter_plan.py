"""Who gets the organisation's letters, one letter per inbox, and words that follow the date and the recipient."""

from __future__ import annotations

import email
import json
import re
from datetime import date
from email import policy

import docx
import pytest
from conftest import LETTER_DATE
from helpers import mp_row, read_rows, run, write_rows

from toolkit.letters.pack import letter_fingerprint, templates_for
from toolkit.letters.render import owns_demand, plan_letters, recipient_variant_numbers, render_letter
from toolkit.validate import check_campaign

TWO_YEARS_IN_BRACKETS = re.compile(r"\((?:19|20)\d\d\)[^.\n\[]*\((?:19|20)\d\d\)")


def load(campaign_dir):
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert not problems.errors, problems.errors
    return campaign, problems


def set_yaml(campaign_dir, old: str, new: str) -> None:
    path = campaign_dir / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def rendered(campaign, letter_date=LETTER_DATE, selectors=()):
    """Every planned letter rendered as the pack renders it, by addressee id."""
    templates = templates_for(campaign)
    plan = plan_letters(campaign, selectors)
    variants = recipient_variant_numbers([p.recipient for p in plan_letters(campaign).letters])
    return {
        p.recipient.id: render_letter(campaign, templates, p.recipient, letter_date, variant=variants.get(p.recipient.id), planned=p)
        for p in plan.letters
    }


def section(text: str, number: int) -> str:
    """The part of a letter's text under the heading of demand ``number``."""
    match = re.search(rf"^{number}\. .*?$(.*?)(?=^\d\. |\Z)", text, re.S | re.M)
    assert match, f"no section {number}"
    return match.group(1)


def test_shipped_build_writes_only_to_owners_one_letter_per_inbox(campaign_dir):
    result = run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    campaign, _ = load(campaign_dir)
    manifest = json.loads((campaign_dir / "ut" / "emails" / "manifest.json").read_text(encoding="utf-8"))
    emails = [entry["email"] for entry in manifest]
    assert len(emails) == len(set(emails)), "no e-mail address on two letters"
    reached = {member for entry in manifest for member in entry.get("members", [entry["recipient"]])}
    owners = {r.id for r in campaign.recipients if owns_demand(campaign, r)}
    assert reached == owners
    for body in ("smk", "minister-smk", "fd", "minister-fin", "komite-finans", "ed", "sd"):
        assert body not in reached
    # The command says who was left out, and why.
    assert "ikke eier noen av kravene" in result.output and "minister-smk" in result.output
    assert "minister-jd: får brevet til jd" in result.output
    # The minister's letter is the ministry's, addressed "v/ statsråd"; the committees share one.
    jd = next(entry for entry in manifest if entry["recipient"] == "jd")
    assert jd["members"] == ["jd", "minister-jd"]
    text = (campaign_dir / "ut" / "letters" / "jd.txt").read_text(encoding="utf-8")
    assert "Justis- og beredskapsdepartementet\nv/ statsråd Astri Aas-Hansen" in text
    assert "Kjære statsråd Astri Aas-Hansen" in text
    committees = next(entry for entry in manifest if entry["recipient"] == "komite-justis")
    assert set(committees["members"]) == {r.id for r in campaign.recipients if r.kind == "committee" and r.id in owners}
    text = (campaign_dir / "ut" / "letters" / "komite-justis.txt").read_text(encoding="utf-8")
    for name in ("justiskomiteen", "kommunal- og forvaltningskomiteen", "helse- og omsorgskomiteen"):
        assert name in text
    # Each committee's part of a demand is named under that demand.
    exit_part = section(text, 4)
    for name in ("Arbeids- og sosialkomiteen", "Utdannings- og forskningskomiteen", "Helse- og omsorgskomiteen"):
        assert name in exit_part
    recipients = read_rows(campaign_dir / "recipients.csv")
    assert len(manifest) < len(recipients) / 2


def test_inform_others_and_the_prime_ministers_office(campaign_dir):
    set_yaml(campaign_dir, "inform_others: false", "inform_others: true")
    campaign, _ = load(campaign_dir)
    letters = rendered(campaign)
    pm = letters["smk"]
    assert pm.members == ("smk", "minister-smk")
    assert "Statsministerens kontor\nv/ statsminister Jonas Gahr Støre" in pm.text
    assert "\n\nStatsminister Jonas Gahr Støre\n\n" in pm.text
    assert "Kjære statsråd" not in pm.text and "ditt departement" not in pm.text
    assert "til orientering" in pm.text and "Til orientering" in pm.text
    # A letter "til orientering" is short: no argued demands, all five listed.
    assert "Vårt krav" not in pm.text and all(f"{n}. " in pm.text for n in range(1, 6))
    defence = letters["fd"]
    assert "Ingen av kravene hører under Forsvarsdepartementet" in defence.text
    # Without inform_others, naming a body with --to still gives it a letter for information.
    set_yaml(campaign_dir, "inform_others: true", "inform_others: false")
    campaign, _ = load(campaign_dir)
    assert [p.recipient.id for p in plan_letters(campaign, ("fd",)).letters] == ["fd"]
    assert plan_letters(campaign, ("fd",)).letters[0].informational
    assert [p.recipient.id for p in plan_letters(campaign, ("kind:ministry",)).letters if p.recipient.id == "fd"] == []


def test_letters_to_the_minister_when_the_organiser_chooses(campaign_dir):
    set_yaml(campaign_dir, "ministry_letter_to: ministry", "ministry_letter_to: minister")
    campaign, _ = load(campaign_dir)
    letters = rendered(campaign)
    assert "minister-jd" in letters and "jd" not in letters
    assert letters["minister-jd"].members == ("minister-jd", "jd")
    assert "Kjære statsråd Astri Aas-Hansen" in letters["minister-jd"].text


def test_shared_inbox_that_cannot_merge_is_reported_and_not_sent_without_leave(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    for row in rows:
        if row["id"] == "hod":
            row["email"] = "postmottak@jd.dep.no"  # two ministries behind one address
    write_rows(campaign_dir / "recipients.csv", rows)
    campaign, problems = load(campaign_dir)
    warnings = [p.message for p in problems.warnings if "postmottak@jd.dep.no" in p.message]
    assert warnings and "jd" in warnings[0] and "hod" in warnings[0]
    assert run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25").exit_code == 0
    result = run("send", "--campaign", str(campaign_dir), "--include-unverified")
    assert result.exit_code != 0
    assert "postmottak@jd.dep.no" in result.output and "--allow-shared-inbox" in result.output
    assert "Traceback" not in result.output
    result = run("send", "--campaign", str(campaign_dir), "--include-unverified", "--allow-shared-inbox")
    assert result.exit_code == 0, result.output


def test_two_ministries_owning_a_demand_read_differently_and_letters_are_not_copies(campaign_dir):
    campaign, _ = load(campaign_dir)
    letters = rendered(campaign)
    exit_programme = campaign.demand("exitprogram")
    owners = [p.recipient.id for p in plan_letters(campaign).letters if p.recipient.ministry in exit_programme.ministries]
    assert len(owners) >= 5
    parts = {owner: section(letters[owner].text, exit_programme.number) for owner in owners}
    assert len(set(parts.values())) == len(parts)
    for owner, text in parts.items():
        assert exit_programme.angles[letters[owner].recipient.ministry] in text
    from toolkit.letters.check import check_similarity

    report = check_similarity([letter_fingerprint(letter, group=rid) for rid, letter in letters.items()], 0.9)
    assert report.result.pairs and report.result.pairs[0][0] < 0.9, report.result.pairs[:3]


def test_facts_are_todays_and_cited_once_with_one_year(campaign_dir):
    assert run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25").exit_code == 0
    out = campaign_dir / "ut"
    texts = [p.read_text(encoding="utf-8") for p in (out / "letters").glob("*.txt")]
    case = docx.Document(out / "kampanjens-krav.docx")
    texts.append("\n".join(p.text for p in case.paragraphs))
    printed = docx.Document(out / "alle-brev.docx")
    texts.append("\n".join(p.text for p in printed.paragraphs))
    for text in texts:
        assert "65 prosent" not in text
        assert "16-dagerskampanjens analyse" not in text and "fotnote" not in text
        assert not TWO_YEARS_IN_BRACKETS.search(text), TWO_YEARS_IN_BRACKETS.search(text).group()
        assert "(Kilde:" not in text
    case_text = texts[-2]
    assert "FOKUS' «Stopp menneskehandel» (2022)" in case_text or "FOKUS' analyse «Stopp menneskehandel» (2022)" in case_text
    assert "61 prosent" in case_text and "I 2023 ble det registrert 27 anmeldelser" in case_text
    # Every demand argued in the case, its sources as numbered notes at the end.
    headings = [p.text for p in case.paragraphs if p.style.name == "Heading 2"]
    assert headings[:5] == [f"{d.number}. {d.title}" for d in load(campaign_dir)[0].demands] and headings[-1] == "Kilder"
    assert re.search(r"\[1\] ", case_text) and "[1]" in case_text.split("Kilder")[0]


def test_validate_reports_every_old_fact_where_it_is_used(campaign_dir):
    facts = campaign_dir / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + (
        "\n  - id: gammelt-tall\n    text: I 2010 var det 10 saker.\n    source: Testkilde\n    year: 2010\n"
        "    nn:\n      text: I 2010 var det 10 saker.\n"
    ), encoding="utf-8")
    demands = campaign_dir / "demands.yaml"
    demands.write_text(demands.read_text(encoding="utf-8").replace(
        "facts: [opphold-refleksjon-begrenset,", "facts: [gammelt-tall, opphold-refleksjon-begrenset,"), encoding="utf-8")
    _, problems = load(campaign_dir)
    old = [p for p in problems.warnings if "gammelt-tall" in p.message]
    assert len(old) == 1 and "exitprogram" in old[0].message and "2010" in old[0].message
    # A law does not go out of date; a fact the campaign does not use is not reported.
    assert not any("straffeloven-257-258" in p.message for p in problems.warnings)
    assert any("rosa-bistand-2021" in p.message for p in problems.warnings)
    set_yaml(campaign_dir, "max_age_years: 4", "max_age_years: 20")
    _, problems = load(campaign_dir)
    assert not any("Faktumet" in p.message and "kampanjeåret" in p.message for p in problems.warnings)


@pytest.mark.parametrize("letter_date, reply, budget", [
    (date(2026, 11, 25), "16. desember 2026", "statsbudsjettet for 2027"),
    (date(2026, 12, 3), "24. desember 2026", "statsbudsjettet for 2027"),
    (date(2026, 12, 18), "8. januar 2027", "revidert nasjonalbudsjett for 2027 og statsbudsjettet for 2028"),
])
def test_reply_date_and_budget_follow_the_letter_date(campaign_dir, letter_date, reply, budget):
    campaign, _ = load(campaign_dir)
    letters = rendered(campaign, letter_date)
    for rid in ("jd", "ud", "komite-justis"):
        text = letters[rid].text
        assert f"innen {reply}" in text, rid
        assert budget in text, rid
        assert "10. desember 2026" not in text.split("Vår dato")[1].split("Med vennlig hilsen")[0].replace(
            "til 10. desember", "").replace("menneskerettighetsdagen 10. desember", ""), rid
    committee = letters["komite-justis"].text
    if letter_date.day == 18:
        assert "i behandlingen av revidert nasjonalbudsjett for 2027" in committee
    else:
        assert "når Stortinget vedtar statsbudsjettet for 2027" in committee


def test_agreement_in_bokmaal(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    rows.append(mp_row(id="mp-en", committees="UFK", name="Per Én"))
    rows.append(mp_row(id="mp-to", committees="JUSTIS", name="Kari To", email="kari@example.org"))
    write_rows(campaign_dir / "recipients.csv", rows)
    campaign, _ = load(campaign_dir)
    letters = rendered(campaign)
    one = letters["ud"].text
    assert "har ansvar for ett av de fem kravene, og det står først" in one
    assert "ta det med" in one and "dem har vi satt først" not in one
    many = letters["jd"].text
    assert "har ansvar for fire av de fem kravene, og de står først" in many and "ta dem med" in many
    assert "ett av kampanjens krav gjelder departementets ansvarsområde" in letters["ud"].paragraphs[4].text
    mp = letters["mp-en"].text
    assert "ett av kampanjens krav" in mp and "Vi har derfor satt det først" in mp
    assert "Vi har derfor satt dem først" in letters["mp-to"].text
    for letter in letters.values():
        assert "Vår dato: 25. november 2026" in letter.text
        assert "Vår referanse: 16D-2026" in letter.text


BOKMAAL_ONLY = ("ikke", "jeg", "hva", "hvordan", "fra", "ble", "noen", "uten", "Kilder", "vennlig", "hilsen",
                "ofrene", "kravene", "Leder", "Vårt krav", "Utenriksdepartementet", "departementets")


def test_nynorsk_letters_are_nynorsk_throughout(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    for row in rows:
        if row["id"] in ("ud", "minister-ud", "minister-ud-utvikling", "jd", "minister-jd"):
            row["language"] = "nn"
    write_rows(campaign_dir / "recipients.csv", rows)
    assert run("letters", "--campaign", str(campaign_dir), "--date", "2026-12-03").exit_code == 0
    out = campaign_dir / "ut"
    for rid in ("ud", "jd"):
        text = (out / "letters" / f"{rid}.txt").read_text(encoding="utf-8")
        found = [w for w in BOKMAAL_ONLY if re.search(rf"(?<!\w){w}(?!\w)", text)]
        assert not found, f"{rid}: bokmål forms {found}"
        for form in ("Med venleg helsing", "Leiar, Kvinnenettverket", "Kravet vårt:", "Vår dato: 3. desember 2026",
                     "innan 24. desember 2026", "statsbudsjettet for 2027"):
            assert form in text, f"{rid}: missing {form!r}"
        message = email.message_from_bytes((out / "emails" / f"{rid}.eml").read_bytes(), policy=policy.default)
        assert message["Subject"] == (
            f"Menneskehandel er vald mot kvinner: fem krav frå Kvinnenettverket (eksempel) (ref. 16D-2026-{rid.upper()})"
        )
        assert message["Content-Language"] == "nn-NO"
        names = [a.get_filename() for a in message.iter_attachments()]
        assert names == ["kampanjens-krav.docx"]
        case = docx.Document(__import__("io").BytesIO(next(message.iter_attachments()).get_content()))
        assert "Krava i kampanjen" in case.paragraphs[2].text
    ud = (out / "letters" / "ud.txt").read_text(encoding="utf-8")
    # The ministry's official nynorsk name comes from recipients.csv (name_nn), not from code.
    assert "Utanriksdepartementet\nv/ statsrådane Espen Barth Eide og Åsmund Aukrust" in ud
    assert "Utanriksdepartementet har ansvar for eitt av dei fem krava, og det står først" in ud
    assert (out / "kampanjens-krav-nn.docx").is_file() and (out / "kampanjens-krav.docx").is_file()


def test_print_file_holds_a_copy_per_postal_address_of_a_shared_letter(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    for row in rows:
        if row["id"] == "minister-jd":
            row["postal_address"] = "Gullhaug torg 4A / 0484 Oslo"  # a test address, not the ministry's
    write_rows(campaign_dir / "recipients.csv", rows)
    result = run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25", "--to", "jd")
    assert result.exit_code == 0, result.output
    out = campaign_dir / "ut"
    manifest = json.loads((out / "emails" / "manifest.json").read_text(encoding="utf-8"))
    assert [entry["recipient"] for entry in manifest] == ["jd"], "one e-mail to the shared inbox"
    printed = docx.Document(out / "alle-brev.docx")
    addresses = [p.text for p in printed.paragraphs if p.style.name == "Address"]
    assert len(addresses) == 2 and "Postboks 8005 Dep" in addresses[0] and "Gullhaug torg 4A" in addresses[1]
    # Each copy is followed by the case, each in a section of its own.
    assert len(printed.sections) == 4
