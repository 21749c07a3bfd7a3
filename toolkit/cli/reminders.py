"""`toolkit letters --reminders`: what the reminders run says (the option itself is in toolkit.cli.pack's letters).

Library modules are imported inside the commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

from datetime import date

import click

from toolkit.core.errors import ToolkitError


def write_reminders_command(campaign, today: date) -> None:
    from toolkit.cli.replies import journal_path
    from toolkit.core.templates import format_date
    from toolkit.followup.reminders import FOLDER, remind
    from toolkit.send.journal import Journal

    journal = Journal.open(journal_path(campaign), create=False)
    if journal is None:
        raise ToolkitError(
            f"Ingen brev er sendt ennå (fant ingen sendejournal i {campaign.output_dir}), så det er ingen å minne om."
        )
    from toolkit.pack import pack_session

    with journal, pack_session(campaign, "letters --reminders", echo=lambda text: click.secho(text, fg="yellow", err=True)):
        report = remind(campaign, journal, today)
    folder = campaign.output_dir / FOLDER
    if report.written:
        click.secho(f"Påminnelser skrevet: {len(report.written)}, i {folder}:", fg="green")
        for recipient, first in report.written:
            click.echo(f"  {recipient.name} <{recipient.email}> (første brev sendt {(first.sent_at or '')[:10]})")
        click.echo("Se dem med «toolkit send», og send dem med «toolkit send --send».")
    else:
        click.echo(f"Ingen påminnelser å skrive i dag (etter {report.after_days} dager uten svar).")
    if report.answered:
        click.echo(f"Har svart, får ingen påminnelse: {len(report.answered)} ({', '.join(report.answered)}).")
    if report.reminded:
        click.echo(f"Har fått påminnelse før, får ikke en til: {len(report.reminded)} ({', '.join(report.reminded)}).")
    if report.too_early:
        first_due = min(due for _, due in report.too_early)
        click.echo(f"For tidlig: {len(report.too_early)} mottakere; de første kan få påminnelse {format_date(first_due)}.")
    if report.failed:
        click.secho(f"Brevet kom ikke fram (feilet eller avvist), så ingen påminnelse: {', '.join(report.failed)}. "
                    "Rett adressen i recipients.csv og send brevet på nytt.", fg="yellow", err=True)
    if report.gone:
        click.secho(f"Ikke lenger i recipients.csv eller med ny adresse, så ingen påminnelse: {', '.join(report.gone)}.",
                    fg="yellow", err=True)
