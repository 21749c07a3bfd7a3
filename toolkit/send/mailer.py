"""Sending rendered e-mails over SMTP: one connection, retries with backoff, a rate limit and a sending window.

The bytes `toolkit build` wrote go to the server unchanged. yagmail opens and logs in the
connection; its own ``send`` is not used, because it builds a new message from its arguments
(turning line breaks into ``<br>`` and attaching strings that look like file names, see
yagmail #116, #262), which would no longer be what was previewed.
"""

from __future__ import annotations

import base64
import os
import re
import smtplib
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from toolkit.core.campaign import WEEKDAYS
from toolkit.core.errors import ToolkitError
from toolkit.core.model import SendWindow, SmtpSettings
from toolkit.core.network import connection_problem, login_refused
from toolkit.core.templates import format_date, join_and, weekday
from toolkit.send.journal import FAILED, SENDING, Journal, JournalRow
from toolkit.send.outbox import Message

KEYRING_SERVICE = "toolkit-smtp"
PASSWORD_ENV = "TOOLKIT_SMTP_PASSWORD"
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 2.0
TIMEOUT_SECONDS = 60
LEADING_DOT = re.compile(rb"(?m)^\.")


class ServerError(ToolkitError):
    """The server cannot be used at all (refused, TLS, login, sender refused): the run stops."""


class OutsideWindow(ToolkitError):
    """It is outside the campaign's sending window."""


class TemporaryFailure(Exception):
    """The server did not take the message this time; a lost connection is closed, to be opened again."""


class PermanentFailure(Exception):
    """The server refused this message for good (a 5xx reply to the recipient or the data)."""


class UncertainDelivery(Exception):
    """The whole message went out, but the server's answer to it never came (or came as 421).

    The server may have stored it: it is never sent again without the organiser's say-so
    (``--resend-uncertain``), since a second copy to a minister is worse than a late one.
    """


def find_password(user: str) -> str | None:
    """The SMTP password from TOOLKIT_SMTP_PASSWORD or the system keyring; never from a file."""
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, user) or None
    except Exception:  # noqa: BLE001 - no keyring, a locked one or a broken backend: fall back to nothing
        return None


def password_help(user: str) -> str:
    return (
        f"Fant ikke passordet for {user}. Lagre det i systemets nøkkelring med «keyring set {KEYRING_SERVICE} {user}», "
        f"eller sett miljøvariabelen {PASSWORD_ENV} for denne økten. Passordet skal aldri stå i en fil."
    )


def describe(settings: SmtpSettings) -> str:
    return f"{settings.host}:{settings.port} ({settings.security})"


def _reply(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}".strip()


