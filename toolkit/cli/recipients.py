"""`toolkit recipients …` (the Storting import and the recipient list) and the supporters' letters run."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from toolkit.cli import ToolkitSubGroup, campaign_option, load_valid, progress_bar, require_campaign
from toolkit.core.errors import ToolkitError

NAME_WIDTH = 32


def interactive() -> bool:
    """Whether a person is at the keyboard to answer a question."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def ask_yes(question: str) -> bool:
    """Ask a yes/no question in Norwegian (ja/nei, j/n); no answer means no."""
    from toolkit.core.campaign import YES

    return click.prompt(f"{question} [j/N]", default="n", show_default=False).strip().lower() in YES


@click.group(cls=ToolkitSubGroup)
def recipients():
    """Mottakerlisten: hent stortingsrepresentantene og se hvem som får hvilke krav først."""


@recipients.command("import-stortinget")
@campaign_option
@click.option("--file", "saved", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Bruk et lagret svar fra data.stortinget.no (XML eller JSON) i stedet for å hente det.")
@click.option("--dry-run", is_flag=True, help="Vis hva som ville endret seg, uten å skrive noe.")
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Fjern representanter som har gått ut, uten å spørre.")
def import_stortinget(campaign_dir: Path, saved: Path | None, dry_run: bool, assume_yes: bool):
    """Hent dagens stortingsrepresentanter fra Stortingets åpne data inn i recipients.csv.

    Representantene kobles på Stortingets person-id. E-postadresser, notater, språk og postadresser
    som er skrevet inn for hånd, blir stående. Nye representanter kommer inn uten verifisert
    e-postadresse (brev i posten) til noen har sjekket en adresse. Representanter som har gått ut,
    blir bare fjernet med --yes eller når du svarer ja.

    Kilde: Stortinget, data.stortinget.no (Norsk lisens for offentlige data, NLOD).
    Svarer ikke tjenesten, avslutter kommandoen med kode 4 og endrer ingenting.

    \b
    Eksempel:
      toolkit recipients import-stortinget --dry-run
      toolkit recipients import-stortinget
      toolkit recipients import-stortinget --file dagensrepresentanter.xml
    """
    from toolkit.core.campaign import load_recipients
    from toolkit.core.errors import Problems
    from toolkit.core.templates import format_date
    from toolkit.recipients.merge import plan_import, read_existing, write_recipients
    from toolkit.recipients.stortinget import SOURCE, download_roster, read_roster_file

    require_campaign(campaign_dir)
    path = campaign_dir / "recipients.csv"
    if path.with_suffix(".xlsx").exists():
        raise ToolkitError(
            "Importen skriver recipients.csv, men kampanjen bruker recipients.xlsx. Lagre arbeidsboka som CSV "
            "(semikolonseparert) og flytt recipients.xlsx ut av mappen først, eller legg inn representantene i Excel selv."
        )
    problems = Problems()
    if path.exists():
        # The file is written back whole, so it must be sound before anything is added to it.
        load_recipients(path, problems)
        problems.raise_if_errors()
    header, rows, style = read_existing(path, problems)
    problems.raise_if_errors()

    roster = read_roster_file(saved) if saved else download_roster()
    today = date.today()
    plan = plan_import(header, rows, roster, today)
    count = len(roster.representatives)
    when = format_date(plan.data_date) if plan.data_date else "ukjent dato"
    click.echo(f"Kilde: {SOURCE}, data fra {when}: {count} representanter.")
    if roster.date_from == "filen":
        click.secho(f"Svaret har ingen dato; filens dato ({when}) er brukt som dato for sjekken.", fg="yellow")
    elif roster.date_from == "":
        click.secho(
            "Svaret har ingen dato, og filen er lagret i dag, så det er ikke kjent hvor gamle opplysningene er. "
            "Radene får ingen dato i verified_on («ukjent dato») og regnes som ikke sjekket: sjekk dem og skriv "
            "datoen der, eller hent listen på nytt fra Stortinget.", fg="yellow",
        )
    elif roster.data_date is None:
        click.secho("Svaret har ingen dato; dagens dato er brukt, siden listen ble hentet nå.", fg="yellow")
    if count < 150:
        click.secho(f"Merk: Stortinget har 169 representanter, men svaret har bare {count}.", fg="yellow")
    _show_plan(plan)

    remove = False
    if plan.removed and not dry_run:
        count = len(plan.removed)
        remove = assume_yes or (interactive() and ask_yes(
            f"Fjerne {count} {'representant' if count == 1 else 'representanter'} som ikke lenger står på Stortingets liste?"))
        if not remove:
            click.echo("De som har gått ut, blir stående. Kjør med --yes for å fjerne dem.")
    if dry_run:
        if not plan.has_changes(remove=True):
            click.echo("Ingen forskjeller fra recipients.csv.")
        click.echo("Dette var en prøvekjøring, og ingenting er skrevet. Kjør uten --dry-run for å oppdatere recipients.csv.")
        return
    if not plan.has_changes(remove):
        click.secho("Ingen endringer: recipients.csv er allerede oppdatert.", fg="green")
        return
    write_recipients(path, plan, style, remove=remove)
    click.secho(f"recipients.csv er oppdatert ({'semikolon og BOM' if style.excel else 'komma'}, UTF-8).", fg="green")
    if plan.added:
        click.echo(
            "Nye representanter har ingen verifisert e-postadresse og får brevet i posten til noen har sjekket en "
            "adresse og satt email_verified til ja."
        )


def _show_plan(plan) -> None:
    if plan.added:
        click.echo(f"\nNye ({len(plan.added)}):")
        for row in plan.added:
            click.echo(f"  + {row['name']} ({row['party'] or 'uten parti'}, {row['county_name']})")
    if plan.changed:
        click.echo(f"\nEndret ({len(plan.changed)}):")
        for change in plan.changed:
            click.echo(f"  ~ {change.name} [{change.row_id}]")
            for column, old, new in change.fields:
                click.echo(f"      {column}: «{old}» → «{new}»")
    if plan.removed:
        click.echo(f"\nIkke lenger på Stortingets liste ({len(plan.removed)}):")
        for row in plan.removed:
            click.echo(f"  - {row.get('name', '')} [{row.get('id', '')}]")
    for hand_made, new in plan.look_alikes:
        click.secho(
            f"Merk: «{new['name']}» finnes også som {hand_made.get('id', '')} uten person_id. "
            f"Skriv {new['person_id']} i person_id på den raden og kjør på nytt, så blir de én rad.",
            fg="yellow",
        )
    for name, address in plan.bad_emails:
        click.secho(f"Merk: dataene gir «{address}» som e-postadresse for {name}; den er ikke gyldig og blir ikke brukt.", fg="yellow")
    unchanged = plan.refreshed
    if unchanged:
        click.echo(f"\n{unchanged} uendret (bare datoen for sjekken er ny).")


@recipients.command("list")
@campaign_option
@click.option("--to", "selectors", multiple=True, metavar="UTVALG",
              help="Bare disse mottakerne: en id, eller kind:mp, party:A, county:Os, committee:JUSTIS, ministry:JD. Kan gjentas.")
def list_recipients(campaign_dir: Path, selectors: tuple[str, ...]):
    """Vis mottakerne og hvilke krav som kommer først i brevet til hver av dem.

    Kravene som leder, er de som mottakerens departement eller komiteer har ansvar for
    (feltene ministries og committees i demands.yaml).

    \b
    Eksempel:
      toolkit recipients list --to kind:mp --to county:Oslo
      toolkit recipients list --to committee:JUSTIS
    """
    from toolkit.letters.render import lookup_names, plan_letters, rank_demands, select_recipients

    campaign = load_valid(campaign_dir)
    chosen = select_recipients(campaign.recipients, selectors)
    names = lookup_names(campaign)
    # Whether the organisation's letters reach each recipient, as `toolkit letters` would write them.
    plan = plan_letters(campaign)
    letter_of = {
        p.recipient.id: ("til orientering" if p.informational else "eget brev")
        + (f", felles for {len(p.members)} mottakere" if len(p.members) > 1 else "")
        for p in plan.letters
    }
    letter_of.update({r.id: why for r, why in plan.left_out})
    header = ("id", "type", "navn", "parti", "valgdistrikt", "krav først", "brev")
    rows = []
    for recipient in chosen:
        lead = [str(r.demand.number) for r in rank_demands(campaign, recipient, names) if r.score > 0]
        name = recipient.name if len(recipient.name) <= NAME_WIDTH else recipient.name[: NAME_WIDTH - 1] + "…"
        rows.append((recipient.id, recipient.kind, name, recipient.party, recipient.county_name or recipient.county,
                     ", ".join(lead) or "–", letter_of.get(recipient.id, "–")))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    left_out = sum(1 for r, why in plan.left_out if why == "eier ingen av kravene")
    if left_out:
        click.echo(f"\n{left_out} mottakere eier ingen av kravene og får ikke brev (letters.inform_others: true "
                   "i campaign.yaml gir dem et brev til orientering).")
    click.echo(f"\n{len(rows)} mottakere. Kravene: " + "; ".join(f"{d.number} {d.title}" for d in campaign.demands) + ".")


def write_supporters_pack(campaign, supporters_file: Path, when: date, selectors: tuple[str, ...], ministries: tuple[str, ...],
                          pack: str = "files", only: str = "", max_mb: float | None = None) -> None:
    """`toolkit letters --supporters FIL`: check the file, then write every supporter's letters."""
    from toolkit.core.errors import Problems
    from toolkit.letters.render import select_recipients
    from toolkit.letters.supporters import DEFAULT_MAX_MB, OUTPUT_FOLDER, OVERVIEW_FILE, load_supporters, write_supporter_letters

    problems = Problems()
    supporters = load_supporters(supporters_file, campaign, problems, supporters_file.name, max_mb or DEFAULT_MAX_MB)
    problems.raise_if_errors()
    mps = [r for r in campaign.recipients if r.kind == "mp"]
    chosen = select_recipients(mps, selectors) if selectors else mps
    extra = []
    for ministry in ministries:
        match = [r for r in campaign.recipients if r.kind == "ministry" and r.ministry.upper() == ministry.upper()]
        if not match:
            known = ", ".join(sorted(r.ministry for r in campaign.recipients if r.kind == "ministry"))
            raise click.BadParameter(f"Departementet «{ministry}» finnes ikke i recipients.csv. Bruk en av: {known}.",
                                     param_hint="--ministry")
        extra.extend(match)
    with progress_bar(len(supporters), "Underskrivere") as bar:
        report = write_supporter_letters(campaign, supporters, when, representatives=chosen, extra=tuple(extra),
                                         progress=bar.update, pack=pack, only=only)
    from toolkit.pack import public_path

    out = public_path(campaign.output_dir / OUTPUT_FOLDER)
    click.echo(f"{report.letters} brev fra {report.supporters} underskrivere, én mappe per underskriver i {out}.")
    click.echo(f"Oversikten over hvem som har fått hva, står i {out / OVERVIEW_FILE}.")
    if report.without_letters:
        click.secho(
            f"{len(report.without_letters)} underskrivere fikk ingen brev, fordi ingen av representantene deres passet til --to.",
            fg="yellow",
        )
    for line in report.problem_lines():
        click.secho(line, fg="yellow")
    for line in report.similarity.summary_lines("underskrivernes brev", worst=5):
        click.echo(line)
    report.raise_if_too_similar()

