"""The SMTP settings `toolkit send` uses, checked in one place: campaign.yaml's smtp block with the command
line's overrides applied. Each problem names where the value came from: the field and line in campaign.yaml,
or the option (``--smtp-port``) that set it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import replace

from toolkit.core.campaign import CONTROL, WEEKDAYS, parse_time
from toolkit.core.errors import CampaignInvalid, Problem, Problems
from toolkit.core.model import Campaign, SmtpSettings
from toolkit.core.sources import LineDict

# The settings `toolkit send` lets the command line override, and the option that does.
OPTIONS = {
    "host": "--smtp-host", "port": "--smtp-port", "security": "--security", "user": "--smtp-user",
    "rate_per_minute": "--rate",
}
COMMAND_LINE = "kommandolinjen"  # the "file" of a problem in an option
SECURITY = ("starttls", "ssl", "none")
USUAL_PORTS = {"starttls": 587, "ssl": 465}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
RANGES = {"port": (1, 65535), "rate_per_minute": (0, 10000), "timeout": (1, 600)}
# One part of a server name between dots: letters (also æøå, for an internationalised name), digits,
# hyphens and underscores, not starting or ending with a hyphen.
HOST_LABEL = re.compile(r"(?!-)[\w-]{1,63}(?<!-)")


class SmtpSettingsInvalid(CampaignInvalid):
    """The settings `toolkit send` would use cannot be used; ``problems`` names the field or the option of each."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        errors = sum(1 for p in problems if p.severity == "error")
        self.args = (f"SMTP-innstillingene har {errors} feil.",)


def with_overrides(settings: SmtpSettings, *, host: str | None = None, port: int | None = None,
                   security: str | None = None, user: str | None = None,
                   rate_per_minute: int | None = None) -> tuple[SmtpSettings, dict[str, str]]:
    """The settings with the command line's values applied (None = not given), and field -> option of each one given."""
    given = {"host": host, "port": port, "security": security, "user": user, "rate_per_minute": rate_per_minute}
    merged = replace(
        settings,
        host=settings.host if host is None else host,
        port=settings.port if port is None else port,
        security=settings.security if security is None else security,
        user=settings.user if user is None else user,
        rate_per_minute=settings.rate_per_minute if rate_per_minute is None else rate_per_minute,
    )
    return merged, {key: OPTIONS[key] for key, value in given.items() if value is not None}


def valid_host(host: str) -> bool:
    """A name or address smtplib can connect to: no scheme, port, space or path."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    return 0 < len(name) <= 253 and all(HOST_LABEL.fullmatch(label) for label in name.split("."))


def check_smtp_settings(campaign: Campaign, problems: Problems, settings: SmtpSettings | None = None,
                        options: Mapping[str, str] | None = None, *, sending: bool = False) -> None:
    """Record every problem with the SMTP settings that would make sending fail or leak.

    ``settings`` are campaign.smtp with the command line's overrides applied (default: campaign.smtp alone);
    ``options`` maps each overridden field to its option, so that its problem names the option. With
    ``sending``, what only sending needs is required too (a server); a dry run and validate do without.
    `toolkit validate` (and so every command) checks campaign.yaml; `toolkit send` checks again after its options.
    """
    smtp = campaign.smtp if settings is None else settings
    options = options or {}
    config = campaign.config.get("smtp")
    data = config if isinstance(config, LineDict) else LineDict()
    window_data = data.get("window")
    window_lines = window_data if isinstance(window_data, LineDict) else LineDict()

    def report(severity: str, key: str, message: str, hint: str = "", in_window: bool = False) -> None:
        add = problems.error if severity == "error" else problems.warning
        if not in_window and key in options:
            add(COMMAND_LINE, message, hint, field=options[key])
            return
        section, prefix = (window_lines, "smtp.window") if in_window else (data, "smtp")
        add("campaign.yaml", message, hint, line=section.line_of(key) or None, field=f"{prefix}.{key}")

    if "password" in data:
        report("error", "password", "Passord skal aldri stå i en fil.",
               "Fjern linjen; toolkit send leser passordet fra nøkkelringen eller TOOLKIT_SMTP_PASSWORD.")
    if sending and not smtp.host:
        report("error", "host", "Mangler SMTP-server.", "Sett smtp.host i campaign.yaml, eller bruk --smtp-host.")
    if smtp.host and not valid_host(smtp.host):
        report("error", "host", f"«{smtp.host}» er ikke et gyldig servernavn.",
               "Skriv bare navnet, for eksempel smtp.example.org: uten «smtp://», mellomrom og portnummer.")
    if CONTROL.search(smtp.user):
        report("error", "user", "Inneholder linjeskift eller kontrolltegn.", "Skriv verdien på én linje.")
    security_valid = smtp.security in SECURITY
    if not security_valid:
        report("error", "security", f"«{smtp.security}» er ikke en gyldig verdi.", "Bruk starttls, ssl eller none.")
    for key, (low, high) in RANGES.items():
        value = getattr(smtp, key)
        if not low <= value <= high:
            report("error", key, f"Tallet {value} er utenfor det tillatte ({low}–{high}).")
    if smtp.window:
        _check_window(smtp, report)
    if security_valid and smtp.port in USUAL_PORTS.values() and USUAL_PORTS.get(smtp.security) not in (None, smtp.port):
        other = next(name for name, port in USUAL_PORTS.items() if port == smtp.port)
        report("warning", "port", f"Port {smtp.port} brukes vanligvis med security: {other}, ikke {smtp.security}.",
               "Sjekk leverandørens oppsett: 587 med starttls, 465 med ssl.")
    if smtp.security == "none" and smtp.user and smtp.host not in LOCAL_HOSTS:
        report("warning", "security", "Med security: none går passordet ukryptert over nettet.", "Bruk starttls eller ssl.")


def _check_window(smtp: SmtpSettings, report) -> None:
    window = smtp.window
    assert window is not None
    unknown = [day for day in window.days if day not in WEEKDAYS]
    if unknown:
        report("error", "days", f"Ukjente dager: {', '.join(unknown)}.", f"Bruk {', '.join(WEEKDAYS)}.", in_window=True)
    start, end = parse_time(window.start), parse_time(window.end)
    for key, value, parsed in (("start", window.start, start), ("end", window.end, end)):
        if parsed is None:
            report("error", key, f"«{value}» er ikke et klokkeslett.", "Skriv det som TT:MM, for eksempel \"08:00\".",
                   in_window=True)
    if start is not None and end is not None and end <= start:
        report("error", "end", f"Sendevinduet slutter ({window.end}) før det starter ({window.start}).",
               "Et vindu kan ikke gå over midnatt; skriv for eksempel start: \"08:00\" og end: \"18:00\".", in_window=True)