class SmtpConnection:
    """One SMTP connection, opened and logged in by yagmail, that sends rendered bytes unchanged."""

    def __init__(self, settings: SmtpSettings, password: str | None, *, ssl_context: ssl.SSLContext | None = None,
                 timeout: float = TIMEOUT_SECONDS):
        self.settings = settings
        self._password = password
        self._ssl_context = ssl_context
        self._timeout = timeout
        self._client: Any = None  # a yagmail.SMTP while open (yagmail has no type information)

    @property
    def is_open(self) -> bool:
        return self._client is not None

    def open(self) -> None:
        """Connect, secure and log in; ServerError for what a retry cannot fix, TemporaryFailure else."""
        # yagmail is imported where it is used: about 191 ms to import, too long for start-up.
        import yagmail

        settings = self.settings
        context = self._ssl_context or ssl.create_default_context()
        login = bool(settings.user)
        extra: dict[str, object] = {"timeout": self._timeout}
        if settings.security == "ssl":
            extra["context"] = context
        client = yagmail.SMTP(
            # A dict keeps yagmail from appending "@gmail.com" to a user name without "@".
            user={settings.user: settings.user},
            host=settings.host,
            port=settings.port,
            smtp_ssl=settings.security == "ssl",
            smtp_starttls={"context": context} if settings.security == "starttls" else False,
            # yagmail connects and secures; the login is ours, see log_in().
            smtp_skip_login=True,
            soft_email_validation=False,
            **extra,
        )
        client.set_logging(None)
        try:
            client.login()
            # Greet now, so that the session is up before any message is marked as being sent.
            client.smtp.ehlo_or_helo_if_needed()
            if login:
                log_in(client.smtp, settings.user, self._password or "")
        except BaseException as exc:
            client.is_closed = True
            _close_quietly(getattr(client, "smtp", None))
            if isinstance(exc, Exception):
                raise self._connect_error(exc) from None
            raise
        self._client = client

    def _connect_error(self, exc: Exception) -> Exception:
        where = f"SMTP-serveren {describe(self.settings)}"
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return ServerError(login_refused(where, self.settings.user, "smtp", _reply(exc.smtp_code, exc.smtp_error)))
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return ServerError(
                f"{where} støtter ikke det som trengs ({exc}). Sjekk «security» (starttls, ssl eller none) og porten: "
                "vanligvis 587 med starttls og 465 med ssl."
            )
        problem = connection_problem(exc, where, "smtp", "587 med starttls, 465 med ssl")
        if problem is not None:
            return ServerError(problem)
        if isinstance(exc, smtplib.SMTPResponseException) and 400 <= exc.smtp_code < 500:
            return TemporaryFailure(_reply(exc.smtp_code, exc.smtp_error))
        if isinstance(exc, smtplib.SMTPResponseException):
            return ServerError(f"{where} avviste forbindelsen: {_reply(exc.smtp_code, exc.smtp_error)}.")
        if isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError)):
            return TemporaryFailure(f"forbindelsen brutt: {exc}")
        if isinstance(exc, OSError):
            return ServerError(f"Kunne ikke koble til {where}: {exc.strerror or exc}. Sjekk servernavn, port og nettforbindelsen.")
        # Not the exception's text: it could quote the password it failed on.
        return ServerError(f"Kunne ikke koble til {where} ({type(exc).__name__}).")

    def send(self, envelope_from: str, address: str, data: bytes, before_data: Callable[[], None] = lambda: None) -> None:
        """Send one message; TemporaryFailure, PermanentFailure or ServerError when the server says no.

        The transaction is taken command by command rather than with ``sendmail`` so that
        ``before_data`` (waiting for the journal to record the message as being sent) runs while
        the server answers MAIL, RCPT and DATA, and only the message's content waits for it.
        The addresses come from the manifest, already checked, so smtplib's re-parsing of each
        one (``quoteaddr``) is skipped.

        At most once: a failure before the end of the data (``.``) has been sent is temporary, as is
        a 4xx answer to it (the server says it did not take the message); anything else after the
        end of the data (no answer within the timeout, a dropped connection, 421) raises
        UncertainDelivery, and the caller never sends that message again by itself.
        """
        smtp = self._client.smtp
        try:
            smtp.putcmd("mail", f"FROM:<{envelope_from}>")
            code, reply = smtp.getreply()
            if code != 250:
                self._refused(code, reply, sender=envelope_from)
            smtp.putcmd("rcpt", f"TO:<{address}>")
            code, reply = smtp.getreply()
            if code not in (250, 251):
                self._refused(code, reply)
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            if code != 354:
                self._refused(code, reply)
            before_data()
            if data.startswith(b".") or b"\n." in data:
                data = LEADING_DOT.sub(b"..", data)  # RFC 5321 4.5.2: a line's leading dot is doubled
            if not data.endswith(b"\r\n"):
                data += b"\r\n"
            # sendall: if this raises, the final ".\r\n" never fully left, so the server cannot
            # have taken the message and it may be tried again.
            smtp.send(data + b".\r\n")
        except (smtplib.SMTPException, OSError) as exc:
            # A dropped connection, a timeout or a reset before the end of the data: nothing was delivered.
            self.close()
            raise TemporaryFailure(f"forbindelsen brutt før e-posten var overført: {exc or type(exc).__name__}") from None
        # The end of the data has gone out: from here on the server may hold the message.
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            if isinstance(exc, TimeoutError) or "timed out" in str(exc):
                why = f"serveren svarte ikke innen {self._timeout:g} sekunder etter at hele e-posten var overført"
            else:
                why = f"forbindelsen ble brutt etter at hele e-posten var overført ({exc or type(exc).__name__})"
            raise UncertainDelivery(why) from None
        if code == 250:
            return
        if code == 421:
            # RFC 5321 3.8: a server being shut down answers 421 to whatever comes, stored or not.
            self.close()
            raise UncertainDelivery(
                f"serveren svarte {_reply(code, reply)} etter at hele e-posten var overført, og lukket forbindelsen"
            )
        self._refused(code, reply)  # 4xx: not taken, tried again; 5xx: refused for good

    def _refused(self, code: int, reply, sender: str | None = None):
        """Turn a refusal into the failure it is, leaving the connection ready for the next message."""
        if code == 421 or code < 400:
            self.close()  # 421: the server is closing the connection
        else:
            try:
                self._client.smtp.rset()
            except (smtplib.SMTPException, OSError):
                self.close()
        text = _reply(code, reply)
        if code < 500:
            raise TemporaryFailure(text)
        if sender is not None:
            # A refused sender is refused for every message: stop instead of failing them all.
            raise ServerError(
                f"SMTP-serveren {describe(self.settings)} avviste avsenderadressen {sender}: {text}. "
                "Sjekk organisation.email og smtp.user i campaign.yaml (serveren kan kreve innlogging, "
                "eller at avsenderen er kontoen du logger inn med)."
            )
        raise PermanentFailure(text)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.is_closed = True
            try:
                client.smtp.quit()
            except (smtplib.SMTPException, OSError):
                _close_quietly(client.smtp)


