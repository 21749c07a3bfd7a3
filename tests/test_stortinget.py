"""The Storting's open data: reading saved answers, merging into recipients.csv, and a network that fails."""

from __future__ import annotations

import collections
import http.server
import re
import threading
import time
from datetime import date

import pytest
import stortinget_data as data
from conftest import LETTER_DATE
from helpers import mp_row, read_rows, run, write_rows

from toolkit.core.errors import FetchError, Problems
from toolkit.recipients import stortinget
from toolkit.recipients.merge import new_id
from toolkit.recipients.stortinget import download_roster, parse_api_date, parse_roster
from toolkit.validate import check_campaign


@pytest.fixture(scope="module")
def people():
    return data.people()


@pytest.fixture
def answer(tmp_path, people):
    """The 169 made-up representatives saved as the service's XML."""
    path = tmp_path / "dagensrepresentanter.xml"
    path.write_bytes(data.to_xml(people))
    return path


def import_file(campaign_dir, path, *extra):
    return run("recipients", "import-stortinget", "--campaign", str(campaign_dir), "--file", str(path), *extra)


def mp_rows(campaign_dir):
    return [row for row in read_rows(campaign_dir / "recipients.csv") if row["kind"] == "mp"]


def test_api_dates():
    assert parse_api_date("/Date(1795000000000+0100)/") == date(2026, 11, 18)
    # Negative milliseconds before 1970; the offset decides the local day (23:00 UTC is the next day in Oslo).
    assert parse_api_date("/Date(-3600000+0100)/") == date(1970, 1, 1)
    assert parse_api_date("/Date(-3600000)/") == date(1969, 12, 31)
    assert parse_api_date(data.dotnet(date(1957, 5, 26))) == date(1957, 5, 26)
    assert parse_api_date("1969-04-04T00:00:00") == date(1969, 4, 4)
    # The "no date" placeholder of living people, in both formats.
    assert parse_api_date("/Date(-62135596800000)/") is None
    assert parse_api_date("0001-01-01T00:00:00") is None
    assert parse_api_date({"@i:nil": "true"}) is None
    assert parse_api_date("i går") is None


def test_xml_and_both_json_shapes_give_the_same_representatives(people):
    rosters = []
    for answer_bytes in (data.to_xml(people), data.to_json(people), data.to_xmltodict_json(people)):
        problems = Problems()
        roster = parse_roster(answer_bytes, "svar", problems)
        assert problems.items == []
        rosters.append(roster)
    assert rosters[0] == rosters[1] == rosters[2]
    roster = rosters[0]
    assert roster.data_date == data.RESPONSE_DATE
    assert len(roster.representatives) == 169
    first = roster.representatives[0]
    assert (first.person_id, first.name, first.county, first.county_name) == ("ÅSÆR", "Åse Ærlighaug", "Øs", "Østfold")
    deputies = [r for r in roster.representatives if r.deputy]
    assert len(deputies) == data.DEPUTIES and all(r.deputy_for.endswith("-Permisjon") for r in deputies)
    # The member a deputy stands in for is nested in the item, and must not take over the item's name or id.
    assert not any("Permisjon" in r.name or r.person_id.startswith("PERM") for r in roster.representatives)
    assert roster.representatives[1].committees == ()


