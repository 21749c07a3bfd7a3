"""Supporters' letters: one folder per supporter, a letter to each representative of their district."""

from __future__ import annotations

import collections
import csv
import email
import hashlib
import io
import json
import re
from email import policy
from pathlib import Path

import docx
import pytest
import stortinget_data as data
from conftest import LETTER_DATE
from helpers import read_rows, run, write_rows
from send_helpers import set_smtp
from supporters_data import supporter_rows

from toolkit.validate import check_campaign

SUPPORTERS = 200


@pytest.fixture
def with_mps(campaign_dir, tmp_path):
    """The shipped campaign with the 169 made-up representatives imported."""
    answer = tmp_path / "dagensrepresentanter.xml"
    answer.write_bytes(data.to_xml(data.people()))
    result = run("recipients", "import-stortinget", "--campaign", str(campaign_dir), "--file", str(answer))
    assert result.exit_code == 0, result.output
    return campaign_dir


def letters_for(campaign_dir, path, *extra):
    return run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25", "--supporters", str(path), *extra)


def test_a_few_hundred_supporters_write_to_their_own_representatives(with_mps, tmp_path):
    rows = supporter_rows(SUPPORTERS)
    rows[7]["language"] = "nn"
    path = tmp_path / "underskrivere.csv"
    write_rows(path, rows, delimiter=";", encoding="cp1252")  # as Norwegian Excel saves it
    result = letters_for(with_mps, path)
    assert result.exit_code == 0, result.output

    mps = {row["id"]: row for row in read_rows(with_mps / "recipients.csv") if row["kind"] == "mp"}
    by_district = collections.defaultdict(set)
    for mp in mps.values():
        by_district[mp["county"]].add(mp["id"])
    names = {name.casefold(): district for district, name, _ in data.DISTRICTS}
    out = with_mps / "ut" / "supporters"
    message_ids = set()
    total = 0
    for row in rows:
        district = names.get(row["county"].casefold(), row["county"])
        folder = out / row["id"]
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        # Exactly the representatives of the supporter's district, and nobody else.
        assert {p.stem for p in folder.glob("*.docx")} == by_district[district] | {"alle-brev"}, row["id"]
        if not row["personal_paragraph"]:
            # A draft: guiding questions, and nothing that could be sent.
            assert manifest == [] and not list(folder.glob("*.eml"))
            assert all("[SKRIV DITT EGET AVSNITT HER" in p.read_text(encoding="utf-8") for p in folder.glob("*.txt"))
            continue
        assert {entry["recipient"] for entry in manifest} == by_district[district], row["id"]
        assert {p.stem for p in folder.glob("*.eml")} == by_district[district]
        for entry in manifest:
            raw = (folder / entry["file"]).read_bytes()
            assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
            assert entry["sender"] == {"id": row["id"], "name": row["name"], "email": row["email"]}
            message_ids.add(re.search(rb"^Message-ID: (.+)$", raw, re.M).group(1))
        total += len(manifest)
    assert total == sum(len(by_district[names.get(r["county"].casefold(), r["county"])]) for r in rows if r["personal_paragraph"])
    assert not any(b"SKRIV DITT" in p.read_bytes() for p in out.rglob("*.eml")), "a placeholder never reaches an e-mail"
    assert len(message_ids) == total, "every letter has its own Message-ID"

    # One supporter's letter, read back as the representative gets it.
    row = rows[3]
    folder = out / row["id"]
    entry = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))[0]
    message = email.message_from_bytes((folder / entry["file"]).read_bytes(), policy=policy.default)
    assert message["Reply-To"].addresses[0].addr_spec == row["email"]
    assert message["Reply-To"].addresses[0].display_name == row["name"]
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    # The supporter's letter is the supporter's: their name heads it, not the organisation's letterhead;
    # the organisation appears once, as the campaign the supporter joins.
    assert body.startswith(row["name"]) and "16 dager mot vold mot kvinner" in body
    assert body.count("Kvinnenettverket") == 1 and "Postboks 0000" not in body and "Vår referanse" not in body
    # Decoded as RFC 2047 says (adjacent encoded words join without the space between them), as
    # mail programs show it; the standard library's newer parser would add a space inside the name.
    from toolkit.send.outbox import _decoded

    sender = email.message_from_bytes((folder / entry["file"]).read_bytes(), policy=policy.compat32)["From"]
    assert _decoded(sender) == f"{row['name']} via Kvinnenettverket (eksempel) <post@example.org>"
    assert message["From"].addresses[0].addr_spec == "post@example.org"  # sent from the organisation, so it is delivered
    assert "Kvinnenettverket" not in message["Subject"] and "krav fra" not in message["Subject"]
    assert row["personal_paragraph"] in body
    assert body.rstrip().endswith(f"{row['name']}\n{mps[entry['recipient']]['county_name']}")
    document = docx.Document(folder / f"{entry['recipient']}.docx")
    text = "\n".join(p.text for p in document.paragraphs)
    assert row["personal_paragraph"] in text and row["name"] in text
    assert f"Kjære {entry['name']}" in text
    # The DOCX and the text copy are the supporter's too: their name first, no letterhead.
    assert document.paragraphs[0].text.startswith(row["name"]) and document.paragraphs[0].style.name == "Address"
    assert not any(p.style.name in ("Letterhead", "LetterheadDetail") for p in document.paragraphs)
    assert "Postboks 0000" not in text and text.count("Kvinnenettverket") == 1
    plain = (folder / f"{entry['recipient']}.txt").read_text(encoding="utf-8")
    assert plain.startswith(row["name"]) and "Postboks 0000" not in plain
    printed = docx.Document(folder / "alle-brev.docx")
    assert len(printed.sections) == len(list(folder.glob("*.eml")))

    # A supporter who writes nynorsk gets nynorsk letters, whatever the representative's language.
    nynorsk = (out / rows[7]["id"]).glob("*.txt")
    assert all("Med venleg helsing" in p.read_text(encoding="utf-8") for p in nynorsk)

    # Two supporters writing to the same representative do not send the same words.
    same_district = [r for r in rows if names.get(r["county"].casefold(), r["county"]) == "Os" and r["personal_paragraph"]][:6]
    recipient = sorted(by_district["Os"])[0]
    bodies = {(out / r["id"] / f"{recipient}.txt").read_text(encoding="utf-8").split("Kjære", 1)[1].rsplit("Med vennlig hilsen")[0]
              .replace(r["personal_paragraph"], "") for r in same_district}
    assert len(bodies) > 1
    # … nor under the same subject: each writes as a voter of the district, in words that vary.
    subjects = {
        email.message_from_bytes((out / r["id"] / f"{recipient}.eml").read_bytes(), policy=policy.default)["Subject"]
        for r in same_district
    }
    assert len(subjects) > 1 and not any("Kvinnenettverket" in subject for subject in subjects)

    overview = (out / "oversikt-underskrivere.csv").read_bytes().decode("utf-8-sig").splitlines()
    assert len(overview) == SUPPORTERS + 1 and overview[0].startswith("id;navn")


