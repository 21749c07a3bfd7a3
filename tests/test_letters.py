"""Letters: targeting by responsibility, forms of address, strict templates, the letters pack on disk."""

from __future__ import annotations

import email
import json
from email import policy

import docx
import pytest
from conftest import LETTER_DATE
from helpers import mp_row, read_rows, run, write_rows

from toolkit.letters.pack import templates_for
from toolkit.letters.render import rank_demands, render_letter, select_recipients
from toolkit.validate import check_campaign


@pytest.fixture
def campaign(campaign_dir):
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert not problems.errors
    return campaign


def letter_for(campaign, recipient_id):
    recipient = next(r for r in campaign.recipients if r.id == recipient_id)
    return render_letter(campaign, templates_for(campaign), recipient, LETTER_DATE)


def test_justice_and_foreign_affairs_lead_with_different_demands(campaign):
    justice = letter_for(campaign, "jd")
    foreign = letter_for(campaign, "ud")
    assert justice.lead and foreign.lead
    assert justice.lead[0] != foreign.lead[0]
    assert "forebygging" in foreign.lead and "forebygging" not in justice.lead
    # The reader can tell who each letter was written for.
    assert "Justis- og beredskapsdepartementet" in justice.text.split("\n\n")[2]
    assert "Til Utenriksdepartementet" in foreign.text
    assert "Til Justis- og beredskapsdepartementet" in justice.text
    # The demand that leads is argued in full: its concrete ask and a fact with its source.
    demand = campaign.demand(justice.lead[0])
    assert demand.ask in justice.text
    shown = [campaign.facts[f] for f in demand.facts if campaign.facts[f].text in justice.text]
    assert shown and all(fact.source in justice.text for fact in shown)
    # The demands that do not lead are listed by title, not argued (the case attachment argues them).
    other = campaign.demand(justice.others[0])
    assert other.title in justice.text and other.ask not in justice.text


def test_kinds_get_visibly_different_letters(campaign):
    minister = letter_for(campaign, "minister-jd")
    ministry = letter_for(campaign, "jd")
    committee = letter_for(campaign, "komite-justis")
    assert "Kjære statsråd" in minister.text
    assert "Kjære statsråd" not in ministry.text
    assert "Til Justiskomiteen" in committee.text
    body = lambda letter: "\n".join(letter.text.split("\n\n")[5:7])  # noqa: E731
    assert len({body(minister), body(ministry), body(committee)}) == 3
    # Norwegian conventions: the date in words, and no comma in the closing.
    assert "25. november 2026" in minister.text
    assert "Med vennlig hilsen\n" in minister.text + "\n"
    assert "Med vennlig hilsen," not in minister.text


