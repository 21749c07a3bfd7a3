"""Op-ed files and pieces: the shipped outlets and signatories, validation with row and field, the texts."""

from __future__ import annotations

import csv
import io
import re

import docx
import pytest
from conftest import LETTER_DATE
from helpers import read_rows, run, write_rows

from toolkit.opeds.pieces import fact_contexts, format_count
from toolkit.validate import check_campaign

KNOWN_RULES = {"vg", "nationen", "utrop", "tronder-avisa", "bygdanytt", "farmatid",
               # ../shared/reference/outlets-verified.md, section A
               "dagen", "tidsskriftet", "psykologtidsskriftet", "utdanning", "adresseavisen"}
READ_ADDRESSES = {"vg": "debatt@vg.no", "nationen": "debatt@nationen.no", "tronder-avisa": "redaksjonen@t-a.no",
                  "subjekt": "debatt@subjekt.no", "dagen": "debatt@dagen.no",
                  "psykologtidsskriftet": "meninger@psykologtidsskriftet.no"}
# Read in a print notice from 2020, not on the outlet's page: shipped, but not marked as verified.
OLDER_ADDRESSES = {"utdanning"}


def load(folder):
    campaign, problems = check_campaign(folder, LETTER_DATE)
    return campaign, problems


def edit_row(path, key_column, key, **values):
    rows = read_rows(path)
    row = next(r for r in rows if r[key_column] == key)
    row.update(values)
    write_rows(path, rows)
    return rows.index(row) + 2  # the spreadsheet row: the header is row 1


def test_shipped_outlets_and_signatories(campaign_dir):
    campaign, problems = load(campaign_dir)
    assert problems.errors == []
    setup = campaign.opeds
    by_id = {o.id: o for o in setup.outlets}
    assert {o.id for o in setup.outlets if o.rules_known} == KNOWN_RULES
    for name in ("aftenposten", "dagbladet", "nrk-ytring", "dn", "klassekampen", "dagsavisen", "vart-land",
                 "morgenbladet", "bt", "aftenbladet", "fvn", "nordlys", "subjekt"):
        assert not by_id[name].rules_known
    # Only addresses read at the outlet's own page are marked as verified, and no other address is shipped.
    assert {o.id: o.submission_email for o in setup.outlets if o.submission_verified} == READ_ADDRESSES
    assert {o.id for o in setup.outlets if o.submission_email} == set(READ_ADDRESSES) | OLDER_ADDRESSES
    assert by_id["utrop"].unit == "words" and by_id["bygdanytt"].languages == ("nn",)
    assert set(by_id["nationen"].languages) == {"nb", "nn"}
    assert all(o.exclusive for o in setup.outlets), "exclusivity is assumed where it is unknown"
    assert all(o.source for o in setup.outlets if o.rules_known)
    assert len(KNOWN_RULES) >= 11
    # Outlets that give no publication date take no piece that belongs to a day.
    assert {o.id for o in setup.outlets if not o.publish_date} == {"utrop", "farmatid", "tidsskriftet", "psykologtidsskriftet", "utdanning"}
    assert by_id["dagen"].answer_days == 3 and by_id["adresseavisen"].coverage == ("ST", "NT")
    # Validate names every outlet whose limits must be checked, with its row.
    unknown = [p for p in problems.warnings if p.file == "outlets.csv" and "må sjekkes" in p.message]
    assert len(unknown) == len(setup.outlets) - len(KNOWN_RULES)
    assert all(p.row for p in unknown)
    # The signatories are examples, in the Storting's districts, and local outlets have local writers.
    assert setup.signatories and all("(eksempel)" in s.role for s in setup.signatories)
    for local in (o for o in setup.outlets if o.rules_known and o.is_local):
        assert any(s.district in local.coverage for s in setup.signatories), local.name