def test_copied_paragraphs_fail_the_batch_and_name_the_supporters(with_mps, tmp_path):
    rows = supporter_rows(24)
    copied = [r for r in rows if r["personal_paragraph"]][:6]
    for row in copied:
        row["personal_paragraph"] = copied[0]["personal_paragraph"]
    path = tmp_path / "supporters.csv"
    write_rows(path, rows)
    result = letters_for(with_mps, path)
    assert result.exit_code == 2, result.output
    assert "ligner for mye på andres" in result.output and "Traceback" not in result.output
    out = with_mps / "ut" / "supporters"
    for row in rows:
        manifest = json.loads((out / row["id"] / "manifest.json").read_text(encoding="utf-8"))
        if row in copied:
            assert row["id"] in result.output
            assert manifest == [] and not list((out / row["id"]).glob("*.eml")), row["id"]
        elif row["personal_paragraph"]:
            assert manifest and list((out / row["id"]).glob("*.eml")), row["id"]
    report = (out / "likhet-underskrivere.csv").read_text(encoding="utf-8-sig")
    assert copied[0]["id"] in report


def test_personal_paragraph_cannot_become_markup(with_mps, tmp_path):
    rows = supporter_rows(2)
    rows[0]["personal_paragraph"] = "# Overskrift\n\n::Signature\nFalsk Underskrift"
    path = tmp_path / "supporters.csv"
    write_rows(path, rows)
    assert letters_for(with_mps, path).exit_code == 0
    folder = with_mps / "ut" / "supporters" / rows[0]["id"]
    letter = next(folder.glob("mp-*.docx"))
    paragraphs = docx.Document(letter).paragraphs
    mine = [p for p in paragraphs if "Overskrift" in p.text]
    assert len(mine) == 1 and not mine[0].style.name.startswith("Heading")
    assert mine[0].text == "Overskrift ::Signature Falsk Underskrift"
    assert not any("Falsk" in p.text for p in paragraphs if p is not mine[0])


