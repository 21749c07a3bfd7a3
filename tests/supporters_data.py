"""Made-up supporters for the tests and the benchmark. NOT REAL PEOPLE: every name and address is invented,
and the addresses use example.org, which is reserved for examples and reaches no one."""

from __future__ import annotations

from stortinget_data import DISTRICTS

FIRST = ("Åsa", "Bjørn", "Kari", "Øyvind", "Signe", "Pål", "Ingebjørg", "Tore", "Hanne", "Jan Erik", "Trude", "Ævar")
LAST = ("Nordmann", "Bakkeløkken", "Strømsø", "Dæhlie-Eksempel", "Kvåle", "Ødegårdsli", "Fiktiv", "Haugeåsen")
WORDS = (
    "kvinner jenter menneskehandel utnytting hjelp trygghet politiet skolen arbeid helse familie nabolaget "
    "bussen byen bygda fjorden vinteren sommeren legevakten kommunen venninne søster mor datter lærer "
    "sykepleier frivillig krisesenteret telefonen penger gjelda passet løftet jobben reisen flyktning grensen "
    "språket tilliten frykten håpet rettighetene loven dommen straffen oppholdet boligen framtida butikken "
    "kirken biblioteket idrettslaget fabrikken båten hotellet restauranten rengjøringen gården sjøen "
    "kontoret avisa radioen naboen kollegaen kusinen bestemor"
).split()


def personal_paragraph(index: int) -> str:
    """A made-up paragraph of six sentences, different for every supporter, with a few & < « » in it."""
    import random

    rng = random.Random(index)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(10)).capitalize() + "." for _ in range(6)]
    if index % 5 == 0:
        sentences[2] = "Jeg har sett «hjelp & trygghet» <forsvinne> for folk i nærheten."
    return " ".join(sentences)


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
            # Every fourth supporter has not written their paragraph yet: they get a draft, not an e-mail.
            "personal_paragraph": "" if index % 4 == 2 else personal_paragraph(index),
            "language": "",
        })
    return rows