def test_mp_letter_uses_party_county_and_committee(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    rows.append(mp_row())
    rows.append(mp_row(id="mp-ufk", name="Per Utenriks", committees="UFK", party="H", party_name="Høyre", county="Ho",
                       county_name="Hordaland"))
    write_rows(campaign_dir / "recipients.csv", rows)
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert not problems.errors
    justice = letter_for(campaign, "mp-test")
    foreign = letter_for(campaign, "mp-ufk")
    assert "Kjære Åse Ærlig-Øvrebø" in justice.text
    assert "Arbeiderpartiet" in justice.text and "Østfold" in justice.text and "justiskomiteen" in justice.text
    assert "Høyres stortingsgruppe" in foreign.text and "Hordaland" in foreign.text
    assert justice.lead[0] != foreign.lead[0]
    assert "Stortingsrepresentant Åse Ærlig-Øvrebø" in justice.text


def test_ranking_puts_owned_demands_first(campaign):
    recipient = next(r for r in campaign.recipients if r.id == "ud")
    ranked = rank_demands(campaign, recipient)
    assert ranked[0].demand.id == "forebygging" and ranked[0].score > 0
    assert all(r.score == 0 for r in ranked[1:]) or ranked[1].score <= ranked[0].score


def test_same_input_same_letter(campaign):
    assert letter_for(campaign, "jd").text == letter_for(campaign, "jd").text


def test_select_recipients(campaign):
    ministers = select_recipients(campaign.recipients, ("kind:minister",))
    assert ministers and all(r.kind == "minister" for r in ministers)
    both = select_recipients(campaign.recipients, ("jd", "committee:UFK"))
    assert {r.id for r in both} == {"jd", "komite-ufk"}
    from toolkit.core.errors import ToolkitError

    with pytest.raises(ToolkitError):
        select_recipients(campaign.recipients, ("farge:blå",))
    with pytest.raises(ToolkitError):
        select_recipients(campaign.recipients, ("finnes-ikke",))


def test_missing_variable_names_template_and_line(campaign_dir):
    template = campaign_dir / "letter_templates" / "nb" / "letter_ministry.j2"
    lines = template.read_text(encoding="utf-8").splitlines()
    at = lines.index("{% block salutation %}") + 1
    lines.insert(at, "{{ recipient.finnes_ikke }}")
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25", "--to", "jd")
    assert result.exit_code == 2
    assert f"letter_ministry.j2, linje {at + 1}" in result.output
    assert "Traceback" not in result.output


def test_letters_pack_on_disk(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    hostile = 'Ås & Ø <b>"sitat"</b> ' + "Langnavn" * 60
    rows.append(mp_row(id="mp-hostile", name=hostile))
    write_rows(campaign_dir / "recipients.csv", rows)
    result = run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    out = campaign_dir / "ut"
    manifest = json.loads((out / "emails" / "manifest.json").read_text(encoding="utf-8"))
    ids = [m["recipient"] for m in manifest]
    # Every recipient that owns a demand, and every MP, is reached by exactly one letter.
    from toolkit.letters.render import owns_demand

    campaign, _ = check_campaign(campaign_dir, LETTER_DATE)
    reached = [member for m in manifest for member in m.get("members", [m["recipient"]])]
    assert len(reached) == len(set(reached))
    assert set(reached) == {r.id for r in campaign.recipients if r.kind == "mp" or owns_demand(campaign, r)}
    for recipient_id in ids:
        assert (out / "letters" / f"{recipient_id}.docx").is_file()
        assert (out / "letters" / f"{recipient_id}.txt").is_file()
        assert (out / "emails" / f"{recipient_id}.eml").is_file()
    document = docx.Document(out / "letters" / "mp-hostile.docx")
    text = "\n".join(p.text for p in document.paragraphs)
    assert hostile in text
    section = document.sections[0]
    assert (section.page_width.mm, section.page_height.mm) == pytest.approx((210, 297), abs=0.5)
    styles = {p.style.name for p in document.paragraphs}
    assert {"Heading 1", "Heading 2", "List Bullet"} & styles
    printed = docx.Document(out / "alle-brev.docx")
    # One section per letter and per copy of the case attachment after it.
    assert len(printed.sections) == 2 * len(ids)
    raw = (out / "oversikt-brev.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").count("\r\n") == len(ids) + 1
    assert len({m["email"] for m in manifest}) == len(manifest)


def test_eml_headers_decode_to_norwegian_names(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    rows.append(mp_row())
    write_rows(campaign_dir / "recipients.csv", rows)
    assert run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25").exit_code == 0
    raw = (campaign_dir / "ut" / "emails" / "mp-test.eml").read_bytes()
    assert raw.isascii(), "headers and body are encoded for transport"
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["To"].addresses[0].display_name == "Åse Ærlig-Øvrebø"
    assert message["To"].addresses[0].addr_spec == "ase@example.org"
    assert message["From"].addresses[0].display_name == "Kvinnenettverket (eksempel)"
    assert "Menneskehandel" in message["Subject"]
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith(">")
    assert message["Content-Language"] == "nb-NO"
    body = message.get_body(("plain",)).get_content()
    assert "Kjære Åse Ærlig-Øvrebø" in body and "<br>" not in body
    # The Message-ID is stable across reruns.
    first = message["Message-ID"]
    assert run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25").exit_code == 0
    again = email.message_from_bytes((campaign_dir / "ut" / "emails" / "mp-test.eml").read_bytes(), policy=policy.default)
    assert again["Message-ID"] == first


def test_attach_docx(campaign_dir):
    path = campaign_dir / "campaign.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("attach_docx: false", "attach_docx: true"), encoding="utf-8")
    assert run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25", "--to", "jd").exit_code == 0
    message = email.message_from_bytes((campaign_dir / "ut" / "emails" / "jd.eml").read_bytes(), policy=policy.default)
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["brev-jd.docx", "kampanjens-krav.docx"]
    assert attachments[0].get_content()[:2] == b"PK"


def test_rerun_replaces_outputs_cleanly(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    rows.append(mp_row())
    write_rows(campaign_dir / "recipients.csv", rows)
    assert run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25").exit_code == 0
    write_rows(campaign_dir / "recipients.csv", rows[:-1])
    assert run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25").exit_code == 0
    assert not (campaign_dir / "ut" / "letters" / "mp-test.docx").exists()
    assert not (campaign_dir / "ut" / "emails" / "mp-test.eml").exists()
    leftovers = [p for p in (campaign_dir / "ut").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_invalid_input_writes_nothing(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    rows.append(mp_row(kind="feil"))
    write_rows(campaign_dir / "recipients.csv", rows)
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 2
    assert not (campaign_dir / "ut").exists()


def test_members_of_one_committee_get_different_texts(campaign_dir):
    rows = read_rows(campaign_dir / "recipients.csv")
    for number in range(9):
        rows.append(mp_row(id=f"mp-justis-{number}", name=f"Medlem {number}", committees="JUSTIS"))
    write_rows(campaign_dir / "recipients.csv", rows)
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert not problems.errors
    from toolkit.letters.render import recipient_variant_numbers

    variants = recipient_variant_numbers(campaign.recipients)
    templates = templates_for(campaign)
    bodies = set()
    for number in range(9):
        recipient = next(r for r in campaign.recipients if r.id == f"mp-justis-{number}")
        letter = render_letter(campaign, templates, recipient, LETTER_DATE, variant=variants[recipient.id])
        # Compare the argued part only: names and salutations differ anyway.
        bodies.add(letter.text.split("\n\n", 6)[-1].replace(recipient.name, ""))
    assert len(bodies) == 9
    # Deterministic: the same input gives the same letter.
    again = render_letter(campaign, templates, recipient, LETTER_DATE, variant=variants[recipient.id])
    assert again.text == letter.text


BOKMAAL_ONLY = ("ikke", "jeg", "hva", "hvordan", "hvem", "fra", "ble", "mye", "noen", "uten", "være", "hjem", "Kilde", "vennlig", "hilsen",
                "ofrene", "kravene")
NYNORSK_FORMS = ("Med venleg helsing", "krava", "ikkje", "frå")


def test_nynorsk_recipient_gets_a_letter_entirely_in_nynorsk(campaign_dir):
    import re

    path = campaign_dir / "recipients.csv"
    rows = read_rows(path)
    for row in rows:
        if row["id"] in ("jd", "minister-jd", "komite-justis"):
            row["language"] = "nn"
    rows.append(mp_row(language="nn"))
    write_rows(path, rows)
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert not problems.errors
    for recipient_id in ("jd", "minister-jd", "komite-justis", "mp-test"):
        letter = letter_for(campaign, recipient_id)
        assert letter.language == "nn"
        text = letter.text
        found = [w for w in BOKMAAL_ONLY if re.search(rf"(?<!\w){w}(?!\w)", text)]
        assert not found, f"{recipient_id}: bokmål forms {found}"
        for form in NYNORSK_FORMS:
            assert form in text, f"{recipient_id}: missing {form!r}"
        assert "25. november 2026" in text
    # The e-mail says which written standard it is in.
    assert run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25", "--to", "jd").exit_code == 0
    message = email.message_from_bytes((campaign_dir / "ut" / "emails" / "jd.eml").read_bytes(), policy=policy.default)
    assert message["Content-Language"] == "nn-NO"
    assert "Med venleg helsing" in message.get_body(("plain",)).get_content()


def test_nynorsk_weekdays_and_dates():
    from datetime import date

    from toolkit.core.templates import format_date, number_word, weekday

    assert weekday(date(2026, 11, 28), "nn") == "laurdag"
    assert weekday(date(2026, 11, 28), "nb") == "lørdag"
    assert format_date(date(2026, 12, 10), "nn") == "10. desember 2026"
    assert number_word(1, "nn") == "eitt" and number_word(1, "nb") == "ett"