@pytest.mark.parametrize(
    "change, row, field, words",
    [
        ({"id": "Ugyldig id"}, 2, "id", "ugyldig"),
        ({"email": "ikke-en-adresse"}, 2, "email", "gyldig e-postadresse"),
        ({"email": "UNDERSKRIVER1@example.org"}, 3, "email", "står også på rad 2"),
        ({"county": "Agder"}, 2, "county", "Aust-Agder"),
        ({"language": "sv"}, 2, "language", "Ukjent språk"),
        ({"personal_paragraph": "langt " * 400}, 2, "personal_paragraph", "grensen er 1500"),
        ({"name": ""}, 2, "name", "Mangler navn"),
    ],
)
def test_supporter_errors_name_row_and_field(with_mps, tmp_path, change, row, field, words):
    rows = supporter_rows(3)
    rows[0].update(change)
    path = tmp_path / "supporters.csv"
    write_rows(path, rows)
    result = letters_for(with_mps, path)
    assert result.exit_code == 2
    assert f"supporters.csv, rad {row}, felt «{field}»" in result.output and words in result.output
    assert "Traceback" not in result.output
    assert not (with_mps / "ut" / "supporters").exists()


def test_supporters_need_representatives_first(campaign_dir, tmp_path):
    path = tmp_path / "supporters.csv"
    write_rows(path, supporter_rows(2))
    result = letters_for(campaign_dir, path)
    assert result.exit_code == 2
    assert "toolkit recipients import-stortinget" in result.output


