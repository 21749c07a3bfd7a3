"""`toolkit send`: a dry run by default, then sending with a journal that makes a rerun resume.

Library modules are imported inside the commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click

from toolkit.cli import ToolkitCommand, campaign_option, load_valid, print_problems, progress_bar
from toolkit.core.errors import ToolkitError


@click.command(cls=ToolkitCommand)
@campaign_option
@click.option("--send", "really_send", is_flag=True, help="Send e-postene. Uten dette vises bare hva som ville blitt sendt.")
@click.option("--yes", "-y", is_flag=True, help="Ikke spør før sending.")
@click.option("--include-unverified", is_flag=True, help="Send også til adresser som ikke er verifisert (email_verified = nei).")
@click.option("--resend", is_flag=True, help="Send e-poster som er endret etter at de ble sendt, en gang til.")
@click.option("--resend-uncertain", is_flag=True,
              help="Send e-poster som kanskje ble sendt da en kjøring ble avbrutt, en gang til.")
@click.option("--status", is_flag=True, help="Vis hva som er sendt og hva som feilet, og lagre feilene i send-feil.csv.")
@click.option("--rate", type=int, default=None, metavar="N",
              help="Høyst N e-poster per minutt; 0 = ingen grense. Standard: smtp.rate_per_minute (20).")
@click.option("--wait", is_flag=True, help="Vent til sendevinduet åpner i stedet for å stoppe.")
@click.option("--smtp-host", default=None, metavar="SERVER", help="SMTP-serveren (overstyrer smtp.host).")
@click.option("--smtp-port", type=int, default=None, metavar="PORT", help="Porten (overstyrer smtp.port).")
@click.option("--security", type=click.Choice(["starttls", "ssl", "none"]), default=None, help="Kryptering (overstyrer smtp.security).")
@click.option("--smtp-user", default=None, metavar="BRUKER", help="Brukernavnet (overstyrer smtp.user).")
@click.option("--allow-shared-inbox", is_flag=True,
              help="Send selv om én adresse får flere ulike brev fra organisasjonen.")
def send(campaign_dir: Path, really_send: bool, yes: bool, include_unverified: bool, resend: bool,
         resend_uncertain: bool, status: bool, rate: int | None, wait: bool, smtp_host: str | None,
         smtp_port: int | None, security: str | None, smtp_user: str | None, allow_shared_inbox: bool = False):
    """Send e-postene som «toolkit build» laget. Uten --send er det en prøvekjøring.

    Prøvekjøringen viser hver e-post som ville blitt sendt (mottaker, emne, størrelse, vedlegg).
    Med --send går de ut én gang hver: en sendejournal i kampanjemappen (.toolkit) husker hva som
    er sendt, så en ny kjøring fortsetter der den forrige slapp. En e-post som gikk ut, men som
    serveren aldri bekreftet, er «usikker» og sendes ikke på nytt uten --resend-uncertain. Passordet hentes fra systemets
    nøkkelring («keyring set toolkit-smtp BRUKER») eller miljøvariabelen TOOLKIT_SMTP_PASSWORD.

    \b
    Eksempel:
      toolkit send                      # se hva som blir sendt
      toolkit send --send               # send (spør én gang først)
      toolkit send --status             # hva er sendt, hva feilet
    """
    from toolkit.send.journal import Journal, adopt_old_journals
    from toolkit.send.journal import journal_path as journal_of
    from toolkit.send.outbox import load_outbox, plan_sending

    # The e-mails were made, and their letters rendered and checked, by toolkit build; what sending relies
    # on is checked against them (the outbox: manifest, hashes, addresses), so the letters are not rendered
    # again here (for 10,000 recipients that was an eighth of the time of sending them).
    campaign = load_valid(campaign_dir, render_letters=False)
    adopt_old_journals(campaign.folder, campaign.output_dir, lambda text: click.secho(text, fg="yellow", err=True))
    journal_path = journal_of(campaign.folder)
    if status:
        show_status(journal_path, campaign, campaign.timezone)
        return
    settings = _checked_settings(campaign, really_send, host=smtp_host, port=smtp_port, security=security, user=smtp_user,
                                 rate_per_minute=rate)
    outbox = load_outbox(campaign)
    _check_shared_inboxes(outbox, allow_shared_inbox)
    password = None
    if really_send:
        password = _server_password(settings)
        if not wait:
            _check_window(settings, campaign.timezone)
    if really_send:
        from toolkit.core.fsutil import state_dir

        state_dir(campaign.folder, create=True)
    journal = Journal.open(journal_path, create=really_send, lock=really_send)
    try:
        rows = journal.rows() if journal else {}
        plan = plan_sending(outbox, rows, include_unverified=include_unverified, resend=resend, resend_uncertain=resend_uncertain)
        show_plan(plan, campaign, include_unverified, resend, resend_uncertain, rows)
        if not really_send:
            show_dry_run(plan, campaign, settings, _send_command(campaign_dir, include_unverified, resend, resend_uncertain, rate))
            return
        if not plan.to_send:
            click.echo("Ingenting å sende.")
            return
        report = _send(plan, campaign, settings, password, journal, yes, wait)
        _, failures_file = _export_failures(journal, campaign)
    finally:
        if journal:
            journal.close()
    click.secho(f"Sendt: {len(report.sent)}.", fg="green" if report.sent else None)
    if report.retries:
        click.echo(f"Midlertidige feil som ble forsøkt på nytt: {report.retries}.")
    if report.failed:
        click.secho(f"Feilet: {len(report.failed)}. Feilene står i {failures_file}.", fg="red", err=True)
    if report.uncertain:
        show_uncertain(report.uncertain, failures_file)
    if report.stop is not None:
        if report.remaining:
            click.echo(f"Ikke sendt ennå: {report.remaining}.", err=True)
        raise report.stop
    if report.failed or report.uncertain:
        raise click.exceptions.Exit(1)


def _checked_settings(campaign, really_send: bool, **overrides):
    """campaign.smtp with the command line's options applied, checked like campaign.yaml's (toolkit.send.settings),
    and with what sending needs (a server) when it sends.

    `toolkit validate` has already reported what is wrong in campaign.yaml; here only what the options or sending
    add is reported: an option's own error, a warning that a combination with campaign.yaml's values gives, or a
    missing server."""
    from toolkit.core.errors import Problems
    from toolkit.send.settings import SmtpSettingsInvalid, check_smtp_settings, with_overrides

    settings, options = with_overrides(campaign.smtp, **overrides)
    if not options and not really_send:
        return settings
    before, after = Problems(), Problems()
    check_smtp_settings(campaign, before)
    check_smtp_settings(campaign, after, settings, options, sending=really_send)
    new = [problem for problem in after.items if problem not in before.items]
    if any(problem.severity == "error" for problem in new):
        raise SmtpSettingsInvalid(new)
    print_problems(new)
    return settings


def _check_shared_inboxes(outbox, allowed: bool) -> None:
    """Refuse two different letters from the organisation to one inbox, unless the user allows it."""
    from toolkit.send.outbox import shared_inboxes

    shared = shared_inboxes(outbox)
    if not shared:
        return
    lines = [f"  {address}: {', '.join(m.recipient for m in messages)}" for address, messages in sorted(shared.items())]
    if allowed:
        click.secho("Disse adressene får flere ulike brev fra organisasjonen (--allow-shared-inbox):\n" + "\n".join(lines), fg="yellow")
        return
    raise ToolkitError(
        "Disse adressene ville fått flere ulike brev fra organisasjonen:\n" + "\n".join(lines)
        + "\nGi mottakerne som deler adresse ett felles brev (se docs/letters.md), eller bruk --allow-shared-inbox "
        "hvis hvert brev skal fram."
    )


RESEND_UNCERTAIN_HELP = (
    "Sjekk i «Sendt»-mappen hos e-postleverandøren, eller spør mottakeren, om e-posten kom fram. "
    "Kom den ikke fram, send den med «toolkit send --send --resend-uncertain». Ellers: gjør ingenting."
)


def show_uncertain(uncertain, failures_file) -> None:
    """Messages that went out whole but were never confirmed: they may have arrived, and are not sent again."""
    click.secho(
        f"USIKKER: {_count(len(uncertain), 'e-post', 'e-poster')} ble overført helt, men serveren bekreftet "
        f"{_them(len(uncertain))} ikke. {_they(len(uncertain))} kan ha kommet fram og sendes ikke på nytt av seg selv:",
        fg="yellow", err=True,
    )
    for message, why in uncertain:
        click.echo(f"  {message.name} <{message.address}> ({message.file}): {why}", err=True)
    click.echo(RESEND_UNCERTAIN_HELP + (f" Listen står også i {failures_file}." if failures_file else ""), err=True)


def _them(number: int) -> str:
    return "den" if number == 1 else "dem"


def _server_password(settings) -> str | None:
    """Find the password when the server needs a login (the settings are checked by _checked_settings)."""
    from toolkit.send.mailer import find_password, password_help

    if not settings.user:
        return None
    password = find_password(settings.user)
    if password is None:
        raise ToolkitError(password_help(settings.user))
    return password


def _check_window(settings, zone: str) -> None:
    """Outside the sending window, stop before anything is opened or asked."""
    from toolkit.send.mailer import Clock, outside_window, window_opens

    opens = window_opens(settings.window, zone, Clock().now())
    if opens is not None:
        raise outside_window(settings.window, opens)


def _send(plan, campaign, settings, password, journal, yes: bool, wait: bool):
    """Say what is about to happen, ask once, and send."""
    from toolkit.send.mailer import Clock, SendOptions, SmtpConnection, describe, describe_window, send_messages

    count = len(plan.to_send)
    sender = campaign.organisation.email
    login = f" som {settings.user}" if settings.user else " uten innlogging"
    click.echo(f"\nSender {_count(count, 'e-post', 'e-poster')} fra {sender} via {describe(settings)}{login}.")
    if settings.rate_per_minute:
        click.echo(f"Høyst {settings.rate_per_minute} per minutt: tar {_duration(count / settings.rate_per_minute)}.")
    if settings.window:
        click.echo(f"Sendevindu: {describe_window(settings.window)} ({campaign.timezone}).")
    if not yes:
        try:
            answer = click.prompt(f"Sende {_count(count, 'e-post', 'e-poster')} nå? [j/N]", default="n", show_default=False)
        except click.exceptions.Abort:
            answer = "n"
        if answer.strip().lower() not in ("j", "ja", "y", "yes"):
            click.echo("Ingenting er sendt. (Med --yes sendes det uten spørsmål.)", err=True)
            raise click.exceptions.Exit(1)
    connection = SmtpConnection(settings, password, timeout=settings.timeout)
    options = SendOptions(
        envelope_from=sender, rate_per_minute=settings.rate_per_minute, window=settings.window,
        timezone=campaign.timezone, wait=wait,
    )

    with progress_bar(count, "Sender") as bar, _first_interrupt_stops() as stop_requested:
        def progress(message, error):
            bar.update(1)
            if error and error.startswith("USIKKER: "):
                click.secho(f"\nUSIKKER: {message.name} <{message.address}>: {error[9:]}", fg="yellow", err=True)
            elif error:
                click.secho(f"\nFEILET: {message.name} <{message.address}>: {error}", fg="red", err=True)

        return send_messages(plan.to_send, journal, connection, options, clock=Clock(), progress=progress, stop_requested=stop_requested)


@contextmanager
def _first_interrupt_stops():
    """The first Ctrl+C stops after the message being sent, so that none is left uncertain; a second stops at once."""
    requested: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return

    def handler(signum, frame):
        if requested:
            raise KeyboardInterrupt
        requested.append(True)
        click.echo("\nStopper etter denne e-posten. Trykk Ctrl+C en gang til for å stoppe med en gang.", err=True)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(requested)
    finally:
        signal.signal(signal.SIGINT, previous)


def show_plan(plan, campaign, include_unverified: bool, resend: bool, resend_uncertain: bool, rows=None) -> None:
    """What will not be sent and why, and what needs the organiser's attention, before anything goes out."""
    if plan.uncertain:
        verb = "sendes på nytt (--resend-uncertain)" if resend_uncertain else "sendes ikke på nytt uten --resend-uncertain"
        click.secho(
            f"USIKKER: {_count(len(plan.uncertain), 'e-post', 'e-poster')} kan ha kommet fram: serveren bekreftet "
            f"{_them(len(plan.uncertain))} aldri, eller en tidligere kjøring ble avbrutt mens {_they(len(plan.uncertain)).lower()} "
            f"var på vei ut. {_they(len(plan.uncertain))} {verb}:", fg="yellow", err=True,
        )
        for message in plan.uncertain:
            row = (rows or {}).get(message.message_id)
            why = f": {row.last_error}" if row is not None and row.last_error else ""
            click.echo(f"  {message.name} <{message.address}> ({message.file}){why}", err=True)
        if not resend_uncertain:
            click.echo(RESEND_UNCERTAIN_HELP, err=True)
    if plan.changed:
        verb = "sendes på nytt (--resend)" if resend else "sendes ikke på nytt uten --resend"
        click.secho(
            f"ENDRET: {_count(len(plan.changed), 'e-post', 'e-poster')} er endret etter at "
            f"{_they(len(plan.changed)).lower()} ble sendt. {_they(len(plan.changed))} {verb}:",
            fg="yellow", err=True,
        )
        for message in plan.changed:
            click.echo(f"  {message.name} <{message.address}> ({message.file})", err=True)
    if plan.returned:
        verb = "sendes på nytt (--resend)" if resend else "sendes ikke på nytt uten --resend"
        click.secho(
            f"I RETUR: {_count(len(plan.returned), 'e-post', 'e-poster')} ble tatt imot av serveren og kom så i retur "
            f"(toolkit replies leste svaret fra mottakerens server). {_they(len(plan.returned))} {verb}: "
            "rett adressen i recipients.csv og bygg på nytt, så sendes brevet til den nye adressen.",
            fg="yellow", err=True,
        )
        for message in plan.returned:
            row = (rows or {}).get(message.message_id)
            why = f": {row.last_error}" if row is not None and row.last_error else ""
            click.echo(f"  {message.name} <{message.address}> ({message.file}){why}", err=True)
    stale = plan.stale(campaign, date.today())
    if stale:
        click.secho(
            f"ADVARSEL: {_count(len(stale), 'mottaker', 'mottakere')} har opplysninger som ble sjekket for mer enn "
            f"{campaign.stale_after_days} dager siden. Sjekk dem i recipients.csv før du sender:", fg="yellow", err=True,
        )
        for message in stale:
            click.echo(f"  {message.name} (sist sjekket {message.verified_on:%d.%m.%Y})", err=True)
    if plan.unverified:
        click.echo(
            f"Hoppes over: {_count(len(plan.unverified), 'adresse', 'adresser')} er ikke verifisert "
            "(email_verified = nei i recipients.csv; --include-unverified tar dem med):"
        )
        for message in plan.unverified:
            click.echo(f"  {message.name} <{message.address}>")
    elif include_unverified and any(not m.verified for m in plan.to_send):
        unverified = sum(1 for m in plan.to_send if not m.verified)
        click.secho(f"ADVARSEL: {_count(unverified, 'adresse', 'adresser')} som ikke er verifisert, blir tatt med.", fg="yellow", err=True)
    if plan.no_address:
        click.echo(f"Uten e-postadresse (sendes i posten): {len(plan.no_address)}.")
    if plan.already_sent:
        click.echo(f"Allerede sendt: {len(plan.already_sent)}.")
    if plan.retried:
        click.echo(f"Feilet forrige gang og forsøkes igjen: {len(plan.retried)}.")


