"""The e-mail writer: every message parses back with the standard library to exactly what went in."""

from __future__ import annotations

import email
from datetime import date
from email import policy

from conftest import copy_campaign
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.core.model import Recipient
from toolkit.letters.emails import build_email, one_line
from toolkit.validate import check_campaign

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
WHEN = date(2026, 11, 25)


def parse(raw: bytes):
    assert all(len(line) <= 998 for line in raw.split(b"\r\n")), "RFC 5322 line length"
    assert b"\n" not in raw.replace(b"\r\n", b""), "only CRLF line ends"
    return email.message_from_bytes(raw, policy=policy.default)


def shipped(tmp_path_factory):
    campaign, problems = check_campaign(copy_campaign(tmp_path_factory.mktemp("k")), WHEN)
    assert not problems.errors
    return campaign


def test_norwegian_names_long_subjects_and_long_lines(tmp_path_factory):
    campaign = shipped(tmp_path_factory)
    recipient = Recipient(id="x", kind="mp", name='Åse "Ærlig", Øvrebø-Ås', email="ase@example.org")
    subject = "Menneskehandel er vold mot kvinner: " + "fem krav fra Kvinnenettverket – ærlig talt " * 4
    body = "Kjære Åse\n\n" + "Lang linje med æøå og = tegn. " * 20 + "\nSiste linje\n"
    message = parse(build_email(campaign, recipient, subject, body, WHEN, sender=("Kari «K» Nordmann", "kari@example.org")))
    assert message["To"].addresses[0].display_name == 'Åse "Ærlig", Øvrebø-Ås'
    assert message["To"].addresses[0].addr_spec == "ase@example.org"
    assert message["Reply-To"].addresses[0].display_name == "Kari «K» Nordmann"
    assert message["Subject"] == one_line(subject)
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == body
    assert message["Date"].datetime.isoformat() == "2026-11-25T08:00:00+01:00"


def test_ascii_names_that_need_quotes(tmp_path_factory):
    campaign = shipped(tmp_path_factory)
    recipient = Recipient(id="x", kind="other", name="Smith, John (Jr.)", email="john@example.org")
    message = parse(build_email(campaign, recipient, "Hei", "Tekst\n", WHEN))
    assert message["To"].addresses[0].display_name == "Smith, John (Jr.)"
    assert [a.addr_spec for a in message["To"].addresses] == ["john@example.org"]


def test_attachment_round_trip(tmp_path_factory):
    campaign = shipped(tmp_path_factory)
    recipient = Recipient(id="x", kind="other", name="Åse", email="ase@example.org")
    data = bytes(range(256)) * 40
    message = parse(build_email(campaign, recipient, "Brev", "Se vedlegg.\n", WHEN, attachment=("brev-åse.docx", data)))
    assert message.get_body(("plain",)).get_content().strip() == "Se vedlegg."
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "brev-åse.docx"
    assert attachment.get_content() == data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=TEXT, subject=TEXT, body=TEXT)
def test_any_text_round_trips(tmp_path_factory, name, subject, body):
    campaign = shipped(tmp_path_factory)
    recipient = Recipient(id="x", kind="other", name=name, email="x@example.org")
    message = parse(build_email(campaign, recipient, subject, body, WHEN))
    assert [a.addr_spec for a in message["To"].addresses] == ["x@example.org"]
    # CPython's address parser puts a space between adjacent encoded words, which RFC 2047 says
    # to drop (mail programs do); so display names are compared without white space.
    assert "".join(message["To"].addresses[0].display_name.split()) == "".join(one_line(name).split())
    assert message["Subject"] == one_line(subject)
    assert message["Bcc"] is None and len(message.get_all("To")) == 1
    expected = body.replace("\r\n", "\n").replace("\r", "\n")
    got = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert got.rstrip("\n") == expected.rstrip("\n")
