"""`toolkit site`: the static campaign site where supporters write to their own representatives.

Library modules are imported inside the commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli import ToolkitCommand, campaign_option, load_valid


@click.command(cls=ToolkitCommand)
@campaign_option
@click.option("--base-url", default="", metavar="ADRESSE",
              help="Adressen siden skal ligge på (for eksempel https://example.org/16dager). Gir kanoniske lenker og "
                   "forhåndsvisning når siden deles.")
def site(campaign_dir: Path, base_url: str):
    """Lag kampanjens nettside: supportere finner representantene sine og skriver til dem selv.

    Siden havner i mappen side/ i utdatamappen, på bokmål og (i side/nn/) nynorsk. Den trenger
    ingen server: legg mappen på et hvilket som helst webhotell, eller åpne index.html fra disken.
    Ingenting av det supporterne skriver, forlater nettleseren deres. Se docs/site.md.

    \b
    Eksempel:
      toolkit site
      toolkit site --base-url https://example.org/16dager
    """
    from toolkit.site.pages import build_site

    campaign = load_valid(campaign_dir)
    click.echo(build_site(campaign, base_url).summary())