def show_dry_run(plan, campaign, settings, send_command: str) -> None:
    """List every message that would be sent, as it is on disk, and end with the command that sends."""
    from toolkit.send.mailer import describe, describe_window, format_moment, window_opens
    from toolkit.send.outbox import preview

    if plan.to_send:
        click.echo(f"\nDette ville blitt sendt ({_count(len(plan.to_send), 'e-post', 'e-poster')}):")
    for message in plan.to_send:
        to, subject, attachments = preview(message)
        line = f"  Til {to}: «{subject}», {_size(message.size)}"
        if attachments:
            line += f", vedlegg: {', '.join(attachments)}"
        if message.sender:
            line += f", underskrevet av {message.sender}"
        click.echo(line)
    if not plan.to_send:
        click.echo("\nIngenting å sende.")
        return
    if settings.host:
        click.echo(f"\nSendes fra {campaign.organisation.email} via {describe(settings)}.")
    else:
        click.echo("\nSMTP-serveren er ikke satt: legg inn smtp.host i campaign.yaml før du sender.")
    if settings.window:
        from toolkit.send.mailer import Clock

        opens = window_opens(settings.window, campaign.timezone, Clock().now())
        if opens is not None:
            click.echo(
                f"Merk: nå er det utenfor sendevinduet ({describe_window(settings.window)}); det åpner {format_moment(opens)}."
            )
    click.secho(f"Dette var en prøvekjøring; ingenting er sendt. Send med: {send_command}", bold=True)


