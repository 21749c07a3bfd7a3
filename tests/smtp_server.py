"""A real SMTP server for tests and benchmarks: aiosmtpd on 127.0.0.1, on a free port, recording what arrives.

Faults are scripted per command: ``server.handler.script("DATA", "451 4.3.0 Prøv igjen", "disconnect")``
makes the next two DATA commands answer 451 and then drop the connection before replying.
"""

from __future__ import annotations

import asyncio
import email
import socket
import ssl
import threading
import warnings
from collections import deque
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

DISCONNECT = "disconnect"


@dataclass
class Received:
    """One message the server accepted: the envelope and the exact bytes."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.data, policy=policy.default)

    @property
    def recipient_id(self) -> str:
        return self.message["X-Toolkit-Recipient"]

    def header(self, name: str) -> str:
        """A header decoded as RFC 2047 says: adjacent encoded words join without the space between them.

        (The newer ``policy.default`` parser puts a space there inside a display name, which would
        turn a long "Langnavn" into "Langn avn" in the test, not in a mail program.)
        """
        raw = email.message_from_bytes(self.data, policy=policy.compat32)[name]
        return str(make_header(decode_header(raw))).strip()


class RecordingHandler:
    """Accepts mail and records it, unless a scripted fault says otherwise."""

    def __init__(self, delay: float = 0.0, keep: bool = True):
        self.received: list[Received] = []
        self.accepted = 0  # messages accepted, kept or not
        self.keep = keep  # False: only count (a benchmark's thousands of messages)
        self.delay = delay
        self.faults: dict[str, deque[str]] = {"MAIL": deque(), "RCPT": deque(), "DATA": deque()}
        self.rejected: dict[str, str] = {}  # address -> reply to its RCPT
        self.connections = 0
        self.data_commands = 0
        self.mail_commands = 0
        self.hooks: list = []  # called as hook(stage, handler) in the server's event loop: EHLO, MAIL, DATA
        self._lock = threading.Lock()

    def script(self, command: str, *replies: str) -> None:
        """Answer the next ``command``s with these replies in turn; "" lets one through."""
        self.faults[command].extend(replies)

    def count(self) -> int:
        with self._lock:
            return self.accepted

    def by_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in list(self.received):
            counts[item.recipient_id] = counts.get(item.recipient_id, 0) + 1
        return counts

    def _fault(self, command: str, server) -> str | None:
        if not self.faults[command]:
            return None
        reply = self.faults[command].popleft()
        if reply == DISCONNECT:
            server.transport.close()
            return "451 4.3.0 (forbindelsen er brutt)"
        if reply.startswith("421"):
            server.transport.close()
        return reply

    def _run_hooks(self, stage: str) -> None:
        for hook in list(self.hooks):
            hook(stage, self)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.connections += 1
        self._run_hooks("EHLO")
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self._lock:
            self.mail_commands += 1
        self._run_hooks("MAIL")
        fault = self._fault("MAIL", server)
        if fault:
            return fault
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        fault = self._fault("RCPT", server)
        if fault:
            return fault
        if address in self.rejected:
            return self.rejected[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.data_commands += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        fault = self._fault("DATA", server)
        if fault:
            return fault
        with self._lock:
            self.accepted += 1
            if self.keep:
                self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        # The message is stored before the reply, as a real server commits it before its 250.
        self._run_hooks("DATA")
        return "250 2.0.0 OK: mottatt"


class _Controller(Controller):
    def factory(self):
        # On an implicit-TLS port aiosmtpd warns that AUTH does not wait for STARTTLS; it need not.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return super().factory()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """aiosmtpd in a thread on 127.0.0.1. ``security`` is "none", "starttls" or "ssl"; with ``users``, login is required."""

    def __init__(self, *, security: str = "none", cert=None, users: dict[str, str] | None = None, delay: float = 0.0,
                 keep: bool = True):
        self.handler = RecordingHandler(delay, keep)
        self.security = security
        self.users = users or {}
        self.auth_attempts: list[str] = []
        kwargs = {}
        if security in ("starttls", "ssl"):
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(context)
            if security == "ssl":
                kwargs["ssl_context"] = context
            else:
                kwargs.update(tls_context=context, require_starttls=True)
        if self.users:
            # aiosmtpd counts only STARTTLS as TLS; on an implicit-TLS (ssl) port it must not wait for it.
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=security == "starttls")
        for _ in range(5):
            self.port = _free_port()
            self.controller = _Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
            try:
                self.controller.start()
                break
            except (OSError, RuntimeError):  # another process took the port between the check and the start
                continue

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode()
        self.auth_attempts.append(user)
        # handled=False: aiosmtpd sends the 235 or 535 reply itself.
        return AuthResult(success=self.users.get(user) == auth_data.password.decode(), handled=False)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> "SmtpServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