def test_import_gives_169_mp_rows_with_data_from_the_storting(campaign_dir, answer, people):
    before = read_rows(campaign_dir / "recipients.csv")
    result = import_file(campaign_dir, answer)
    assert result.exit_code == 0, result.output
    assert "Stortinget, data.stortinget.no (NLOD)" in result.output and "20. november 2026" in result.output
    rows = read_rows(campaign_dir / "recipients.csv")
    # The rows that were there are untouched, in their place.
    assert [{k: v for k, v in row.items() if k in before[0]} for row in rows[: len(before)]] == before
    mps = mp_rows(campaign_dir)
    assert len(mps) == 169
    by_person = {row["person_id"]: row for row in mps}
    for person in people:
        row = by_person[person.person_id]
        assert row["name"] == f"{person.first_name} {person.last_name}"
        assert (row["party"], row["party_name"]) == person.party
        assert (row["county"], row["county_name"]) == person.county
        assert row["committees"] == ", ".join(c for c, _ in person.committees)
        assert row["committee_names"] == ", ".join(n for _, n in person.committees)
        assert row["email"] == person.email and row["email_verified"] == "nei"
        assert row["postal_address"] == "" and row["organisation"] == "Stortinget"
        assert row["verified_on"] == "2026-11-20"
        assert row["source"] == "Stortinget, data.stortinget.no (NLOD) – hentet 20. november 2026"
        assert row["title"].startswith("vararepresentant for" if person.deputy_for else "stortingsrepresentant")
    assert collections.Counter(row["party"] for row in mps) == {p: n for p, _, n in data.PARTIES}
    assert collections.Counter(row["county"] for row in mps) == {d: n for d, _, n in data.DISTRICTS}
    assert by_person["ÅSÆR"]["id"] == "mp-asaer"
    assert any("NÆRING" in row["committees"] for row in mps)
    # The campaign is valid with them, and they are letter recipients like any other.
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert problems.errors == []
    assert sum(r.kind == "mp" for r in campaign.recipients) == 169


def test_rerun_is_a_no_op_whatever_the_format(campaign_dir, answer, people, tmp_path):
    assert import_file(campaign_dir, answer).exit_code == 0
    written = (campaign_dir / "recipients.csv").read_bytes()
    for name, content in (("a.xml", data.to_xml(people)), ("b.json", data.to_json(people)), ("c.json", data.to_xmltodict_json(people))):
        (tmp_path / name).write_bytes(content)
        result = import_file(campaign_dir, tmp_path / name)
        assert result.exit_code == 0, result.output
        assert "Ingen endringer" in result.output
        assert (campaign_dir / "recipients.csv").read_bytes() == written


def test_hand_made_work_survives_and_leavers_go_only_when_confirmed(campaign_dir, answer, people, tmp_path):
    assert import_file(campaign_dir, answer).exit_code == 0
    path = campaign_dir / "recipients.csv"
    rows = read_rows(path)
    leaver, changer = people[0].person_id, people[6].person_id  # changed() drops people[0] and moves people[6]
    for row in rows:
        if row["person_id"] == leaver:
            row.update(notes="Møtt på Arendalsuka")
        if row["person_id"] == changer:
            row.update(
                id="mp-min-egen-id", email="ase.verifisert@example.org", email_verified="ja", email_verified_on="2026-11-21",
                language="nn", notes="Svarte i fjor", postal_address="Stortinget / 0026 Oslo",
            )
    write_rows(path, rows)
    later = tmp_path / "senere.json"
    later.write_bytes(data.to_json(data.changed(people)))

    preview = import_file(campaign_dir, later, "--dry-run")
    assert preview.exit_code == 0, preview.output
    assert "+ Nyvalgte Åsbøen" in preview.output
    assert f"committees: «{people[6].committees[0][0]}» → «NÆRING»" in preview.output
    assert "- Åse Ærlighaug [mp-asaer]" in preview.output
    assert "prøvekjøring" in preview.output
    unchanged = path.read_bytes()

    kept = import_file(campaign_dir, later)
    assert kept.exit_code == 0, kept.output
    assert "--yes" in kept.output
    after = {row["person_id"]: row for row in mp_rows(campaign_dir)}
    assert leaver in after and after[leaver]["notes"] == "Møtt på Arendalsuka"
    mine = after[changer]
    assert (mine["id"], mine["email"], mine["email_verified"], mine["email_verified_on"]) == (
        "mp-min-egen-id", "ase.verifisert@example.org", "ja", "2026-11-21")
    assert (mine["language"], mine["notes"], mine["postal_address"]) == ("nn", "Svarte i fjor", "Stortinget / 0026 Oslo")
    assert mine["committees"] == "NÆRING" and mine["committee_names"] == "Næringskomiteen"
    newcomer = after["NYÅ"]
    assert newcomer["id"] == "mp-nya" and newcomer["email"] == "" and newcomer["email_verified"] == "nei"
    assert path.read_bytes() != unchanged

    removed = import_file(campaign_dir, later, "--yes")
    assert removed.exit_code == 0, removed.output
    after = {row["person_id"]: row for row in mp_rows(campaign_dir)}
    assert leaver not in after and len(after) == 169
    assert after[changer]["email"] == "ase.verifisert@example.org"