def _send_command(campaign_dir: Path, include_unverified: bool, resend: bool, resend_uncertain: bool, rate: int | None) -> str:
    parts = ["toolkit send --send"]
    if str(campaign_dir) != ".":
        parts.append(f"--campaign {campaign_dir}")
    parts += [flag for flag, given in (("--include-unverified", include_unverified), ("--resend", resend),
                                        ("--resend-uncertain", resend_uncertain)) if given]
    if rate is not None:
        parts.append(f"--rate {rate}")
    return " ".join(parts)


def _export_failures(journal, campaign):
    """send-feil.csv, written like any part of the pack (toolkit.pack): under the campaign's lock, so that
    it never lands in a folder a build is switching out, and listed in the manifest as the toolkit's."""
    from toolkit.pack import pack_session
    from toolkit.send.journal import FAILED, SENDING
    from toolkit.send.mailer import FAILURES_FILE, export_failures

    wanted = any(row.state in (FAILED, SENDING) for row in journal.rows().values())
    if not wanted and not (campaign.output_dir / FAILURES_FILE).exists():
        return [], None
    with pack_session(campaign, "send", echo=lambda text: click.secho(text, fg="yellow", err=True)):
        failed, written = export_failures(journal, campaign.output_dir)
    return failed, (campaign.output_dir / FAILURES_FILE if written else None)