def log_in(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """Log in; a user name or password with letters like æøå is sent as UTF-8 (RFC 4616).

    smtplib encodes credentials as ASCII, so a password with "ø" in it could never log in.
    """
    if user.isascii() and password.isascii():
        smtp.login(user, password)
        return
    smtp.ehlo_or_helo_if_needed()
    mechanisms = smtp.esmtp_features.get("auth", "").upper().split()
    encode = lambda text: base64.b64encode(text.encode("utf-8")).decode("ascii")  # noqa: E731
    if "PLAIN" in mechanisms:
        code, reply = smtp.docmd("AUTH", "PLAIN " + encode(f"\0{user}\0{password}"))
    elif "LOGIN" in mechanisms:
        code, reply = smtp.docmd("AUTH", "LOGIN " + encode(user))
        if code == 334:
            code, reply = smtp.docmd(encode(password))
    else:
        raise smtplib.SMTPNotSupportedError("serveren tilbyr ikke innlogging med PLAIN eller LOGIN")
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, reply)


def _close_quietly(smtp) -> None:
    try:
        if smtp is not None:
            smtp.close()
    except OSError:
        pass


@dataclass
class Clock:
    """Time as the sender sees it; tests pass a fake one so that nothing really sleeps."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    sleep: Callable[[float], None] = time.sleep


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def window_opens(window: SendWindow | None, zone: str, moment: datetime) -> datetime | None:
    """None if sending is allowed at ``moment``, else when the window next opens (in the campaign's time zone)."""
    if window is None or not window.days:
        return None
    local = moment.astimezone(ZoneInfo(zone))
    start, end = _minutes(window.start), _minutes(window.end)
    now_minutes = local.hour * 60 + local.minute
    if WEEKDAYS[local.weekday()] in window.days and start <= now_minutes < end:
        return None
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        if WEEKDAYS[day.weekday()] not in window.days:
            continue
        opens = datetime(day.year, day.month, day.day, start // 60, start % 60, tzinfo=local.tzinfo)
        if opens > local:
            return opens
    return None


def outside_window(window: SendWindow, opens: datetime) -> OutsideWindow:
    return OutsideWindow(
        f"Det er utenfor sendevinduet ({describe_window(window)}). Det åpner {format_moment(opens)}. "
        "Kjør samme kommando da, eller legg til --wait for å vente; sendingen fortsetter der den slapp."
    )


def describe_window(window: SendWindow) -> str:
    """The window in words: "mandag, tirsdag, onsdag, torsdag og fredag kl. 08:00–18:00"."""
    from datetime import date

    monday = date(2024, 1, 1)
    days = [weekday(monday + timedelta(days=i)) for i, key in enumerate(WEEKDAYS) if key in window.days]
    return f"{join_and(days)} kl. {window.start}–{window.end}"


def format_moment(moment: datetime) -> str:
    """A moment in words: "mandag 30. november kl. 08:00"."""

    return f"{weekday(moment.date())} {format_date(moment.date(), with_year=False)} kl. {moment:%H:%M}"


@dataclass
class SendReport:
    """What one sending run did."""

    sent: list[Message] = field(default_factory=list)
    failed: list[tuple[Message, str]] = field(default_factory=list)
    # The whole message went out but its answer did not come: it may have arrived, and is not sent again.
    uncertain: list[tuple[Message, str]] = field(default_factory=list)
    retries: int = 0
    remaining: int = 0
    stop: ToolkitError | None = None  # why the run stopped before the end, if it did


@dataclass
class SendOptions:
    envelope_from: str
    rate_per_minute: int = 20
    window: SendWindow | None = None
    timezone: str = "Europe/Oslo"
    wait: bool = False
    max_attempts: int = MAX_ATTEMPTS
    backoff_seconds: float = BACKOFF_SECONDS
    # After this many uncertain messages in a row the server is taken to be broken and the run stops.
    max_uncertain_in_a_row: int = 3


def send_messages(
    messages: list[Message],
    journal: Journal,
    connection: SmtpConnection,
    options: SendOptions,
    *,
    clock: Clock | None = None,
    progress: Callable[[Message, str | None], None] | None = None,
    stop_requested: Callable[[], bool] = lambda: False,
) -> SendReport:
    """Send each message once, recording every step in the journal; never raises for a server's answer.

    A temporary failure (before the end of the data, or a 4xx answer) is retried with exponential
    backoff (reconnecting when the connection was lost); a permanent one marks the message failed
    and the run goes on. A message whose data went out whole but whose answer never came is
    *uncertain*: it stays "sending" in the journal with the reason, is never retried (in this run or
    a later one, unless the organiser asks with --resend-uncertain), and the run goes on. A server
    that cannot be used at all, or the end of the sending window, stops the run with the reason in
    ``report.stop``.
    """
    clock = clock or Clock()
    report = SendReport()
    journal.add_pending((m.message_id, m.recipient, m.address, m.file, m.sha256) for m in messages)
    interval = 60.0 / options.rate_per_minute if options.rate_per_minute else 0.0
    last_start: datetime | None = None
    # Accepted by the server but not yet recorded as sent: recorded together with the next
    # message's start when that follows at once, else on its own before any waiting.
    accepted: str | None = None
    index = 0
    uncertain_in_a_row = 0
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
    try:
        for index in range(len(messages)):  # the index stays for report.remaining when the run stops
            message = messages[index]
            if stop_requested():
                report.stop = ToolkitError("Sendingen ble stoppet. Kjør samme kommando på nytt for å fortsette.")
                break
            data = message.read()
            attempt = 0
            while True:
                opens = window_opens(options.window, options.timezone, clock.now())
                if accepted is not None and (interval or opens or not connection.is_open):
                    journal.mark_sent(accepted)
                    accepted = None
                if opens is not None and options.window is not None:
                    if not options.wait:
                        raise outside_window(options.window, opens)
                    clock.sleep(max(0.0, (opens - clock.now()).total_seconds()))
                    continue
                last_start = _pace(interval, last_start, clock)
                if not connection.is_open:
                    _open(connection, options, clock)
                attempt += 1
                # Recorded in the background while MAIL, RCPT and DATA go out; the content waits for it.
                recorded = background.submit(journal.start_sending, message.message_id, message.sha256, finished=accepted)
                accepted = None
                try:
                    try:
                        connection.send(options.envelope_from, message.address, data, before_data=recorded.result)
                    finally:
                        recorded.result()  # the journal is used by one thread at a time
                except TemporaryFailure as exc:
                    if attempt >= options.max_attempts:
                        journal.mark_failed(message.message_id, f"{exc} (etter {attempt} forsøk)")
                        report.failed.append((message, str(exc)))
                        _notify(progress, message, str(exc))
                        break
                    journal.mark_pending(message.message_id, str(exc))
                    report.retries += 1
                    clock.sleep(options.backoff_seconds * 2 ** (attempt - 1))
                    continue
                except PermanentFailure as exc:
                    journal.mark_failed(message.message_id, str(exc))
                    report.failed.append((message, str(exc)))
                    _notify(progress, message, str(exc))
                    break
                except UncertainDelivery as exc:
                    journal.mark_uncertain(message.message_id, str(exc))
                    report.uncertain.append((message, str(exc)))
                    _notify(progress, message, f"USIKKER: {exc}")
                    uncertain_in_a_row += 1
                    if uncertain_in_a_row >= options.max_uncertain_in_a_row:
                        raise ServerError(
                            f"SMTP-serveren {describe(connection.settings)} har ikke bekreftet de {uncertain_in_a_row} siste "
                            "e-postene etter at de var overført. Sendingen er stoppet, så ingen flere havner i det uvisse. "
                            "Sjekk serveren (eller spør leverandøren) før du sender videre."
                        ) from None
                    break
                except ServerError:
                    journal.mark_pending(message.message_id, "stoppet: serveren kunne ikke brukes")
                    raise
                uncertain_in_a_row = 0
                accepted = message.message_id
                report.sent.append(message)
                _notify(progress, message, None)
                break
    except ToolkitError as exc:
        report.stop = exc
    finally:
        background.shutdown()
        if accepted is not None:
            journal.mark_sent(accepted)
        connection.close()
    if report.stop is not None:
        done = {m.message_id for m in report.sent} | {m.message_id for m, _ in report.failed + report.uncertain}
        report.remaining = sum(1 for m in messages[index:] if m.message_id not in done)
    return report


def _open(connection: SmtpConnection, options: SendOptions, clock: Clock) -> None:
    """Open the connection, waiting and trying again while the server answers "not now"."""
    for attempt in range(1, options.max_attempts + 1):
        try:
            connection.open()
            return
        except TemporaryFailure as exc:
            if attempt == options.max_attempts:
                raise ServerError(
                    f"SMTP-serveren {describe(connection.settings)} tar ikke imot e-post nå ({exc}). "
                    "Kjør samme kommando på nytt senere; sendingen fortsetter der den slapp."
                ) from None
            clock.sleep(options.backoff_seconds * 2 ** (attempt - 1))


def _notify(progress, message: Message, error: str | None) -> None:
    """Tell the caller a message is done: ``error`` is None when it was sent."""
    if progress:
        progress(message, error)


def _pace(interval: float, last_start: datetime | None, clock: Clock) -> datetime:
    """Wait until ``interval`` seconds have passed since the last message started."""
    now = clock.now()
    if interval and last_start is not None:
        wait = interval - (now - last_start).total_seconds()
        if wait > 0:
            clock.sleep(min(wait, interval))
            now = clock.now()
    return now


FAILURES_FILE = "send-feil.csv"


def export_failures(journal: Journal, output_dir: Path) -> tuple[list[JournalRow], Path | None]:
    """Write every failed and uncertain message with its error to send-feil.csv (Excel); remove an old one when there is none."""
    path = Path(output_dir) / FAILURES_FILE
    rows = journal.rows().values()
    failed = [row for row in rows if row.state == FAILED]
    uncertain = [row for row in rows if row.state == SENDING]
    if not failed and not uncertain:
        path.unlink(missing_ok=True)
        path.with_suffix(".xlsx").unlink(missing_ok=True)
        return failed, None
    from toolkit.core.excel_out import write_table  # the CSV and send-feil.xlsx beside it

    write_table(
        path,
        ["mottaker", "adresse", "fil", "status", "forsøk", "feil", "sist forsøkt (UTC)"],
        [[r.recipient, r.address, r.file, "feilet" if r.state == FAILED else "usikker (kan ha kommet fram)",
          r.attempts, r.last_error or "kjøringen ble avbrutt mens e-posten var på vei ut", r.updated_at]
         for r in failed + uncertain],
        sheet="Feil", dates=("sist forsøkt (UTC)",), numbers=("forsøk",), problem=lambda row: True,
    )
    return failed, path