def test_removal_asks_a_person_at_the_keyboard(campaign_dir, answer, people, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from toolkit.cli import cli
    from toolkit.cli import recipients as cli_recipients

    assert import_file(campaign_dir, answer).exit_code == 0
    later = tmp_path / "senere.xml"
    later.write_bytes(data.to_xml(data.changed(people)))
    monkeypatch.setattr(cli_recipients, "interactive", lambda: True)
    args = ["recipients", "import-stortinget", "--campaign", str(campaign_dir), "--file", str(later)]
    declined = CliRunner().invoke(cli, args, input="n\n")
    assert declined.exit_code == 0 and "Fjerne 1 representant som" in declined.output
    assert people[0].person_id in {row["person_id"] for row in mp_rows(campaign_dir)}
    accepted = CliRunner().invoke(cli, args, input="j\n")
    assert accepted.exit_code == 0, accepted.output
    assert people[0].person_id not in {row["person_id"] for row in mp_rows(campaign_dir)}


def test_excel_file_keeps_semicolons_and_gets_utf8_with_bom(campaign_dir, answer):
    path = campaign_dir / "recipients.csv"
    rows = read_rows(path)
    write_rows(path, rows, delimiter=";", encoding="cp1252")
    result = import_file(campaign_dir, answer)
    assert result.exit_code == 0, result.output
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.split(b"\r\n")[0].count(b";") > 10
    text = raw.decode("utf-8-sig")
    assert "Åse Ærlighaug" in text and "Justis- og beredskapsdepartementet" in text
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert problems.errors == [] and len(campaign.recipients) == len(rows) + 169


def test_a_hand_made_row_without_person_id_is_pointed_out(campaign_dir, answer):
    path = campaign_dir / "recipients.csv"
    rows = read_rows(path)
    rows.append(mp_row(id="mp-for-haand", name="Åse Ærlighaug", person_id=""))
    write_rows(path, rows)
    result = import_file(campaign_dir, answer)
    assert result.exit_code == 0, result.output
    assert "finnes også som mp-for-haand uten person_id" in result.output and "ÅSÆR" in result.output


def test_ids_are_safe_and_unique():
    taken = {"mp-ase"}
    assert new_id("ÅSE", taken) == "mp-ase-2"
    assert new_id("ASE", taken) == "mp-ase-3"
    assert new_id("Øs.K_1", set()) == "mp-os-k-1"
    assert new_id("CON", set()) == "mp-con"


@pytest.mark.parametrize(
    "content, words",
    [
        (b"<dagensrepresentanter_oversikt><dagensrepresentanter_liste>", "linje 1"),
        (b'{"noe": "annet"}', "dagensrepresentanter_liste mangler"),
        (b'{"dagensrepresentanter_liste": [{"id": "X", "fornavn": "Ola", "etternavn": "Nordmann"}]}', "«fylke» mangler"),
        (b'{"dagensrepresentanter_liste": []}', "tom"),
    ],
)
def test_an_unusable_file_changes_nothing(campaign_dir, tmp_path, content, words):
    path = tmp_path / "svar.json"
    path.write_bytes(content)
    before = (campaign_dir / "recipients.csv").read_bytes()
    result = import_file(campaign_dir, path)
    assert result.exit_code == 2
    assert "svar.json" in result.output and words in result.output
    assert "recipients.csv er ikke endret" in result.output and "Traceback" not in result.output
    assert (campaign_dir / "recipients.csv").read_bytes() == before


def test_a_broken_recipients_file_is_not_written_over(campaign_dir, answer):
    path = campaign_dir / "recipients.csv"
    rows = read_rows(path)
    rows.append(mp_row(email="ikke-en-adresse"))
    write_rows(path, rows)
    before = path.read_bytes()
    result = import_file(campaign_dir, answer)
    assert result.exit_code == 2 and "felt «email»" in result.output
    assert path.read_bytes() == before


class Service(http.server.BaseHTTPRequestHandler):
    """A stand-in for data.stortinget.no on 127.0.0.1, serving saved answers written for the tests."""

    routes: dict = {}

    def do_GET(self):  # noqa: N802 - the name http.server calls
        status, body, delay = self.routes.get(self.path, (404, b"", 0))
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def service():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Service.routes = {}
    yield server, f"http://127.0.0.1:{server.server_address[1]}/eksport/dagensrepresentanter"
    server.shutdown()
    server.server_close()


def test_download_takes_json_and_falls_back_to_xml(service, people):
    _, url = service
    Service.routes = {"/eksport/dagensrepresentanter?format=json": (200, data.to_json(people), 0)}
    assert len(download_roster(url, timeout=5).representatives) == 169
    Service.routes = {
        "/eksport/dagensrepresentanter?format=json": (200, b"<html>Vedlikehold</html>", 0),
        "/eksport/dagensrepresentanter": (200, data.to_xml(people), 0),
    }
    assert len(download_roster(url, timeout=5).representatives) == 169
    Service.routes = {
        "/eksport/dagensrepresentanter?format=json": (400, b"", 0),
        "/eksport/dagensrepresentanter": (200, data.to_xml(people), 0),
    }
    assert len(download_roster(url, timeout=5).representatives) == 169


@pytest.mark.parametrize(
    "routes, words",
    [
        ({}, "feilkode 404"),
        ({"/eksport/dagensrepresentanter?format=json": (200, b"{}", 0), "/eksport/dagensrepresentanter": (200, b"<a/>", 0)},
         "ikke den formen"),
        ({"/eksport/dagensrepresentanter?format=json": (200, b"{}", 1.5)}, "svarte ikke innen"),
    ],
)
def test_download_problems_are_explained(service, routes, words):
    _, url = service
    Service.routes = routes
    with pytest.raises(FetchError) as caught:
        download_roster(url, timeout=0.5)
    assert words in str(caught.value) and "recipients.csv er ikke endret" in str(caught.value)


def test_offline_import_leaves_recipients_untouched(campaign_dir, monkeypatch):
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setattr(stortinget, "URL", f"http://127.0.0.1:{port}/eksport/dagensrepresentanter")
    before = (campaign_dir / "recipients.csv").read_bytes()
    result = run("recipients", "import-stortinget", "--campaign", str(campaign_dir))
    assert result.exit_code == 4
    assert "Fikk ikke kontakt med data.stortinget.no" in result.output and "--file" in result.output
    assert "Traceback" not in result.output
    assert (campaign_dir / "recipients.csv").read_bytes() == before


def test_justice_and_foreign_affairs_members_lead_with_different_demands(campaign_dir, answer, people):
    from toolkit.letters.pack import templates_for
    from toolkit.letters.render import render_letter

    assert import_file(campaign_dir, answer).exit_code == 0
    campaign, _ = check_campaign(campaign_dir, LETTER_DATE)
    justice = next(r for r in campaign.recipients if r.kind == "mp" and r.committees == ("JUSTIS",))
    foreign = next(r for r in campaign.recipients if r.kind == "mp" and r.committees[:1] == ("UFK",))
    templates = templates_for(campaign)
    letters = [render_letter(campaign, templates, r, LETTER_DATE) for r in (justice, foreign)]
    assert letters[0].lead and letters[1].lead
    assert set(letters[0].lead).isdisjoint(letters[1].lead)
    assert letters[1].lead[0] == "forebygging"
    # The committee is named as the data names it, inside the sentence.
    assert "Du sitter i justiskomiteen" in letters[0].text
    assert "utenriks- og forsvarskomiteen" in letters[1].text


def test_recipients_list_shows_the_leading_demands(campaign_dir, answer):
    assert import_file(campaign_dir, answer).exit_code == 0
    result = run("recipients", "list", "--campaign", str(campaign_dir), "--to", "committee:UFK", "--to", "county:Østfold")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("id "))
    assert "krav først" in lines[header]
    table = {line.split()[0]: line.rstrip() for line in lines[header + 1 :] if line.startswith(("mp-", "komite-"))}
    rows = read_rows(campaign_dir / "recipients.csv")
    expected = {r["id"] for r in rows if "UFK" in r["committees"].split(", ") or r["county"] == "Øs"}
    assert set(table) == expected
    # The last column says which letter reaches the recipient.
    assert re.search(r"\s1\s{2,}får fellesbrevet til komiteene", table["komite-ufk"])
    assert re.search(r"\s2, 3, 5\s{2,}eget brev$", table["mp-asaer"]) and "Østfold" in table["mp-asaer"]
    assert "Kravene: 1 Forebygg menneskehandel" in result.output


