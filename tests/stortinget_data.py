"""Made-up answers from the Storting's `dagensrepresentanter` service, written for the tests.

NOT REAL DATA. Every person here is invented (names put together from common Norwegian first names and
made-up surnames; any likeness to a real person is accidental), and so are their person ids and e-mail
addresses. What is real is the shape: the element names, the XML namespace and ``i:nil`` elements, the
.NET ``/Date(…)/`` dates with negative values before 1970, ``kjoenn`` as text in XML and a number in JSON,
permanent deputies with ``fast_vara_for``, non-ASCII ids (``Øs``, ``NÆRING``) and both JSON shapes, as
described in ../shared/reference/norway.md §1. The numbers follow the 2025 election (§1.4): 169 seats
over 19 districts, and A 53, FrP 47, H 24, SV 9, Sp 9, R 9, MDG 8, KrF 7, V 3.

Run ``python tests/stortinget_data.py FOLDER`` to write the three files for a look.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

LABEL = "Skrevet for toolkit-testene: oppdiktede personer, IKKE ekte data fra Stortinget."
RESPONSE_DATE = date(2026, 11, 20)

DISTRICTS = (  # id, name, seats in 2025 (norway.md §1.4)
    ("Øs", "Østfold", 9), ("Ak", "Akershus", 20), ("Os", "Oslo", 20), ("He", "Hedmark", 7),
    ("Op", "Oppland", 6), ("Bu", "Buskerud", 8), ("Ve", "Vestfold", 7), ("Te", "Telemark", 6),
    ("AA", "Aust-Agder", 4), ("VA", "Vest-Agder", 6), ("Ro", "Rogaland", 14), ("Ho", "Hordaland", 16),
    ("SF", "Sogn og Fjordane", 4), ("MR", "Møre og Romsdal", 8), ("ST", "Sør-Trøndelag", 10),
    ("NT", "Nord-Trøndelag", 5), ("No", "Nordland", 9), ("Tr", "Troms", 6), ("Fi", "Finnmark", 4),
)
PARTIES = (  # id, name, seats 2025–2029
    ("A", "Arbeiderpartiet", 53), ("FrP", "Fremskrittspartiet", 47), ("H", "Høyre", 24),
    ("SV", "Sosialistisk Venstreparti", 9), ("Sp", "Senterpartiet", 9), ("R", "Rødt", 9),
    ("MDG", "Miljøpartiet De Grønne", 8), ("KrF", "Kristelig Folkeparti", 7), ("V", "Venstre", 3),
)
COMMITTEES = (
    ("JUSTIS", "Justiskomiteen"), ("UFK", "Utenriks- og forsvarskomiteen"),
    ("KOMMFORV", "Kommunal- og forvaltningskomiteen"), ("FAMKULT", "Familie- og kulturkomiteen"),
    ("ARBSOS", "Arbeids- og sosialkomiteen"), ("HELSEOMS", "Helse- og omsorgskomiteen"),
    ("UFO", "Utdannings- og forskningskomiteen"), ("FINANS", "Finanskomiteen"),
    ("KONTROLL", "Kontroll- og konstitusjonskomiteen"), ("ENERGI", "Energi- og miljøkomiteen"),
    ("NÆRING", "Næringskomiteen"), ("TRANSKOM", "Transport- og kommunikasjonskomiteen"),
)
EXTENDED = ("UUFK", "Den utvidede utenriks- og forsvarskomité")
WOMEN = ("Åse", "Ingrid", "Bjørg", "Sølvi", "Ragnhild", "Kjærsti", "Mari", "Gro", "Tone", "Liv", "Siv", "Marte", "Åshild")
MEN = ("Øystein", "Kåre", "Håkon", "Jørgen", "Bjørnar", "Tor", "Sæmund", "Sverre", "Ola", "Pål", "Asbjørn", "Even")
SURNAMES = (
    "Ærlighaug", "Løvstrand", "Bråtevik", "Sølvberg", "Kjærnesli", "Åsmyrdal", "Østerlid", "Grønnlivik",
    "Fjellstø", "Hølmebakken", "Myrvågnes", "Tjønnåsen", "Rødbergli", "Vassbøtten", "Lindgjerdet",
)
DEPUTIES = 5  # permanent deputies sitting for a member (fast_vara_for)
WITH_EMAIL = 3  # items with an <epost> element, which real answers have not been seen to carry


@dataclass
class Person:
    person_id: str
    first_name: str
    last_name: str
    woman: bool
    born: date
    county: tuple[str, str]
    party: tuple[str, str]
    committees: list[tuple[str, str]] = field(default_factory=list)
    email: str = ""
    deputy_for: "Person | None" = None


def people() -> list[Person]:
    """169 invented representatives, the same every time."""
    seats = [(district_id, name) for district_id, name, count in DISTRICTS for _ in range(count)]
    parties = [(party_id, name) for party_id, name, count in PARTIES for _ in range(count)]
    # Spread the parties over the districts the way a stride does: every district gets a mix.
    parties = [parties[(index * 37) % len(parties)] for index in range(len(parties))]
    assert len(seats) == len(parties) == 169 and len(set(parties)) == len(PARTIES)
    result: list[Person] = []
    used_ids: set[str] = set()
    names: set[str] = set()
    for index, (county, party) in enumerate(zip(seats, parties, strict=True)):
        woman = index % 2 == 0
        firsts = WOMEN if woman else MEN
        first = firsts[(index * 7) % len(firsts)]
        last = SURNAMES[(index * 5 + index // len(SURNAMES)) % len(SURNAMES)]
        while f"{first} {last}" in names:
            last = f"{last}-{SURNAMES[(index + len(names)) % len(SURNAMES)]}"
        names.add(f"{first} {last}")
        base = (first[:2] + last[:2]).upper()
        person_id, suffix = base, 1
        while person_id in used_ids:
            suffix += 1
            person_id = f"{base}{suffix}"
        used_ids.add(person_id)
        born = date(1950 + (index * 3) % 50, 1 + index % 12, 1 + index % 28)
        committee = COMMITTEES[index % len(COMMITTEES)]
        person = Person(person_id, first, last, woman, born, county, party, [committee])
        if committee[0] == "UFK" and index % 3 == 0:
            person.committees.append(EXTENDED)
        result.append(person)
    # The presidium's members sit in no ordinary committee: an empty list in the answer.
    result[1].committees = []
    for number, person in enumerate(result[10 : 10 + DEPUTIES]):
        person.deputy_for = Person(
            f"PERM{number}", ("Målfrid", "Tormod")[number % 2], f"{SURNAMES[number]}-Permisjon", number % 2 == 0,
            date(1960, 5, 17), person.county, person.party,
        )
    for person in result[20 : 20 + WITH_EMAIL]:
        person.email = f"representant-{person.person_id.encode('ascii', 'ignore').decode().lower()}@example.org"
    return result


def dotnet(value: date | datetime) -> str:
    """A .NET JSON date as the API writes it, with the Oslo offset; negative before 1970."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    moment = value.replace(tzinfo=timezone.utc)
    milliseconds = int((moment - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds() * 1000) - 3_600_000
    return f"/Date({milliseconds}+0100)/"


def _xml_person(person: Person, tag: str, indent: str) -> str:
    return (
        f"{indent}<{tag}>\n"
        f"{indent}  <versjon>1.6</versjon>\n"
        f"{indent}  <doedsdato>0001-01-01T00:00:00</doedsdato>\n"
        f"{indent}  <etternavn>{escape(person.last_name)}</etternavn>\n"
        f"{indent}  <foedselsdato>{person.born.isoformat()}T00:00:00</foedselsdato>\n"
        f"{indent}  <fornavn>{escape(person.first_name)}</fornavn>\n"
        f"{indent}  <id>{escape(person.person_id)}</id>\n"
        f"{indent}  <kjoenn>{'kvinne' if person.woman else 'mann'}</kjoenn>\n"
    )


def to_xml(persons: list[Person]) -> bytes:
    """The answer as the service writes XML (its default format)."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        f"<!-- {LABEL} -->\n",
        '<dagensrepresentanter_oversikt xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://data.stortinget.no">\n',
        f"  <respons_dato_tid>{RESPONSE_DATE.isoformat()}T10:15:00</respons_dato_tid>\n",
        "  <versjon>1.6</versjon>\n",
        "  <dagensrepresentanter_liste>\n",
    ]
    for person in persons:
        out.append(_xml_person(person, "dagensrepresentant", "    "))
        if person.email:
            out.append(f"      <epost>{escape(person.email)}</epost>\n")
        out.append(f"      <fylke><versjon>1.6</versjon><id>{person.county[0]}</id><navn>{escape(person.county[1])}</navn></fylke>\n")
        out.append(f"      <parti><versjon>1.6</versjon><id>{person.party[0]}</id><navn>{escape(person.party[1])}</navn></parti>\n")
        if person.deputy_for:
            out.append(_xml_person(person.deputy_for, "fast_vara_for", "      "))
            out.append("      </fast_vara_for>\n")
        else:
            out.append('      <fast_vara_for i:nil="true" />\n')
        if person.committees:
            out.append("      <komiteer_liste>\n")
            for committee_id, name in person.committees:
                out.append(f"        <komite><versjon>1.6</versjon><id>{committee_id}</id><navn>{escape(name)}</navn></komite>\n")
            out.append("      </komiteer_liste>\n")
        else:
            out.append("      <komiteer_liste />\n")
        out.append('      <vara_for i:nil="true" />\n')
        out.append(f"      <vara_representant>{'true' if person.deputy_for else 'false'}</vara_representant>\n")
        out.append("    </dagensrepresentant>\n")
    out.append("  </dagensrepresentanter_liste>\n</dagensrepresentanter_oversikt>\n")
    return "".join(out).encode("utf-8")


def _json_person(person: Person) -> dict:
    return {
        "respons_dato_tid": dotnet(datetime(2026, 11, 20, 10, 15)),
        "versjon": "1.6",
        "doedsdato": "/Date(-62135596800000)/",
        "etternavn": person.last_name,
        "foedselsdato": dotnet(person.born),
        "fornavn": person.first_name,
        "id": person.person_id,
        "kjoenn": 1 if person.woman else 2,
    }


def to_json(persons: list[Person]) -> bytes:
    """The answer to ``?format=json``: the list directly under the root, ``kjoenn`` as a number."""
    items = []
    for person in persons:
        item = _json_person(person)
        if person.email:
            item["epost"] = person.email
        item.update({
            "fylke": {"id": person.county[0], "navn": person.county[1], "versjon": "1.6"},
            "parti": {"id": person.party[0], "navn": person.party[1], "versjon": "1.6"},
            "fast_vara_for": _json_person(person.deputy_for) if person.deputy_for else None,
            "komiteer_liste": [{"id": c, "navn": n, "versjon": "1.6"} for c, n in person.committees],
            "vara_for": None,
            "vara_representant": bool(person.deputy_for),
        })
        items.append(item)
    document = {
        "_merknad": LABEL,
        "respons_dato_tid": dotnet(datetime(2026, 11, 20, 10, 15)),
        "versjon": "1.6",
        "dagensrepresentanter_liste": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def to_xmltodict_json(persons: list[Person]) -> bytes:
    """The XML converted to JSON by xmltodict, as some saved copies online are: nesting kept, one
    committee as an object rather than a list, nil as ``{"@i:nil": "true"}``, every value a string."""

    def person_fields(person: Person) -> dict:
        return {
            "versjon": "1.6", "doedsdato": "0001-01-01T00:00:00", "etternavn": person.last_name,
            "foedselsdato": f"{person.born.isoformat()}T00:00:00", "fornavn": person.first_name,
            "id": person.person_id, "kjoenn": "kvinne" if person.woman else "mann",
        }

    items = []
    for person in persons:
        item = person_fields(person)
        if person.email:
            item["epost"] = person.email
        committees = [{"versjon": "1.6", "id": c, "navn": n} for c, n in person.committees]
        item.update({
            "fylke": {"versjon": "1.6", "id": person.county[0], "navn": person.county[1]},
            "parti": {"versjon": "1.6", "id": person.party[0], "navn": person.party[1]},
            "fast_vara_for": person_fields(person.deputy_for) if person.deputy_for else {"@i:nil": "true"},
            "komiteer_liste": None if not committees else {"komite": committees[0] if len(committees) == 1 else committees},
            "vara_for": {"@i:nil": "true"},
            "vara_representant": "true" if person.deputy_for else "false",
        })
        items.append(item)
    document = {
        "_merknad": LABEL,
        "dagensrepresentanter_oversikt": {
            "@xmlns:i": "http://www.w3.org/2001/XMLSchema-instance",
            "@xmlns": "http://data.stortinget.no",
            "respons_dato_tid": f"{RESPONSE_DATE.isoformat()}T10:15:00",
            "versjon": "1.6",
            "dagensrepresentanter_liste": {"dagensrepresentant": items},
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def changed(persons: list[Person]) -> list[Person]:
    """A later answer: one member left, one came in, one changed committee."""
    later = [replace(p, committees=list(p.committees)) for p in persons]
    later.pop(0)
    later[5].committees = [("NÆRING", "Næringskomiteen")]
    later.append(Person("NYÅ", "Nyvalgte", "Åsbøen", True, date(1990, 3, 8), ("Fi", "Finnmark"), ("SV", "Sosialistisk Venstreparti"),
                        [("JUSTIS", "Justiskomiteen")]))
    return later


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    folder.mkdir(parents=True, exist_ok=True)
    persons = people()
    (folder / "dagensrepresentanter-test.xml").write_bytes(to_xml(persons))
    (folder / "dagensrepresentanter-test.json").write_bytes(to_json(persons))
    (folder / "dagensrepresentanter-test-xmltodict.json").write_bytes(to_xmltodict_json(persons))
    print(f"Skrev tre testfiler i {folder} ({LABEL})")