def test_every_piece_fits_every_outlet_of_its_kind_and_names_its_sources(campaign_dir):
    campaign, _ = load(campaign_dir)
    setup = campaign.opeds
    contexts = [c for by_id in fact_contexts(campaign).values() for c in by_id.values()]
    sources = {c["sourced"][1:-1] for c in contexts}  # a fact with its source named in the sentence
    assert len(setup.pieces) == 3 + len(campaign.demands)
    assert {p.demand for p in setup.pieces if p.demand} == {d.id for d in campaign.demands}
    for spec in setup.pieces:
        for language in spec.languages:
            long, short = setup.lengths[(spec.id, "kronikk", language)], setup.lengths[(spec.id, "debatt", language)]
            assert 3700 <= long.chars <= 6000, (spec.id, language, long.chars)
            assert short.chars < 3000, (spec.id, language, short.chars)
            assert long.title == short.title and long.title
            for rendered in (long, short):
                text = "\n".join(p.text for p in rendered.paragraphs)
                assert any(source in text for source in sources), f"{spec.id} ({language}) names no source"
                # Sources named in the sentence, as newspapers do: no parenthesised references, no
                # "quoted in", no footnotes, no bullet list of the demands.
                for word in ("(kilde", "(kjelde", "gjengitt i", "attgitt i", "fotnote"):
                    assert word not in text, (spec.id, language, word)
                assert not re.search(r"\[\d+\]|[¹²³⁴⁵⁶⁷⁸⁹⁰]|[a-zæøå]\d+\b", text), (spec.id, language, "footnote number")
                assert all(p.style != "ListBullet" for p in rendered.paragraphs), (spec.id, language)
                assert [p.style for p in rendered.paragraphs][-1] == "Byline"
    for outlet in (o for o in setup.outlets if o.rules_known):
        assert any(setup.fits(outlet, p.id, v, lang)
                   for p in setup.pieces for v in ("kronikk", "debatt") for lang in p.languages), outlet.name


def test_nynorsk_pieces_are_nynorsk_and_keep_the_figures_of_the_facts(campaign_dir):
    campaign, _ = load(campaign_dir)
    setup = campaign.opeds
    nynorsk = [p for p in setup.pieces if "nn" in p.languages]
    assert {p.id for p in setup.pieces} == {p.id for p in nynorsk}
    for spec in nynorsk:
        template = (campaign_dir / "letter_templates" / "nn" / spec.template).read_text(encoding="utf-8")
        text = "\n".join(p.text for p in setup.lengths[(spec.id, "kronikk", "nn")].paragraphs)
        prose = text
        for fact in fact_contexts(campaign)["nn"].values():
            prose = prose.replace(fact["source"], "").replace(fact["ref"], "")
        for word in ("ikke", "hva", "hvordan", "hvorfor", "noen", "fra", "bare", "vold", "ofrene", "Norge"):
            assert not re.search(rf"\b{word}\b", prose), f"bokmål «{word}» in nn/{spec.template}"
        # The nynorsk text restates the figures in its own words: they must match facts.yaml.
        for fact_id in set(re.findall(r'facts\["([^"]+)"\]', template)):
            for number in re.findall(r"\d+(?:,\d+)?", campaign.facts[fact_id].text):
                assert number in text, f"{number} from {fact_id} missing in nn/{spec.template}"


# The pieces on one demand each; their nynorsk editions take facts and demands from the nn blocks.
NYNORSK_DEMAND_PIECES = ("forebygging", "identifisering", "rettsvern", "exitprogram", "handlingsplan")
# Bokmål forms that nynorsk writes differently (ikkje, eg, dersom, mykje, kven, kva, ho, veg, frå, vart …).
BOKMAL_FORMS = (
    "ikke", "jeg", "meg", "hvis", "mye", "hvem", "hvor", "hva", "hvordan", "ble", "blitt", "hun", "hennes", "deres",
    "noe", "noen", "fra", "bare", "selv", "uten", "sier", "kommer", "gjøre", "være", "en", "et", "vei", "veien",
    "mennesker", "rettigheter", "myndighetene", "regjeringen", "hjelpen", "vold", "ofre", "ofrene", "Norge", "kilde",
    "ifølge",
)


def bokmal_forms(text: str, campaign) -> list[str]:
    """The bokmål forms in ``text``, once the sources (titles, kept as published) are taken out."""
    for fact in fact_contexts(campaign)["nn"].values():
        text = text.replace(fact["source"], "").replace(fact["ref"], "").replace(fact["who"], "")
    return [word for word in BOKMAL_FORMS if re.search(rf"\b{word}\b", text)]


def within(rendered, outlet, version: str) -> bool:
    """The outlet's limit for that version, applied whatever the language."""
    limit, count = outlet.limits[version], rendered.count(outlet.unit)
    return count <= limit.high and (limit.low is None or count >= limit.low)