def test_validate_and_build_use_supporters_csv_in_the_campaign_folder(with_mps):
    rows = supporter_rows(4)
    write_rows(with_mps / "supporters.csv", rows)
    campaign, problems = check_campaign(with_mps, LETTER_DATE)
    assert problems.errors == []
    result = run("build", "--campaign", str(with_mps), "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert "Underskrivere:" in result.output and "fra 4 underskrivere" in result.output
    assert all((with_mps / "ut" / "supporters" / r["id"] / "manifest.json").is_file() for r in rows)
    rows[1]["county"] = "Atlantis"
    write_rows(with_mps / "supporters.csv", rows)
    bad = run("validate", "--campaign", str(with_mps))
    assert bad.exit_code == 2 and "supporters.csv, rad 3, felt «county»" in bad.output


def test_ministry_letters_and_rerun_with_fewer_supporters(with_mps, tmp_path):
    rows = supporter_rows(3)
    path = tmp_path / "supporters.csv"
    write_rows(path, rows)
    result = letters_for(with_mps, path, "--ministry", "jd", "--to", "committee:JUSTIS")
    assert result.exit_code == 0, result.output
    out = with_mps / "ut" / "supporters"
    for row in rows:
        if not row["personal_paragraph"]:
            assert (out / row["id"] / "jd.docx").is_file() and not (out / row["id"] / "jd.eml").exists()
            continue
        manifest = json.loads((out / row["id"] / "manifest.json").read_text(encoding="utf-8"))
        recipients = [e["recipient"] for e in manifest]
        assert "jd" in recipients and all(r == "jd" or r.startswith("mp-") for r in recipients)
    text = (out / rows[0]["id"] / "jd.txt").read_text(encoding="utf-8")
    assert "Til Justis- og beredskapsdepartementet" in text and text.rstrip().endswith(rows[0]["place"] or "Østfold")
    # A rerun with one supporter fewer removes that supporter's folder and nothing else.
    write_rows(path, rows[:2])
    assert letters_for(with_mps, path).exit_code == 0
    assert not (out / rows[2]["id"]).exists() and (out / rows[1]["id"]).is_dir()
    unknown = letters_for(with_mps, path, "--ministry", "XX")
    assert unknown.exit_code == 2 and "JD" in unknown.output


def test_stale_and_never_checked_recipients(campaign_dir):
    from toolkit.core.campaign import check_staleness
    from toolkit.core.errors import Problems

    rows = read_rows(campaign_dir / "recipients.csv")
    never = [r["id"] for r in rows if not r["verified_on"]]
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    summaries = [w for w in problems.warnings if "ingen dato" in w.message]
    assert len(summaries) == 1 and f"{len(never)} mottakere" in summaries[0].message
    # The send step asks only about the recipients it is about to use.
    problems = Problems()
    found = check_staleness(campaign, problems, LETTER_DATE, only=["jd", "minister-jd"])
    assert [r.id for r in found.never_checked] == ["jd"] and [r.id for r in found.stale] == ["minister-jd"]
    assert len(problems.warnings) == 2 and "1 mottaker har ingen dato" in problems.warnings[1].message
    assert not check_staleness(campaign, Problems(), LETTER_DATE, only=["finnes-ikke"])


def test_the_example_in_the_docs_works(with_mps):
    from toolkit.letters.supporters import load_supporters

    guide = (Path(__file__).resolve().parent.parent / "docs" / "campaign-files.md").read_text(encoding="utf-8")
    example = guide.split("```csv\n", 1)[1].split("```", 1)[0]
    (with_mps / "supporters.csv").write_text(example, encoding="utf-8")
    campaign, problems = check_campaign(with_mps, LETTER_DATE)
    supporters = load_supporters(with_mps / "supporters.csv", campaign, problems)
    assert problems.errors == []
    assert [(s.county, s.language) for s in supporters] == [("Øs", ""), ("Ho", "nn")]


def test_fast_path_letter_matches_the_python_docx_rendering(with_mps, tmp_path):
    """A supporter's letter as written by the fast DOCX writer reads exactly like python-docx's rendering of it."""
    import io

    from docx_reference import reference_docx
    from test_docx import open_docx, summary

    from toolkit.letters.supporters import load_supporters, prepare_run, supporter_letters
    from toolkit.validate import check_campaign

    rows = supporter_rows(5)  # supporter 0 writes «hjelp & trygghet» <forsvinne>
    rows[0]["name"] = 'Åse "Ærlig" Ødegård & <Co>'
    write_rows(with_mps / "supporters.csv", rows)
    result = run("letters", "--campaign", str(with_mps), "--date", "2026-11-25", "--supporters", str(with_mps / "supporters.csv"))
    assert result.exit_code == 0, result.output

    campaign, problems = check_campaign(with_mps, LETTER_DATE)
    supporters = load_supporters(with_mps / "supporters.csv", campaign, problems)
    first = next(iter(supporters))
    rendered = list(supporter_letters(prepare_run(campaign, list(supporters), LETTER_DATE), first))
    assert len(rendered) > 1
    for recipient, letter in rendered:
        written = (with_mps / "ut" / "supporters" / "u-00000" / f"{recipient.id}.docx").read_bytes()
        fast = open_docx(written)
        slow = docx.Document(io.BytesIO(reference_docx(letter.paragraphs, title=letter.subject, language=letter.language)))
        assert summary(fast) == summary(slow)
        texts = [paragraph.text for paragraph in fast.paragraphs]
        assert any("hjelp & trygghet» <forsvinne>" in text for text in texts)
        assert any('Åse "Ærlig" Ødegård & <Co>' in text for text in texts)
        assert {p.style.style_id for p in fast.paragraphs} >= {"Address", "Date", "Body", "Closing", "Signature"}
        assert fast.core_properties.title == slow.core_properties.title == letter.subject
        section = fast.sections[0]
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
        assert (section.page_width, section.page_height, section.left_margin) == (
            slow.sections[0].page_width, slow.sections[0].page_height, slow.sections[0].left_margin,
        )


@pytest.mark.parametrize("method", [None, "spawn"])
def test_worker_processes_write_what_one_process_writes(with_mps, monkeypatch, method):
    """Workers get their chunk of supporters as the file is read; the outputs are those of a run in one
    process, whether they start as the platform chooses (fork on Linux) or by "spawn" (Windows' only
    start method, and macOS's default)."""
    import toolkit.letters.supporters as supporters_module
    from toolkit.letters.supporters import load_supporters, write_supporter_letters

    rows = supporter_rows(23)
    for row in rows[5:8]:
        row["personal_paragraph"] = rows[4]["personal_paragraph"]  # copies: held back in both runs
    write_rows(with_mps / "supporters.csv", rows)
    campaign, problems = check_campaign(with_mps, LETTER_DATE)
    supporters = load_supporters(with_mps / "supporters.csv", campaign, problems)
    out = with_mps / "ut" / "supporters"

    def written():
        return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    single = write_supporter_letters(campaign, supporters, LETTER_DATE, workers=1)
    one_process = written()
    monkeypatch.setattr(supporters_module, "CHUNK", 4)  # six chunks, the last one short
    parallel = write_supporter_letters(campaign, supporters, LETTER_DATE, workers=2, method=method)
    assert written() == one_process
    assert len(one_process) > 23 * 4 and "likhet-underskrivere.csv" in one_process
    assert single.too_similar == parallel.too_similar == [r["id"] for r in rows[4:8]]
    assert (single.letters, single.needs_paragraph, single.ready) == (parallel.letters, parallel.needs_paragraph, parallel.ready)


def test_supporters_are_read_as_a_stream_with_a_safety_valve(with_mps, tmp_path):
    from toolkit.core.errors import Problems
    from toolkit.letters.supporters import SupporterSource, load_supporters

    rows = supporter_rows(3000)  # about 1.5 MB
    path = tmp_path / "supporters.csv"
    write_rows(path, rows)
    too_big = letters_for(with_mps, path, "--max-mb", "1")
    assert too_big.exit_code == 2 and "Traceback" not in too_big.output
    assert "sikkerhetsgrensen på 1 MB" in too_big.output and "--max-mb" in too_big.output
    assert not (with_mps / "ut" / "supporters").exists()
    campaign, problems = check_campaign(with_mps, LETTER_DATE)
    source = load_supporters(path, campaign, problems)
    assert isinstance(source, SupporterSource) and len(source) == 3000 and problems.errors == []
    assert [s.id for s in source][:3] == ["u-00000", "u-00001", "u-00002"]
    # The variants are those numbered over the whole file, district by district.
    from toolkit.letters.supporters import variant_numbers

    whole = list(source)
    assert list(source.variants) == [variant_numbers(whole)[s.id] for s in whole]
    # A file changed while it is being read again stops the run, naming it.
    later = iter(source)
    next(later)
    write_rows(path, rows[:-1])
    with pytest.raises(Exception, match="ble endret mens brevene ble skrevet"):
        list(later)
    # Duplicates are found in any order, worded as before, with the first row.
    rows = supporter_rows(5)
    rows[4]["id"] = rows[1]["id"]
    rows[3]["email"] = rows[0]["email"].upper()
    write_rows(path, rows)
    problems = Problems()
    load_supporters(path, campaign, problems)
    messages = sorted((p.row, p.field, p.message) for p in problems.errors)
    assert messages == [(5, "email", "Adressen står også på rad 2."), (6, "id", "Id-en «u-00001» er brukt før, på rad 3.")]


def test_zip_packs_and_email_only_runs(with_mps, tmp_path):
    import io
    import zipfile

    rows = supporter_rows(6)
    path = tmp_path / "supporters.csv"
    write_rows(path, rows)
    out = with_mps / "ut" / "supporters"
    assert letters_for(with_mps, path).exit_code == 0
    default = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}

    result = letters_for(with_mps, path, "--pack", "zip")
    assert result.exit_code == 0, result.output
    for row in rows:
        folder = out / row["id"]
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        with zipfile.ZipFile(folder / "brev.zip") as archive:
            assert archive.testzip() is None
            names = set(archive.namelist())
            stems = {name[:-5] for name in names if name.endswith(".docx") and name != "alle-brev.docx"}
            assert stems and names == {f"{s}{x}" for s in stems for x in (".docx", ".txt")} | {"alle-brev.docx"} | (
                {f"{s}.eml" for s in stems} if row["personal_paragraph"] else set())
            for stem in stems:
                document = docx.Document(io.BytesIO(archive.read(f"{stem}.docx")))
                text = "\n".join(p.text for p in document.paragraphs)
                assert row["name"] in text and (row["personal_paragraph"] or "SKRIV DITT EGET AVSNITT") in text
                assert archive.read(f"{stem}.txt").decode("utf-8").strip()
                if row["personal_paragraph"]:
                    message = email.message_from_bytes(archive.read(f"{stem}.eml"), policy=policy.default)
                    assert message["Reply-To"].addresses[0].addr_spec == row["email"]
                    assert row["personal_paragraph"] in message.get_body(("plain",)).get_content()
                    # The same e-mail lies beside the ZIP, for `toolkit send`, as the manifest says.
                    assert (folder / f"{stem}.eml").read_bytes() == archive.read(f"{stem}.eml")
            printed = docx.Document(io.BytesIO(archive.read("alle-brev.docx")))
            assert len(printed.sections) == len(stems)  # a section per letter, as without --pack zip
        loose = {p.name for p in folder.iterdir()}
        assert loose == {"brev.zip", "manifest.json"} | {e["file"] for e in manifest}
        for entry in manifest:
            assert hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]

    result = letters_for(with_mps, path, "--only", "eml")
    assert result.exit_code == 0, result.output
    for row in rows:
        folder = out / row["id"]
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert {p.name for p in folder.iterdir()} == {"manifest.json"} | {e["file"] for e in manifest}
        for entry in manifest:
            message = email.message_from_bytes((folder / entry["file"]).read_bytes(), policy=policy.default)
            assert row["personal_paragraph"] in message.get_body(("plain",)).get_content()
    # Back to the default: the same files as the first run, and nothing else.
    assert letters_for(with_mps, path).exit_code == 0
    assert {p.relative_to(out) for p in out.rglob("*") if p.is_file()} == default
    both = letters_for(with_mps, path, "--pack", "zip", "--only", "eml")
    assert both.exit_code == 2 and "enten --pack zip eller --only eml" in both.output


