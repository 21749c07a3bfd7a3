"""`toolkit init`: a new campaign folder from the shipped example.

Library modules are imported inside the commands, so that start-up (`toolkit --help`) stays fast.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from toolkit.cli import ToolkitCommand


@click.command(cls=ToolkitCommand)
@click.argument("folder", metavar="MAPPE", type=click.Path(path_type=Path))
@click.option("--year", type=click.IntRange(2000, 2100), default=None, metavar="ÅR",
              help="Kampanjeåret: perioden blir 25. november–10. desember det året (standard: årets kampanje, "
                   "eller neste års etter 10. desember).")
def init(folder: Path, year: int | None):
    """Lag en ny kampanjemappe fra eksempelkampanjen som følger med verktøyet.

    Mappen får maler, krav, fakta, innlegg, aviser og eksempelmottakere (departementer og
    komiteer), med datoene flyttet til det valgte året. Organisasjonens opplysninger står som
    «FYLL INN»; toolkit validate viser dem til de er fylt inn. Se LESMEG.md i mappen.
    Verktøyet skriver aldri i en mappe som har filer i seg.

    \b
    Eksempel:
      toolkit init kampanje-2027 --year 2027
    """
    from toolkit.core.starter import default_year, init_campaign

    chosen = year or default_year(date.today())
    init_campaign(folder, chosen)
    click.echo(f"Ny kampanje for {chosen} i {folder}. Les {folder / 'LESMEG.md'} og fyll inn det som står «FYLL INN».")
    click.echo(f"Kjør så: toolkit validate --campaign {folder}")
