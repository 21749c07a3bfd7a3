"""`toolkit replies`: fetch the answers to the letters from the organisation's mailbox (read-only).

Library modules are imported inside the commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli import ToolkitCommand, campaign_option, load_valid
from toolkit.core.errors import ToolkitError

KIND_NAMES = {"answer": "svar", "auto": "automatisk svar", "bounce": "avvist", "unmatched": "uten treff"}


def journal_path(campaign) -> Path:
    from toolkit.followup.replies import journal_path as where

    return where(campaign)


@click.command(cls=ToolkitCommand)
@campaign_option
@click.option("--list", "only_list", is_flag=True, help="Vis bare det som er hentet før; koble ikke til e-postserveren.")
def replies(campaign_dir: Path, only_list: bool):
    """Hent svarene på brevene fra organisasjonens e-postkasse (IMAP) og før dem inn i sendejournalen.

    Bare mappene i imap.folders leses, bare e-post som kom etter at det første brevet gikk ut, og bare
    det som er nytt siden forrige gang. Ingenting blir slettet, flyttet eller merket som lest.
    Svarene lagres som .eml i «svar» i utdatamappen. Automatiske svar (fravær) regnes ikke som svar;
    en e-post som ikke kom fram, merkes som feilet. E-post som ikke kan knyttes til ett brev, blir
    listet, ikke gjettet. Passordet hentes fra nøkkelringen («keyring set toolkit-imap BRUKER») eller
    miljøvariabelen TOOLKIT_IMAP_PASSWORD.

    \b
    Eksempel:
      toolkit replies           # hent nye svar
      toolkit replies --list    # vis svarene som er hentet
    """
    from toolkit.core.errors import Problems
    from toolkit.followup.replies import ImapError, fetch_replies, find_password, password_help, read_imap_settings
    from toolkit.send.journal import Journal

    campaign = load_valid(campaign_dir)
    path = journal_path(campaign)
    if only_list:
        journal = Journal.open(path, create=False)
        if journal is None:
            click.echo(f"Ingenting er sendt ennå: fant ingen sendejournal i {campaign.output_dir}.")
            return
        with journal:
            show_recorded(journal.replies(), campaign)
        return
    problems = Problems()
    settings = read_imap_settings(campaign, problems)
    if settings is None:
        raise ToolkitError(
            "Mangler innstillinger for e-postkassen: legg til en «imap:»-blokk i campaign.yaml ved siden av «smtp:» "
            "(host, port, security, user, folders). Se docs/campaign-files.md."
        )
    where = f"IMAP-serveren {settings.describe() if settings.host else '(uten navn)'}"
    if problems.errors:
        lines = "\n".join(f"  {p}" for p in problems.errors)
        raise ImapError(f"Innstillingene for {where} i campaign.yaml er ikke brukbare:\n{lines}")
    password = find_password(settings.user)
    if password is None:
        raise ImapError(password_help(settings.user))
    journal = Journal.open(path, create=False, lock=True)
    if journal is None:
        raise ToolkitError(f"Ingenting er sendt ennå: fant ingen sendejournal i {campaign.output_dir}, så det finnes ingen svar å hente.")
    with journal:
        click.echo(f"Leser {', '.join(settings.folders)} hos {settings.describe()} som {settings.user} (bare lesing).")
        from toolkit.pack import pack_lock

        # Answers are saved in the output folder in step with the journal: no build switches it out meanwhile.
        with pack_lock(campaign, echo=lambda text: click.secho(text, fg="yellow", err=True)):
            report = fetch_replies(campaign, settings, password, journal)
        show_report(report, campaign)


def show_report(report, campaign) -> None:
    looked = sum(report.folders.values())
    click.echo(f"Nye e-poster i mappene siden {report.since:%d.%m.%Y}: {looked}; "
               f"{len(report.recorded)} gjelder kampanjen, {report.other} andre er ikke rørt.")
    if report.already:
        click.echo(f"Hentet før (samme e-post i en annen mappe): {report.already}.")
    answers, autos = report.of_kind("answer"), report.of_kind("auto")
    bounces, unmatched = report.of_kind("bounce"), report.of_kind("unmatched")
    if answers:
        click.secho(f"Svar: {len(answers)}", fg="green")
        for row in answers:
            click.echo(f"  {row.recipient}: {row.sender}, «{row.subject}» ({_by(row.matched_by)}) → {row.file}")
    if autos:
        click.echo(f"Automatiske svar (regnes ikke som svar): {len(autos)}")
        for row in autos:
            click.echo(f"  {row.recipient}: {row.sender}, «{row.subject}»")
    if bounces:
        click.secho(f"Kom ikke fram (merket som feilet i sendejournalen): {len(bounces)}", fg="red")
        for row in bounces:
            click.echo(f"  {row.recipient}: {row.note}")
    if unmatched:
        click.secho(f"Uten treff – les dem selv, de er ikke knyttet til noe brev: {len(unmatched)}", fg="yellow")
        for row in unmatched:
            click.echo(f"  {row.sender}, «{row.subject}»: {row.note} → {row.file}")
    if not report.recorded:
        click.echo("Ingen nye svar.")


def show_recorded(rows, campaign) -> None:
    if not rows:
        click.echo("Ingen svar er hentet ennå. Hent dem med «toolkit replies».")
        return
    for kind in ("answer", "auto", "bounce", "unmatched"):
        chosen = [r for r in rows if r.kind == kind]
        if not chosen:
            continue
        click.echo(f"{KIND_NAMES[kind].capitalize()}: {len(chosen)}")
        for row in chosen:
            who = row.recipient or "–"
            click.echo(f"  {row.received_at[:10]} {who}: {row.sender}, «{row.subject}»" + (f" ({row.note})" if row.note else ""))


def _by(matched_by: str) -> str:
    return {"thread": "svar i tråden", "address": "fra adressen brevet gikk til",
            "reference": "referansen i emnefeltet"}.get(matched_by, matched_by)