def test_large_batches_hold_back_the_same_supporters(with_mps, monkeypatch):
    """Over EXACT_UP_TO letters the check finds candidates first: the supporters held back are the same."""
    from toolkit.letters import similarity
    from toolkit.letters.supporters import load_supporters, write_supporter_letters

    rows = supporter_rows(40)
    for row in rows[5:9]:
        row["personal_paragraph"] = rows[4]["personal_paragraph"]
    rows[13]["personal_paragraph"] = rows[9]["personal_paragraph"] + " Og én setning til fra meg."
    write_rows(with_mps / "supporters.csv", rows)
    campaign, problems = check_campaign(with_mps, LETTER_DATE)
    supporters = load_supporters(with_mps / "supporters.csv", campaign, problems)
    exact = write_supporter_letters(campaign, supporters, LETTER_DATE, workers=1)
    monkeypatch.setattr(similarity, "EXACT_UP_TO", 0)
    monkeypatch.setattr(similarity, "MEMORY_BUDGET", 1 << 10)  # spilled and partitioned too
    fast = write_supporter_letters(campaign, supporters, LETTER_DATE, workers=1)
    assert fast.too_similar == exact.too_similar and set(exact.too_similar) >= {r["id"] for r in rows[4:9]} | {rows[13]["id"]}
    assert fast.similarity.result.exact_from == 0.5 and exact.similarity.result.exact_from == 0.0
    over = lambda report: {k: v for k, v in report.similarity.result.best.items() if v[0] >= 0.5}  # noqa: E731
    assert over(fast) == over(exact)