@pytest.mark.parametrize("piece_id", NYNORSK_DEMAND_PIECES)
def test_nynorsk_demand_pieces_keep_the_structure_the_facts_and_the_limits(campaign_dir, piece_id):
    campaign, problems = load(campaign_dir)
    assert problems.errors == []
    setup = campaign.opeds
    nn_facts = fact_contexts(campaign)["nn"]
    spec = setup.piece(piece_id)
    assert spec.languages == ("nb", "nn")
    template = (campaign_dir / "letter_templates" / "nn" / spec.template).read_text(encoding="utf-8")
    demand = next(d for d in campaign.demands if d.id == spec.demand)
    for version in ("kronikk", "debatt"):
        nb, nn = setup.lengths[(piece_id, version, "nb")], setup.lengths[(piece_id, version, "nn")]
        text = "\n".join(p.text for p in nn.paragraphs)
        # The same structure as the bokmål piece: paragraph for paragraph, heading for heading.
        assert [p.style for p in nn.paragraphs] == [p.style for p in nb.paragraphs], version
        assert nn.title != nb.title and "ikkje" in text and "Noreg" in text and "(kjelde: " not in text
        assert bokmal_forms(text, campaign) == [], version
        # The nynorsk demand, word for word from demands.yaml.
        assert demand.in_language("nn").ask in text
        # The same limits hold: where the bokmål version fits an outlet's limit, the nynorsk one does too.
        for outlet in (o for o in setup.outlets if o.rules_known and o.limits.get(version)):
            if within(nb, outlet, version):
                assert within(nn, outlet, version), (version, outlet.name, nb.count(outlet.unit), nn.count(outlet.unit))
    # Every fact the kronikk cites stands in its nynorsk wording from facts.yaml, source included.
    kronikk = "\n".join(p.text for p in setup.lengths[(piece_id, "kronikk", "nn")].paragraphs)
    cited = set(re.findall(r'facts\["([^"]+)"\]', template))
    assert len(cited) >= 3
    for fact_id in cited:
        fact = nn_facts[fact_id]
        assert fact["statement"][1:] in kronikk, fact_id
        assert fact["sourced"][1:] in kronikk or f"{fact['statement']}, viser den same rapporten." in kronikk, fact_id


