"""Made-up supporters for the tests and the benchmark. NOT REAL PEOPLE: every name and address is invented,
and the addresses use example.org, which is reserved for examples and reaches no one."""

from __future__ import annotations

from stortinget_data import DISTRICTS

FIRST = ("Åsa", "Bjørn", "Kari", "Øyvind", "Signe", "Pål", "Ingebjørg", "Tore", "Hanne", "Jan Erik", "Trude", "Ævar")
LAST = ("Nordmann", "Bakkeløkken", "Strømsø", "Dæhlie-Eksempel", "Kvåle", "Ødegårdsli", "Fiktiv", "Haugeåsen")
PARAGRAPHS = (
    "Jeg jobber på et krisesenter og møter kvinner som har vært utsatt for menneskehandel.",
    "Som mor til to døtre vil jeg at Norge skal gå foran i arbeidet mot menneskehandel & utnyttelse.",
    "",
    'Jeg har lest «Nasjonal strategi mot menneskehandel» og savner en tydelig plan <for> ofrene.',
)


def supporter_rows(count: int) -> list[dict[str, str]]:
    """``count`` supporters spread over the 19 electoral districts, some by id and some by name."""
    rows = []
    for index in range(count):
        district_id, district_name, _ = DISTRICTS[index % len(DISTRICTS)]
        rows.append({
            "id": f"u-{index:05d}",
            "name": f"{FIRST[index % len(FIRST)]} {LAST[(index // len(FIRST)) % len(LAST)]}",
            "email": f"underskriver{index}@example.org",
            # Organisers write the district as the Storting's id or as its name, in any case.
            "county": district_id if index % 3 else district_name.upper() if index % 2 else district_name,
            "place": "" if index % 4 else "Fredrikstad",
            "personal_paragraph": PARAGRAPHS[index % len(PARAGRAPHS)],
            "language": "",
        })
    return rows
