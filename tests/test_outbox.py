"""The outbox: every manifest in the output folder is read and checked, and the plan says why each message goes or not."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import LETTER_DATE
from helpers import run
from send_helpers import PACK, build_pack, make_sendable, set_smtp
from smtp_server import SmtpServer

from toolkit.letters.emails import build_email
from toolkit.send.journal import Journal
from toolkit.send.outbox import PackInvalid, load_outbox, plan_sending
from toolkit.validate import check_campaign


def load(campaign_dir):
    campaign, problems = check_campaign(campaign_dir, LETTER_DATE)
    assert not problems.errors
    return campaign


def add_supporter_letters(campaign, supporter_id: str, name: str, address: str, recipient_ids) -> list[dict]:
    """Write a supporter's messages and manifest as the supporters' feature does: same shape, plus a sender."""
    folder = campaign.output_dir / "supporters" / supporter_id
    folder.mkdir(parents=True)
    entries = []
    for recipient in (r for r in campaign.recipients if r.id in recipient_ids):
        data = build_email(campaign, recipient, "Stopp menneskehandel", f"Hilsen fra {name}.", LETTER_DATE,
                           sender=(name, address))
        (folder / f"{recipient.id}.eml").write_bytes(data)
        entries.append({
            "recipient": recipient.id, "name": recipient.name, "kind": recipient.kind, "email": recipient.email,
            "email_verified": recipient.email_verified, "verified_on": None, "file": f"{recipient.id}.eml",
            "sha256": hashlib.sha256(data).hexdigest(), "subject": "Stopp menneskehandel", "language": "nb",
            "lead": [], "sender": {"name": name, "email": address},
        })
    (folder / "manifest.json").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return entries


def test_supporters_letters_are_found_and_sent_alongside_the_organisations(campaign_dir):
    make_sendable(campaign_dir)
    with SmtpServer() as server:
        set_smtp(campaign_dir, server.port)
        build_pack(campaign_dir, ids=("jd", "ud"))
        campaign = load(campaign_dir)
        add_supporter_letters(campaign, "kari", "Kari Ås-Ødegård", "kari@example.org", ("jd", "ud"))
        outbox = load_outbox(campaign)
        assert [m.file for m in outbox.messages] == ["emails/jd.eml", "emails/ud.eml", "supporters/kari/jd.eml", "supporters/kari/ud.eml"]
        assert len({m.message_id for m in outbox.messages}) == 4
        dry = run("send", "--campaign", str(campaign_dir))
        assert "underskrevet av Kari Ås-Ødegård" in dry.output
        result = run("send", "--campaign", str(campaign_dir), "--send", "--yes", "--rate", "0")
        assert result.exit_code == 0, result.output
        received = {(r.recipient_id, r.header("Reply-To")) for r in server.received}
    assert received == {
        ("jd", '"Kvinnenettverket (eksempel)" <post@example.org>'),
        ("ud", '"Kvinnenettverket (eksempel)" <post@example.org>'),
        ("jd", "Kari Ås-Ødegård <kari@example.org>"),
        ("ud", "Kari Ås-Ødegård <kari@example.org>"),
    }


def test_manifest_problems_are_all_listed_with_the_file(campaign_dir):
    make_sendable(campaign_dir)
    build_pack(campaign_dir, ids=("jd", "ud", "aid"))
    campaign = load(campaign_dir)
    manifest_path = campaign.output_dir / "emails" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest[0]["file"] = "../../campaign.yaml"
    del manifest[1]["sha256"]
    (campaign.output_dir / "emails" / "aid.eml").unlink()
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(PackInvalid) as caught:
        load_outbox(campaign)
    problems = [str(p) for p in caught.value.problems]
    assert problems == [
        "ut/emails/manifest.json: Oppføring 1 viser til filen «../../campaign.yaml» utenfor mappen. "
        "Kjør «toolkit build» på nytt, se over e-postene, og send etterpå.",
        "ut/emails/manifest.json: Oppføring 2 mangler sha256. Kjør «toolkit build» på nytt, se over e-postene, og send etterpå.",
        "ut/emails/aid.eml: Filen finnes ikke, men står i manifest.json. Kjør «toolkit build» på nytt, se over e-postene, og send etterpå.",
    ]
    assert str(caught.value) == "E-postene som skal sendes, har 3 feil."


def test_a_header_address_that_differs_from_the_manifest_is_refused(campaign_dir):
    make_sendable(campaign_dir)
    build_pack(campaign_dir, ids=("jd",))
    campaign = load(campaign_dir)
    path = campaign.output_dir / "emails" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest[0]["email"] = "noen-andre@example.org"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(PackInvalid) as caught:
        load_outbox(campaign)
    assert "Til-feltet (jd@example.org) er ikke adressen i manifest.json (noen-andre@example.org)" in str(caught.value.problems[0])


def built_outbox(campaign_dir):
    """The shipped campaign built with unverified addresses: its outbox and each message by recipient."""
    make_sendable(campaign_dir, verified=0)
    build_pack(campaign_dir)
    campaign = load(campaign_dir)
    outbox = load_outbox(campaign)
    return campaign, outbox, {m.recipient: m for m in outbox.messages}


def pending_journal(campaign, outbox) -> Journal:
    """A new send journal with every message of the outbox pending."""
    journal = Journal.open(campaign.output_dir / "send-journal.sqlite", create=True)
    assert journal is not None
    journal.add_pending((m.message_id, m.recipient, m.address, m.file, m.sha256) for m in outbox.messages)
    return journal


def test_the_plan_sorts_messages_by_what_the_journal_says(campaign_dir):
    campaign, outbox, by_id = built_outbox(campaign_dir)
    with pending_journal(campaign, outbox) as journal:
        journal.start_sending(by_id["jd"].message_id, by_id["jd"].sha256)
        journal.mark_sent(by_id["jd"].message_id)
        journal.start_sending(by_id["ud"].message_id, "an older content")
        journal.mark_sent(by_id["ud"].message_id)
        journal.start_sending(by_id["aid"].message_id, by_id["aid"].sha256)
        journal.start_sending(by_id["minister-jd"].message_id, by_id["minister-jd"].sha256)
        journal.mark_failed(by_id["minister-jd"].message_id, "550 5.1.1")
        rows = journal.rows()
    names = lambda messages: sorted(m.recipient for m in messages)  # noqa: E731
    plan = plan_sending(outbox, rows)
    assert names(plan.unverified) == sorted(PACK)
    assert plan.to_send == []
    plan = plan_sending(outbox, rows, include_unverified=True)
    assert names(plan.already_sent) == ["jd"]
    assert names(plan.changed) == ["ud"] and names(plan.uncertain) == ["aid"] and names(plan.retried) == ["minister-jd"]
    assert names(plan.to_send) == sorted(set(PACK) - {"jd", "ud", "aid"})
    plan = plan_sending(outbox, rows, include_unverified=True, resend=True, resend_uncertain=True)
    assert names(plan.to_send) == sorted(set(PACK) - {"jd"})


def test_letters_from_real_supporters_are_sent_with_their_reply_address(campaign_dir):
    """The supporters' feature writes its own manifests; send finds them without being told where."""
    make_sendable(campaign_dir)
    (campaign_dir / "supporters.csv").write_text(
        "id;name;email;county;place;personal_paragraph;language\n"
        "u-0001;Kari Ås-Ødegård;kari@example.org;Øs;Fredrikstad;"
        "Jeg har jobbet tolv år på et krisesenter i Fredrikstad. Der har jeg møtt kvinner som ble lurt hit med løfter om "
        "jobb på restaurant. Noen av dem hadde ikke fått lønn på over et år. Flere turte ikke gå til politiet fordi de "
        "var redde for å bli sendt ut. Jeg vet at hjelpen kommer for sent når ingen har plikt til å se etter tegnene. "
        "Derfor ber jeg deg ta dette med inn i budsjettarbeidet i høst.;\n"
        "u-0002;Ola Nordby;ola@example.org;Øs;Halden;"
        "Som tillitsvalgt i byggebransjen har jeg sett arbeidsfolk bo i brakker uten vann og strøm. Kontraktene var på "
        "et språk de ikke kunne lese. Mange av dem skyldte penger til den som skaffet dem arbeid. Da arbeidstilsynet kom, "
        "var sjefene alltid varslet på forhånd. Vi trenger kontroller som kommer uanmeldt og tolker som er med. "
        "Uten det blir lovene bare ord på papiret.;\n",
        encoding="utf-8",
    )
    with SmtpServer() as server:
        set_smtp(campaign_dir, server.port)
        build_pack(campaign_dir, ids=("jd",))
        written = run("letters", "--campaign", str(campaign_dir), "--date", "2026-11-25",
                      "--supporters", str(campaign_dir / "supporters.csv"))
        assert written.exit_code == 0, written.output
        result = run("send", "--campaign", str(campaign_dir), "--send", "--yes", "--rate", "0")
        assert result.exit_code == 0, result.output
        received = sorted((r.recipient_id, r.header("Reply-To"), tuple(r.rcpt_tos)) for r in server.received)
    assert ("mp-test", "Kari Ås-Ødegård <kari@example.org>", ("ase@example.org",)) in received
    assert ("mp-test", "Ola Nordby <ola@example.org>", ("ase@example.org",)) in received
    assert ("jd", '"Kvinnenettverket (eksempel)" <post@example.org>', ("jd@example.org",)) in received


