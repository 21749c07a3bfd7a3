"""A small iCalendar (RFC 5545) writer: the few things the post calendar needs, without a library.

The icalendar package took a fifth of a build to import and fill. The output here is what it
wrote for the same events, byte for byte for the campaign's time zone (tests/test_calendar_exports.py
compares the two): TEXT escaping, lines folded at 75 octets without splitting a character or an
escape, CRLF line ends, and a VTIMEZONE with the offset changes of the years the events fall in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

FOLD_OCTETS = 75
# How the offset changes are found: whole spans first, then ever finer steps up to the change.
_SEARCH_STEPS = [timedelta(days=d) for d in (64, 32, 16, 8, 4, 2, 1)] + [
    timedelta(hours=4), timedelta(hours=1), timedelta(minutes=20), timedelta(minutes=5), timedelta(minutes=1),
    timedelta(seconds=20), timedelta(seconds=5), timedelta(seconds=1),
]


def escape_text(text: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, every line break as ``\\n``."""
    return (text.replace("\\N", "\n").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold a content line into lines of under 75 octets, never inside a character or after a lone backslash."""
    if len(line) < FOLD_OCTETS // 4 or len(line.encode("utf-8")) < FOLD_OCTETS:
        return line
    parts: list[str] = []
    start = size = 0
    for index, char in enumerate(line):
        width = 1 if char < "\x80" else len(char.encode("utf-8"))
        if index > start and size + width >= FOLD_OCTETS:
            # Keep an escape (\, or \n) on one line: some readers do not join it across a fold.
            if index - start > 1 and line[index - 1] in "\\^":
                parts.append(line[start:index - 1])
                start, size = index - 1, 1  # the backslash or caret, one octet
            else:
                parts.append(line[start:index])
                start, size = index, 0
        size += width
    parts.append(line[start:])
    return "\r\n ".join(parts)


def format_date(value: date) -> str:
    return f"{value.year:04}{value.month:02}{value.day:02}"


def format_datetime(value: datetime) -> str:
    """Local time as written in the file (``20261125T080000``); the zone goes in TZID or as a final Z."""
    return f"{format_date(value)}T{value.hour:02}{value.minute:02}{value.second:02}"


def format_offset(offset: timedelta) -> str:
    sign = "-" if offset < timedelta(0) else "+"
    seconds = abs(int(offset.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02}{minutes:02}" + (f"{seconds:02}" if seconds else "")


def is_utc(zone_name: str, first: date, last: date) -> bool:
    """A zone at UTC all along (UTC, GMT, Atlantic/Reykjavik, …) is written as UTC, with no VTIMEZONE."""
    spans = _offset_changes(ZoneInfo(zone_name), first, last)
    return list(spans) == [(None, timedelta(0), next(iter(spans))[2], True)]


def datetime_property(name: str, value: datetime, zone_name: str | None) -> str:
    """``DTSTART;TZID=Europe/Oslo:20261125T080000``, or ``DTSTAMP:20261125T070000Z`` with no zone (UTC)."""
    if zone_name is None:
        return f"{name}:{format_datetime(value.astimezone(timezone.utc))}Z"
    return f"{name};TZID={zone_name}:{format_datetime(value)}"


def _offset_changes(zone: ZoneInfo, first: date, last: date) -> dict[tuple, list[datetime]]:
    """Each span of one UTC offset between two dates, keyed (offset before, offset, name, standard?)."""
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end_of_range = datetime(last.year, last.month, last.day, tzinfo=zone)
    spans: dict[tuple, list[datetime]] = {}
    offset = None
    while start < end_of_range:
        before, offset = offset, start.utcoffset()
        end = start
        for step in _SEARCH_STEPS:
            last_end = end
            end = end + step
            try:
                while end.utcoffset() == offset:
                    last_end, end = end, end + step
            except OverflowError:
                break
            end = last_end
        key = (before, offset, start.tzname() or str(offset), start.dst() == timedelta())
        spans.setdefault(key, []).append(start.replace(tzinfo=None))
        start = end + _SEARCH_STEPS[-1]
    return spans


def vtimezone(zone_name: str, first: date, last: date) -> list[str]:
    """The VTIMEZONE lines for ``zone_name`` between two dates."""
    lines = ["BEGIN:VTIMEZONE", f"TZID:{escape_text(zone_name)}"]
    for (before, offset, name, standard), starts in _offset_changes(ZoneInfo(zone_name), first, last).items():
        first_start = min(starts)
        starts.remove(first_start)
        if first_start.date() == last:
            first_start = datetime(last.year, last.month, last.day)
        kind = "STANDARD" if standard else "DAYLIGHT"
        lines += [f"BEGIN:{kind}", f"DTSTART:{format_datetime(first_start)}"]
        if starts:
            lines.append("RDATE:" + ",".join(format_datetime(s) for s in starts))
        lines += [
            f"TZNAME:{escape_text(name)}",
            f"TZOFFSETFROM:{format_offset(offset if before is None else before)}",
            f"TZOFFSETTO:{format_offset(offset)}",
            f"END:{kind}",
        ]
    lines.append("END:VTIMEZONE")
    return lines


def to_bytes(lines: list[str]) -> bytes:
    """The file: every line folded, CRLF after each."""
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