OLD_SHAPE = """<?xml version="1.0" encoding="utf-8"?>
<!-- Written for the tests in the shape of a 2012 answer (schema 1.0): invented people, not real data. -->
<dagensrepresentanter_oversikt xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://data.stortinget.no">
  <versjon>1.0</versjon>
  <dagensrepresentanter_liste>
    <dagensrepresentant>
      <versjon>1.0</versjon>
      <doedsdato>0001-01-01T00:00:00</doedsdato>
      <etternavn>Fjordbotn &amp; Sønn</etternavn>
      <foedselsdato>1969-11-29T00:00:00</foedselsdato>
      <fornavn>Gunnvor</fornavn>
      <id>GFS</id>
      <kjoenn>kvinne</kjoenn>
      <fylke><versjon>1.0</versjon><id>SF</id><navn>Sogn og Fjordane</navn></fylke>
      <parti><versjon>1.0</versjon><id>Sp</id><navn>Senterpartiet</navn></parti>
      <fast_vara_for>
        <versjon>1.0</versjon><doedsdato>0001-01-01T00:00:00</doedsdato>
        <etternavn>Bortreist</etternavn><foedselsdato>1957-05-26T00:00:00</foedselsdato>
        <fornavn>Halvard</fornavn><id>HBO</id><kjoenn>mann</kjoenn>
      </fast_vara_for>
      <komiteer_liste>
        <komite><versjon>1.0</versjon><id>NÆRING</id><navn>Næringskomiteen</navn></komite>
      </komiteer_liste>
      <vara_for i:nil="true" />
    </dagensrepresentant>
  </dagensrepresentanter_liste>
</dagensrepresentanter_oversikt>
"""