def test_a_letter_that_came_back_is_not_sent_again_unless_asked_or_changed(campaign_dir):
    """A bounce read by `toolkit replies` marks a sent letter failed; unlike a letter the server never took,
    it is not retried by the next run (others on it may have it, and the same address fails again)."""
    from toolkit.send.journal import ReplyRow

    campaign, outbox, by_id = built_outbox(campaign_dir)
    with pending_journal(campaign, outbox) as journal:
        for uid, recipient, content in ((1, "jd", by_id["jd"].sha256), (2, "ud", "the letter before the address was put right")):
            journal.start_sending(by_id[recipient].message_id, content)
            journal.mark_sent(by_id[recipient].message_id)
            bounce = ReplyRow("INBOX", 1, uid, f"<dsn-{recipient}@mx.example>", "bounce",
                              by_id[recipient].message_id, recipient, "thread", "2026-12-02T10:00:00+00:00",
                              "MAILER-DAEMON", "Undelivered", "", "", "550 5.1.1", False, False)
            assert journal.record_reply(bounce, bounce_error="avvist av mottakerens server: 550 5.1.1")
        journal.start_sending(by_id["aid"].message_id, by_id["aid"].sha256)
        journal.mark_failed(by_id["aid"].message_id, "421 prøv igjen senere")  # never taken by the server
        rows = journal.rows()
    assert rows[by_id["jd"].message_id].state == "failed" and rows[by_id["jd"].message_id].sent_at
    names = lambda messages: sorted(m.recipient for m in messages)  # noqa: E731
    plan = plan_sending(outbox, rows, include_unverified=True)
    assert names(plan.returned) == ["jd"] and "jd" not in names(plan.to_send)
    # Put right since it came back ("ud"), or never taken by the server ("aid"): tried again.
    assert names(plan.retried) == ["aid", "ud"] and {"aid", "ud"} <= set(names(plan.to_send))
    assert plan.changed == []
    plan = plan_sending(outbox, rows, include_unverified=True, resend=True)
    assert "jd" in names(plan.to_send)

    result = run("send", "--campaign", str(campaign_dir), "--include-unverified")
    assert result.exit_code == 0, result.output
    assert "I RETUR: 1 e-post ble tatt imot av serveren og kom så i retur" in result.output
    assert "sendes ikke på nytt uten --resend" in result.output and "550 5.1.1" in result.output
