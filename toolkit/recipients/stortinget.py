"""The Storting's open data: today's representatives from data.stortinget.no, live or from a saved answer.

The formats and their pitfalls are described in ../shared/reference/norway.md §1:

- XML in the namespace ``http://data.stortinget.no``, with ``i:nil="true"`` for empty elements;
- JSON as the API writes it (a ``dagensrepresentanter_liste`` array under the root), or as XML converted
  by xmltodict (``dagensrepresentanter_oversikt`` → ``dagensrepresentanter_liste`` → ``dagensrepresentant``,
  a single item not in a list, ``{"@i:nil": "true"}`` for empty elements);
- JSON dates as .NET ``/Date(ms+0100)/`` strings, where ms is negative before 1970;
- a sitting permanent deputy carries, in ``fast_vara_for``, a whole person element of the member being
  replaced, so only an item's own direct fields name the item.

Gender (``kjoenn``, text in XML and a number in JSON) and birth dates are not used and not read.
The data is published under NLOD, which asks that the Storting be named as the source (``SOURCE``).
"""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from toolkit import __version__
from toolkit.core.errors import FetchError, Problems, ToolkitError

URL = "https://data.stortinget.no/eksport/dagensrepresentanter"
SOURCE = "Stortinget, data.stortinget.no (NLOD)"
TIMEOUT_SECONDS = 30
MAX_BYTES = 20 * 1024 * 1024
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
DOTNET_DATE = re.compile(r"^/Date\((-?\d+)([+-])?(\d{2})?(\d{2})?\)/$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
UNCHANGED = "recipients.csv er ikke endret."


class RosterInvalid(ToolkitError):
    """A saved answer given with --file cannot be used; the message lists what is wrong."""

    exit_code = 2


class HttpStatusError(FetchError):
    """data.stortinget.no answered with an HTTP error status."""


@dataclass(frozen=True)
class Committee:
    id: str
    name: str


@dataclass(frozen=True)
class Representative:
    """One member of the Storting as the open data describes them today."""

    person_id: str
    first_name: str
    last_name: str
    party: str
    party_name: str
    county: str
    county_name: str
    committees: tuple[Committee, ...]
    email: str = ""
    deputy: bool = False
    deputy_for: str = ""  # the name of the member a permanent deputy stands in for

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Roster:
    """Today's representatives, with the date the Storting produced the data (None if it gives none)."""

    representatives: tuple[Representative, ...]
    data_date: date | None
    # Where data_date comes from: "svaret" (the answer's own date), "filen" (an undated saved answer's
    # modification date, when it is older than today), or "" (no date at all: the rows get none).
    date_from: str = "svaret"


def parse_api_date(value) -> date | None:
    """Read an API date: .NET ``/Date(ms±hhmm)/`` (ms may be negative) or ISO ``2026-11-20T10:00:00``.

    The placeholder year 1 (``0001-01-01``, "no date") gives None.
    """
    text = _scalar(value)
    match = DOTNET_DATE.match(text)
    try:
        if match:
            milliseconds, sign, hours, minutes = match.groups()
            offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
            # The milliseconds count from 1970 in UTC; the offset only says which local day it was.
            moment = datetime(1970, 1, 1) + timedelta(milliseconds=int(milliseconds))
            moment = moment - offset if sign == "-" else moment + offset
            result = moment.date()
        else:
            result = date.fromisoformat(text[:10])
    except (ValueError, OverflowError):
        return None
    return None if result.year <= 1 else result


def _is_nil(value: dict) -> bool:
    return any(
        str(key).lstrip("@").rpartition(":")[2] == "nil" and str(flag).lower() == "true"
        for key, flag in value.items()
    )


def _scalar(value) -> str:
    """A field's text, whatever shape it came in: a JSON value, xmltodict's dict, or nil."""
    if isinstance(value, dict):
        if _is_nil(value):
            return ""
        value = value.get("#text")
    if value is None or isinstance(value, (list, dict)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return CONTROL.sub(" ", str(value)).strip()


def _mapping(value) -> dict | None:
    if isinstance(value, dict) and not _is_nil(value):
        return value
    return None


def _items(value, item_key: str) -> list:
    """A list field: a JSON array, xmltodict's ``{item_key: [...]}`` or ``{item_key: {...}}``, or nil."""
    if isinstance(value, dict):
        if _is_nil(value):
            return []
        value = value.get(item_key, [])
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _xml_value(element):
    """Turn an XML element into the JSON shape: nil → None, ``*_liste`` → list, leaf → text."""
    if element.get(XSI_NIL) == "true":
        return None
    children = list(element)
    tag = element.tag.rpartition("}")[2]
    if tag.endswith("_liste"):
        return [_xml_value(child) for child in children]
    if not children:
        return (element.text or "").strip()
    return {child.tag.rpartition("}")[2]: _xml_value(child) for child in children}


def _load(data: bytes, label: str, problems: Problems):
    """Decode an answer as XML or JSON, whichever it is; record a syntax error with its line."""
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        import xml.etree.ElementTree as ElementTree

        try:
            root = ElementTree.fromstring(data)
        except ElementTree.ParseError as exc:
            problems.error(label, f"Ugyldig XML: {exc}.", "Lagre svaret på nytt, uendret.", line=exc.position[0])
            return None
        return {root.tag.rpartition("}")[2]: _xml_value(root)}
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        problems.error(label, "Filen er verken XML eller JSON i UTF-8.", "Lagre svaret fra data.stortinget.no uendret.")
    except json.JSONDecodeError as exc:
        problems.error(label, f"Ugyldig JSON: {exc.msg}.", "Lagre svaret på nytt, uendret.", line=exc.lineno)
    return None


def parse_roster(data: bytes, label: str, problems: Problems) -> Roster | None:
    """Read a ``dagensrepresentanter`` answer (XML, or JSON in either shape); record every problem."""
    document = _load(data, label, problems)
    if document is None:
        return None
    root = document.get("dagensrepresentanter_oversikt", document) if isinstance(document, dict) else None
    if not isinstance(root, dict) or "dagensrepresentanter_liste" not in root:
        problems.error(
            label, "Dette er ikke en liste over dagens representanter (dagensrepresentanter_liste mangler).",
            f"Bruk svaret fra {URL}.",
        )
        return None
    items = _items(root["dagensrepresentanter_liste"], "dagensrepresentant")
    representatives: list[Representative] = []
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        representative = _representative(item, number, label, problems)
        if representative is None:
            continue
        if representative.person_id in seen:
            problems.error(label, f"Representant nr. {number}: id-en «{representative.person_id}» står to ganger.", field="id")
            continue
        seen.add(representative.person_id)
        representatives.append(representative)
    if not items:
        problems.error(label, "Listen over representanter er tom.", f"Bruk svaret fra {URL}.")
    return Roster(tuple(representatives), parse_api_date(root.get("respons_dato_tid")))


def _representative(item, number: int, label: str, problems: Problems) -> Representative | None:
    item = _mapping(item)
    if item is None:
        problems.error(label, f"Representant nr. {number} er tom.")
        return None
    person_id = _scalar(item.get("id"))
    where = f"Representant nr. {number}" + (f" (id «{person_id}»)" if person_id else "")
    county = _mapping(item.get("fylke")) or {}
    party = _mapping(item.get("parti")) or {}
    fields = {
        "id": person_id,
        "fornavn": _scalar(item.get("fornavn")),
        "etternavn": _scalar(item.get("etternavn")),
        "fylke": _scalar(county.get("id")),
    }
    missing = [name for name, value in fields.items() if not value]
    for name in missing:
        problems.error(label, f"{where}: «{name}» mangler.", f"Svaret ser ufullstendig ut; hent det på nytt fra {URL}.", field=name)
    if missing:
        return None
    committees = []
    for committee in _items(item.get("komiteer_liste"), "komite"):
        committee = _mapping(committee) or {}
        committee_id = _scalar(committee.get("id"))
        if committee_id:
            committees.append(Committee(committee_id, _scalar(committee.get("navn")) or committee_id))
    replaced = _mapping(item.get("fast_vara_for"))
    replaced_name = " ".join(filter(None, (_scalar(replaced.get("fornavn")), _scalar(replaced.get("etternavn"))))) if replaced else ""
    return Representative(
        person_id=person_id,
        first_name=fields["fornavn"],
        last_name=fields["etternavn"],
        party=_scalar(party.get("id")),
        party_name=_scalar(party.get("navn")),
        county=fields["fylke"],
        county_name=_scalar(county.get("navn")) or fields["fylke"],
        committees=tuple(committees),
        email=_scalar(item.get("epost")),
        deputy=_scalar(item.get("vara_representant")).lower() == "true" or replaced is not None,
        deputy_for=replaced_name,
    )


def read_roster_file(path: Path) -> Roster:
    """Read a saved ``dagensrepresentanter`` answer; a file we cannot use stops with its problems listed."""
    path = Path(path)
    problems = Problems()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterInvalid(f"Filen {path} kan ikke leses: {exc.strerror}. Sjekk stien etter --file. {UNCHANGED}") from None
    roster = parse_roster(data, path.name, problems)
    if problems.errors or roster is None:  # (None comes with its errors)
        shown = "\n".join(f"  {problem}" for problem in problems.errors[:10])
        more = f"\n  … og {len(problems.errors) - 10} til." if len(problems.errors) > 10 else ""
        raise RosterInvalid(f"Filen {path} kan ikke brukes:\n{shown}{more}\n{UNCHANGED}")
    if roster.data_date is None:
        # An undated saved answer is at least as old as the file: its date, when it is before today, is
        # an honest upper bound. A file saved today tells nothing: the rows get no date at all.
        from dataclasses import replace

        saved = date.fromtimestamp(path.stat().st_mtime)
        if saved < date.today():
            return replace(roster, data_date=saved, date_from="filen")
        return replace(roster, date_from="")
    return roster


def _get(url: str, timeout: float, accept: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": f"campaign-toolkit/{__version__}"})
    advice = f"Prøv igjen senere, eller lagre svaret fra {URL} i en nettleser og bruk --file FIL. {UNCHANGED}"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - a fixed https URL
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise HttpStatusError(f"data.stortinget.no svarte med feilkode {exc.code} ({exc.reason}). {advice}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise FetchError(f"data.stortinget.no svarte ikke innen {timeout:g} sekunder. {advice}") from None
        raise FetchError(
            f"Fikk ikke kontakt med data.stortinget.no ({exc.reason}). Sjekk nettforbindelsen. {advice}"
        ) from None
    except (TimeoutError, socket.timeout):
        raise FetchError(f"data.stortinget.no svarte ikke innen {timeout:g} sekunder. {advice}") from None
    except OSError as exc:
        raise FetchError(f"Forbindelsen til data.stortinget.no ble brutt ({exc}). {advice}") from None
    except Exception as exc:  # noqa: BLE001 - http.client's errors for a broken answer have no common base
        raise FetchError(f"data.stortinget.no ga et ødelagt svar ({type(exc).__name__}). {advice}") from None
    if len(data) > MAX_BYTES:
        raise FetchError(f"Svaret fra data.stortinget.no er større enn {MAX_BYTES // (1024 * 1024)} MB. {advice}")
    return data


def download_roster(url: str | None = None, timeout: float = TIMEOUT_SECONDS) -> Roster:
    """Fetch today's representatives (from ``URL`` unless told otherwise): JSON first, XML if the JSON
    answer cannot be used."""
    url = url or URL
    failures: list[str] = []
    for address, accept in ((f"{url}?format=json", "application/json"), (url, "text/xml")):
        try:
            data = _get(address, timeout, accept)
        except HttpStatusError as exc:
            # An error status on the JSON address may be JSON's alone; a dead line is dead for both.
            if accept != "application/json":
                raise
            failures.append(str(exc).split(". ")[0])
            continue
        problems = Problems()
        roster = parse_roster(data, "svaret", problems)
        if roster is not None and not problems.errors:
            return roster
        failures.append(str(problems.errors[0]))
    raise FetchError(
        f"Svaret fra data.stortinget.no hadde ikke den formen verktøyet kjenner ({'; '.join(failures)}). "
        f"Prøv igjen senere, eller meld fra til utviklerne. {UNCHANGED}"
    )