@pytest.mark.parametrize("piece", NYNORSK_DEMAND_PIECES)
def test_a_submission_to_a_nynorsk_outlet_is_a_nynorsk_docx(campaign_dir, piece):
    """Bygdanytt takes nynorsk only: given only this piece, and first in the order of preference, it gets
    the nynorsk text, reopened from the DOCX."""
    edit_row(campaign_dir / "outlets.csv", "id", "bygdanytt", pieces=piece)
    rows = read_rows(campaign_dir / "outlets.csv")
    rows.sort(key=lambda r: r["id"] != "bygdanytt")
    write_rows(campaign_dir / "outlets.csv", rows)
    result = run("opeds", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    status = (campaign_dir / "opeds-status.csv").read_text(encoding="utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(status), delimiter=";") if r["outlet"] == "bygdanytt")
    assert (row["piece"], row["version"], row["language"]) == (piece, "debatt", "nn")
    path = next((campaign_dir / "ut" / "opeds").glob(f"{row['date']}-bygdanytt-{piece}.docx"))
    document = docx.Document(path)
    assert document.core_properties.language == "nn-NO"
    paragraphs = document.paragraphs
    byline = next(i for i, p in enumerate(paragraphs) if p.style.name == "Byline")
    piece_text = "\n".join(p.text for p in paragraphs[: byline + 1])
    campaign, _ = load(campaign_dir)
    expected = campaign.opeds.lengths[(piece, "debatt", "nn")]
    assert paragraphs[0].style.name == "Title" and paragraphs[0].text == expected.title
    # Bygdanytt is a local paper: the piece has a marked place for the local paragraph, and otherwise the text.
    local = [p for p in paragraphs[1:byline] if p.style.name == "Cover Note"]
    assert len(local) == 1 and local[0].text.startswith("[SKRIV HER: lokalt avsnitt, høgst") and "Hordaland" in local[0].text
    assert [p.text for p in paragraphs[1:byline] if p.style.name != "Cover Note"] == [p.text for p in expected.paragraphs[1:-1]]
    assert bokmal_forms(piece_text, campaign) == [] and "ikkje" in piece_text
    demand = next(d for d in campaign.demands if d.id == campaign.opeds.piece(piece).demand)
    assert demand.in_language("nn").ask in piece_text
    # The note to the sender and the e-mail it proposes are in nynorsk too (the outlet's own notes from
    # outlets.csv are quoted as written, so they are left out).
    cover = "\n".join(p.text for p in paragraphs[byline + 1:] if not p.text.startswith("Om Bygdanytt:"))
    assert "Med venleg helsing" in cover and "Med vennlig hilsen" not in cover and "Lesarinnlegg: " + expected.title in cover
    assert "Denne sida skal ikkje til avisa" in cover and "lesarinnlegg på nynorsk, høgst 3\u00a0000 teikn medrekna mellomrom" in cover
    assert bokmal_forms(cover, campaign) == [], bokmal_forms(cover, campaign)


def test_norwegian_conventions_in_the_texts(campaign_dir):
    campaign, _ = load(campaign_dir)
    for (piece, version, language), rendered in campaign.opeds.lengths.items():
        text = "\n".join(p.text for p in rendered.paragraphs)
        assert "  " not in text and " ," not in text and " ." not in text, (piece, version, language)
        assert "(2022) (2022)" not in text and "{{" not in text and "}}" not in text
    assert "25. november" in "\n".join(p.text for p in campaign.opeds.lengths[("apning", "debatt", "nb")].paragraphs)


def test_a_piece_over_an_outlets_limit_is_an_error_saying_by_how_much(campaign_dir):
    campaign, _ = load(campaign_dir)
    longest = max(r.chars for (p, v, lang), r in campaign.opeds.lengths.items() if v == "kronikk" and lang == "nb")
    limit = longest - 112
    # The debate piece must not fit either: where one length fits, the other's excess is only a warning.
    row = edit_row(campaign_dir / "outlets.csv", "id", "nationen", kronikk_max=str(limit), debate_max="1000")
    _, problems = load(campaign_dir)
    over = [p for p in problems.errors if "Nationen tar høyst" in p.message and "(kronikk," in p.message]
    expected = {(p, r.title, r.chars - limit) for (p, v, lang), r in campaign.opeds.lengths.items()
                if v == "kronikk" and lang in ("nb", "nn") and r.chars > limit}
    assert len(over) == len(expected) >= 1
    worst = next(p for p in over if f"{format_count(112)} tegn for mye" in p.message)
    assert worst.file.startswith("letter_templates/") and "oped_" in worst.file
    assert "Kort ned teksten med minst" in worst.hint
    assert row == 3
    result = run("validate", "--campaign", str(campaign_dir))
    assert result.exit_code == 2 and "tegn for mye" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("column", "value", "field", "words"),
    [
        ("kind", "avis", "kind", "Ukjent type"),
        ("language", "se", "language", "Ukjent språk"),
        ("debate_max", "tre tusen", "debate_max", "positivt helt tall"),
        ("debate_min", "4000", "debate_min", "større enn øvre"),
        ("submission_email", "debatt(at)vg.no", "submission_email", "ikke en gyldig e-postadresse"),
        ("submission_form", "vg.no/skjema", "submission_form", "ikke en nettadresse"),
        ("coverage", "Trøndelag", "coverage", "ikke en valgkrets"),
        ("pieces", "finnes-ikke", "pieces", "finnes ikke"),
        ("exclusive", "kanskje", "exclusive", "verken ja eller nei"),
        ("verified_on", "i fjor", "verified_on", "ikke en dato"),
        ("id", "VG Debatt", "id", "ugyldig"),
    ],
)
def test_outlet_errors_name_row_and_field(campaign_dir, column, value, field, words):
    row = edit_row(campaign_dir / "outlets.csv", "id", "vg", **{column: value})
    _, problems = load(campaign_dir)
    matching = [p for p in problems.errors if p.file == "outlets.csv" and p.row == row and p.field == field]
    assert matching and words in matching[0].message, [str(p) for p in problems.errors]


def test_a_local_outlet_needs_a_coverage(campaign_dir):
    row = edit_row(campaign_dir / "outlets.csv", "id", "tronder-avisa", coverage="")
    _, problems = load(campaign_dir)
    assert any(p.row == row and p.field == "coverage" and "dekningsområde" in p.message for p in problems.errors)


@pytest.mark.parametrize(
    ("column", "value", "field", "words"),
    [
        ("district", "nt", "district", "Mente du «NT»?"),
        ("district", "Trøndelag", "district", "ikke en valgkrets"),
        ("language", "en", "language", "Ukjent språk"),
        ("preferred_outlets", "Avisa Som Ikke Finnes", "preferred_outlets", "finnes ikke i outlets.csv"),
        ("role", "", "role", "Mangler"),
        ("name", "Kari Eksempel", "name", "står også på rad"),
    ],
)
def test_signatory_errors_name_row_and_field(campaign_dir, column, value, field, words):
    row = edit_row(campaign_dir / "signatories.csv", "name", "Ingrid Eksempelmo", **{column: value})
    _, problems = load(campaign_dir)
    matching = [p for p in problems.errors if p.file == "signatories.csv" and p.row == row and p.field == field]
    assert matching and words in str(matching[0]), [str(p) for p in problems.errors]


def test_outlets_and_districts_by_name_or_id_and_excel_csv(campaign_dir):
    path = campaign_dir / "signatories.csv"
    edit_row(path, "name", "Kari Eksempel", preferred_outlets="VG; Trønder-Avisa")
    edit_row(path, "name", "Ingrid Eksempelmo", district="Nord-Trøndelag")
    rows = read_rows(path)
    write_rows(path, rows, delimiter=";", encoding="cp1252")
    campaign, problems = load(campaign_dir)
    assert problems.errors == []
    assert campaign.opeds.signatory("Ingrid Eksempelmo").district == "NT"
    kari = campaign.opeds.signatory("Kari Eksempel")
    assert kari.preferred_outlets == ("vg", "tronder-avisa")
    assert campaign.opeds.signatory("Åse Øvrebø-Eksempel").district == "Os"


def test_campaign_yaml_opeds_section_is_checked(campaign_dir):
    path = campaign_dir / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("exclusive_wait_days: 3", "exclusive_wait_days: tre")
    text = text.replace("{id: forebygging, demand: forebygging", "{id: forebygging, demand: finnes-ikke")
    text = text.replace("send_from: 2026-12-01", "send_from: 2026-12-24")
    path.write_text(text, encoding="utf-8")
    _, problems = load(campaign_dir)
    fields = {p.field for p in problems.errors if p.file == "campaign.yaml"}
    assert {"opeds.exclusive_wait_days", "opeds.pieces[4].demand", "opeds.pieces[3].send_from"} <= fields
    assert all(p.line for p in problems.errors if p.file == "campaign.yaml")


def test_missing_or_broken_op_ed_template(campaign_dir):
    (campaign_dir / "letter_templates" / "nn" / "oped_slaveri.j2").unlink()
    template = campaign_dir / "letter_templates" / "nb" / "oped_rettsvern.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace('facts["kom-straffefritak"]', 'facts["finnes-ikke"]'), encoding="utf-8")
    _, problems = load(campaign_dir)
    messages = [str(p) for p in problems.errors]
    assert any("nn/oped_slaveri.j2" in m and "finnes ikke" in m for m in messages)
    assert any("oped_rettsvern.j2, linje" in m for m in messages), messages


def test_status_file_errors_name_row_and_field(campaign_dir):
    (campaign_dir / "opeds-status.csv").write_text(
        "date,outlet,piece,version,language,signatory,status,answered_on,notes\n"
        "2026-11-25,vg,apning,debatt,nb,Kari Eksempel,kanskje,,\n"
        "2026-11-26,Ukjent avis,apning,debatt,nb,Kari Eksempel,sendt,,\n"
        "2026-11-27,nationen,slaveri,kronikk,nb,Kari Eksempel,avslått,2026-11-20,\n"
        "27/13/2026,nationen,slaveri,kronikk,nb,Per Ukjent,sendt,,\n",
        encoding="utf-8",
    )
    _, problems = load(campaign_dir)
    found = {(p.row, p.field) for p in problems.errors if p.file == "opeds-status.csv"}
    assert {(2, "status"), (3, "outlet"), (4, "answered_on"), (5, "date"), (5, "signatory")} <= found


def test_a_campaign_without_op_eds_is_still_valid(campaign_dir):
    for name in ("outlets.csv", "signatories.csv"):
        (campaign_dir / name).unlink()
    path = campaign_dir / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("# Kronikker og debattinnlegg")], encoding="utf-8")
    campaign, problems = load(campaign_dir)
    assert problems.errors == [] and campaign.opeds is None
    result = run("build", "--campaign", str(campaign_dir), "--date", "2026-11-25")
    assert result.exit_code == 0 and "Kronikker: ingen" in result.output