def test_rows_read_in_blocks_are_the_rows_of_the_whole_file():
    """supporters.csv is decoded and split in blocks: a block boundary inside a line, a "\\r\\n" or a
    multi-byte character changes nothing."""
    from toolkit.letters.supporters import _csv_rows

    text = ('\r\n;;\r\nid;name;email;county;personal_paragraph\r\nu-1;Åse Ø;a@example.org;Os;"To linjer\r\nmed «sitat»"\r\n'
            'u-2;Bjørn;b@example.org;Os;Én linje\ru-3;Kari;c@example.org;Os;""\n\nu-4;Pål;d@example.org;Os;x;ekstra\r\n')
    data = text.encode("utf-8")
    whole = list(_csv_rows([data], "utf-8-sig"))
    assert [number for number, _, _ in whole] == [3, 4, 5, 6, 8]  # spreadsheet rows: a quoted line break is one row
    assert whole[1][2]["personal_paragraph"] == "To linjer\r\nmed «sitat»" and whole[4][1] == "wide"
    for size in (1, 2, 3, 5, 7, 64):
        assert list(_csv_rows([data[i : i + size] for i in range(0, len(data), size)], "utf-8-sig")) == whole, size


def _supporters_text(rows, separator=";") -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=separator, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def test_streamed_supporters_read_what_excel_saves(with_mps, tmp_path):
    """The streamed reader reads supporters.csv as sources.read_csv reads the other lists: UTF-16 from
    Excel's "Unicode Text", Excel's "sep=" line, and the same errors for NUL bytes, a workbook saved
    under a .csv name and a cell that runs to the end of the file."""
    from toolkit.core.errors import Problems
    from toolkit.letters.supporters import load_supporters

    campaign, problems = check_campaign(with_mps, LETTER_DATE)
    rows = supporter_rows(12)
    rows[3]["name"] = "Åse Ødegård-Ærlig"
    expected = [(r["id"], r["name"], r["email"]) for r in rows]
    path = tmp_path / "supporters.csv"

    def load(data: bytes):
        path.write_bytes(data)
        problems = Problems()
        source = load_supporters(path, campaign, problems)
        return source, problems

    cases = {
        "utf-16 with BOM, tabs": _supporters_text(rows, "\t").encode("utf-16"),
        "utf-16-le without BOM": _supporters_text(rows, "\t").encode("utf-16-le"),
        "sep= line": ("sep=,\r\n" + _supporters_text(rows, ",")).encode("cp1252"),
    }
    for name, content in cases.items():
        source, problems = load(content)
        assert problems.errors == [], (name, problems.errors)
        assert [(s.id, s.name, s.email) for s in source] == expected, name
        assert [s.row for s in source][:2] == [2, 3], name  # the sep= line is not a row, as in Excel
    # A row with a mistake after the sep= line is named by its row as Excel shows it.
    bad = [dict(row) for row in rows]
    bad[1]["email"] = "ikke-en-adresse"
    _, problems = load(("sep=;\r\n" + _supporters_text(bad)).encode("utf-8"))
    assert [(p.row, p.field) for p in problems.errors] == [(3, "email")]

    text = _supporters_text(rows)
    _, problems = load(text.encode("utf-8").replace(b"\r\nu-00004", b"\r\nu-0\x000004"))
    assert [(p.line, p.message.split(" har ")[0]) for p in problems.errors] == [(6, "Linje 6")]
    _, problems = load(b"PK\x03\x04" + bytes(200))
    assert "Excel- eller Word-fil" in problems.errors[0].message
    _, problems = load((text + 'u-99;"Uavsluttet;x@example.org;Os\r\n' + "x" * 140_000).encode("utf-8"))
    assert len(problems.errors) == 1 and "har mer enn 131 072 tegn" in problems.errors[0].message
    assert problems.errors[0].row == 14