def show_status(journal_path: Path, campaign, zone: str) -> None:
    """Summarise the journal and export the failures as CSV."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from toolkit.send.journal import FAILED, PENDING, SENDING, SENT, Journal
    from toolkit.send.mailer import format_moment

    def local(stamp: str) -> str:
        return format_moment(datetime.fromisoformat(stamp).astimezone(ZoneInfo(zone)))

    journal = Journal.open(journal_path, create=False)
    if journal is None:
        click.echo(f"Ingenting er sendt ennå: fant ingen sendejournal ({journal_path}).")
        return
    with journal:
        counts = journal.counts()
        rows = journal.rows()
        failed, failures_file = _export_failures(journal, campaign)
    click.echo(f"Sendejournal: {journal_path}")
    for state, label in ((SENT, "sendt"), (FAILED, "feilet"), (SENDING, "usikker (kan ha kommet fram)"), (PENDING, "venter")):
        click.echo(f"  {label}: {counts[state]}")
    uncertain = [row for row in rows.values() if row.state == SENDING]
    if uncertain:
        click.secho("Usikre: disse kan ha kommet fram (serveren bekreftet dem ikke, eller en kjøring ble avbrutt mens "
                    "de var på vei ut). De sendes ikke på nytt uten --resend-uncertain:", fg="yellow")
        for row in uncertain:
            why = f": {row.last_error}" if row.last_error else ""
            click.echo(f"  {row.recipient} <{row.address}> ({row.file}, {local(row.updated_at)}){why}")
        click.echo(RESEND_UNCERTAIN_HELP)
    if failed:
        click.secho("Feilet:", fg="red")
        for row in failed:
            click.echo(f"  {row.recipient} <{row.address}>: {row.last_error}")
        click.echo(f"Feilene er lagret i {failures_file}.")
    last = max((row.sent_at for row in rows.values() if row.sent_at), default=None)
    if last:
        click.echo(f"Sist sendt: {local(last)}.")


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _they(number: int) -> str:
    return "Den" if number == 1 else "De"


def _size(size: int) -> str:
    return f"{size / 1024:.1f} kB".replace(".", ",")


def _duration(minutes: float) -> str:
    if minutes < 1:
        return "under ett minutt"
    hours, rest = divmod(round(minutes), 60)
    if not hours:
        return f"ca. {rest} min"
    return f"ca. {hours} t {rest} min" if rest else f"ca. {hours} t"