def test_an_older_answer_without_a_date_or_deputy_flag(campaign_dir, tmp_path):
    path = tmp_path / "gammel.xml"
    path.write_text(OLD_SHAPE, encoding="utf-8")
    result = import_file(campaign_dir, path)
    assert result.exit_code == 0, result.output
    assert "Svaret har ingen dato" in result.output and "bare 1" in result.output
    (row,) = mp_rows(campaign_dir)
    assert (row["id"], row["person_id"], row["name"]) == ("mp-gfs", "GFS", "Gunnvor Fjordbotn & Sønn")
    assert row["title"] == "vararepresentant for Halvard Bortreist"
    assert (row["committees"], row["committee_names"]) == ("NÆRING", "Næringskomiteen")
    # The file was saved today and the answer has no date: how old the data is, is unknown. The row
    # gets no date (never today's), and counts as not checked until someone checks it.
    assert "ukjent dato" in result.output and "regnes som ikke sjekket" in result.output
    assert row["verified_on"] == "" and row["source"].endswith("ukjent dato")
    from toolkit.core.campaign import find_stale
    from toolkit.validate import check_campaign

    campaign, _ = check_campaign(campaign_dir)
    assert "mp-gfs" in {r.id for r in find_stale(campaign, date.today()).never_checked}
    validate = run("validate", "--campaign", str(campaign_dir))
    assert "har ingen dato for når opplysningene sist ble sjekket" in validate.output


def test_an_undated_answer_saved_long_ago_gets_the_files_date_and_is_reported_stale(campaign_dir, tmp_path):
    import os
    from datetime import datetime

    path = tmp_path / "gammel.xml"
    path.write_text(OLD_SHAPE, encoding="utf-8")
    saved = datetime(2012, 3, 5, 12, 0).timestamp()
    os.utime(path, (saved, saved))
    result = import_file(campaign_dir, path)
    assert result.exit_code == 0, result.output
    assert "filens dato (5. mars 2012)" in result.output
    (row,) = mp_rows(campaign_dir)
    assert row["verified_on"] == "2012-03-05" and row["source"].endswith("hentet 5. mars 2012")
    validate = run("validate", "--campaign", str(campaign_dir))
    assert "opplysningene ble sist sjekket 05.03.2012" in validate.output