def test_supporters_xlsx_is_read_whole_and_gives_the_same_letters(with_mps, tmp_path):
    """supporters.xlsx is not streamed (the workbook is read whole), but gives the same supporters,
    variants and problems as the same list in supporters.csv; both files at once is an error."""
    import openpyxl

    from toolkit.core.errors import Problems
    from toolkit.letters.supporters import SupporterSource, load_supporters

    campaign, _ = check_campaign(with_mps, LETTER_DATE)
    rows = supporter_rows(40)
    rows[5]["email"] = rows[2]["email"]
    csv_path = tmp_path / "csv" / "supporters.csv"
    csv_path.parent.mkdir()
    write_rows(csv_path, rows, delimiter=";")
    workbook = openpyxl.Workbook()
    workbook.active.title = "Underskrivere"
    workbook.active.append(list(rows[0]))
    for row in rows:
        workbook.active.append(list(row.values()))
    xlsx_path = tmp_path / "supporters.xlsx"
    workbook.save(xlsx_path)

    from_csv, from_xlsx = Problems(), Problems()
    csv_source = load_supporters(csv_path, campaign, from_csv)
    xlsx_source = load_supporters(tmp_path / "supporters.csv", campaign, from_xlsx)  # the workbook beside the name
    assert isinstance(xlsx_source, SupporterSource) and xlsx_source.table is not None
    assert [(p.row, p.field, p.message) for p in from_xlsx.errors] == [(7, "email", "Adressen står også på rad 4.")]
    assert [(p.row, p.field, p.message) for p in from_xlsx.errors] == [(p.row, p.field, p.message) for p in from_csv.errors]
    assert "supporters.xlsx, ark «Underskrivere», rad 7, kolonne C «email»" in str(from_xlsx.errors[0])
    assert list(xlsx_source.with_variants()) == list(csv_source.with_variants())

    write_rows(tmp_path / "supporters.csv", rows)
    both = Problems()
    assert load_supporters(tmp_path / "supporters.csv", campaign, both) == ()
    assert "Både supporters.csv og supporters.xlsx finnes" in both.errors[0].message


def test_print_only_packs_have_docx_files_and_nothing_to_send(with_mps, tmp_path, monkeypatch):
    """--only docx: the letters as DOCX and the print file, for groups that post them; no text, no e-mail."""
    rows = supporter_rows(8)
    rows[2]["personal_paragraph"] = ""  # a draft: printed with the question, as in the default pack
    path = tmp_path / "supporters.csv"
    write_rows(path, rows)
    out = with_mps / "ut" / "supporters"
    assert letters_for(with_mps, path).exit_code == 0  # the default pack first: its .txt and .eml must go
    default = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.docx")}

    result = letters_for(with_mps, path, "--only", "docx")
    assert result.exit_code == 0, result.output
    assert "bare DOCX-filene og utskriftsfilen" in result.output
    assert not list(out.rglob("*.eml")) and not list(out.rglob("*.txt")) and not list(out.rglob("*.zip"))
    for row in rows:
        folder = out / row["id"]
        assert json.loads((folder / "manifest.json").read_text(encoding="utf-8")) == []
        letters = sorted(p for p in folder.glob("*.docx") if p.name != "alle-brev.docx")
        assert letters and {p.name for p in folder.iterdir()} == {p.name for p in letters} | {"alle-brev.docx", "manifest.json"}
        for letter in letters:
            text = "\n".join(p.text for p in docx.Document(str(letter)).paragraphs)
            assert row["name"] in text and (row["personal_paragraph"] or "SKRIV DITT EGET AVSNITT") in text
            # The same letter, byte for byte, as the default pack writes it.
            assert letter.read_bytes() == default[letter.relative_to(out)]
        printed = docx.Document(str(folder / "alle-brev.docx"))
        assert len(printed.sections) == len(letters)
    with open(out / "oversikt-underskrivere.csv", encoding="utf-8-sig", newline="") as handle:
        statuses = {r["id"]: r["status"] for r in csv.DictReader(handle, delimiter=";")}
    assert statuses[rows[2]["id"]] == "utkast: mangler personlig avsnitt"
    assert {statuses[r["id"]] for r in rows if r["personal_paragraph"]} == {"klar til utskrift"}

    # `toolkit send` finds nothing to send in a print-only pack, and connects to nothing (no server listens on port 9).
    dry = run("send", "--campaign", str(with_mps))
    assert dry.exit_code == 0, dry.output
    assert "Ingenting å sende" in dry.output
    monkeypatch.setenv("TOOLKIT_SMTP_PASSWORD", "not-used")
    # No sending window (the shipped campaign's is weekdays 08–18), so the answer does not depend on the clock.
    set_smtp(with_mps, 9)
    really = run("send", "--campaign", str(with_mps), "--send", "--yes", "--smtp-host", "127.0.0.1", "--smtp-port", "9")
    assert really.exit_code == 0, really.output
    assert "Ingenting å sende" in really.output

    both = letters_for(with_mps, path, "--pack", "zip", "--only", "docx")
    assert both.exit_code == 2 and "enten --pack zip eller --only docx" in both.output


@pytest.mark.parametrize("change", [
    "",  # the shipped template: contexts are shared between supporters
    "{% set _ = lead.append(lead[0]) if lead else none %}{{ lead | length }} krav.",
    '{% set _ = recipient.update({"name": recipient.name ~ "!"}) %}{% set _ = recipient.address_lines.append("x") %}',
])
def test_shared_contexts_give_the_letters_fresh_contexts_give(with_mps, change):
    """Supporters' letters reuse each recipient's context; a template that changes what it is given
    (the sandbox lets it call append and update) must still give every letter what a new context gives."""
    from toolkit.letters.render import letter_context, render_letter
    from toolkit.letters.supporters import prepare_run, supporter_letters

    template = with_mps / "letter_templates" / "nb" / "letter_mp.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("{% block opening %}\n", "{% block opening %}\n" + change + "\n", 1), encoding="utf-8")
    campaign, problems = check_campaign(with_mps, LETTER_DATE)
    assert not problems.errors
    supporters = [s for s in _supporters(campaign, 150) if not s.language or s.language == "nb"]
    run_ = prepare_run(campaign, supporters, LETTER_DATE)
    count = 0
    for supporter in supporters:
        for recipient, letter in supporter_letters(run_, supporter):
            context = letter_context(campaign, recipient, LETTER_DATE, run_.names, run_.variants[supporter.id])
            context["signer"] = {"name": supporter.name, "place": supporter.place or supporter.county_name,
                                 "address": supporter.address, "county": supporter.county_name}
            context["personal_paragraph"] = supporter.personal_paragraph
            fresh = render_letter(campaign, run_.templates, recipient, LETTER_DATE, run_.names, context)
            assert letter == fresh
            count += 1
    assert count > 100
    # The changes were made (and seen), or the shared contexts were shared: fewer of them than letters.
    assert (run_.templates["nb"].env.mutations > 0) == bool(change)
    if not change:
        assert len(run_.contexts._contexts) < count / 2


def _supporters(campaign, count):
    from toolkit.letters.supporters import _supporter, districts

    known = districts(campaign)
    return [_supporter(row, number, known) for number, row in enumerate(supporter_rows(count), start=2)]
