"""A real IMAP server for tests: Dovecot from the Debian package, unprivileged, on 127.0.0.1.

Every server gets its own folder with its own configuration, users, mail and TLS certificate (from
trustme), and listens on two free loopback ports: plain IMAP (``port``) and IMAP over TLS
(``tls_port``). When the tests run as root (CI), Dovecot is started as ``nobody`` through setpriv,
so that no part of it runs with privileges; otherwise it runs as the current user.

Also here: ``Proxy``, a TCP relay between the toolkit and the server that can drop the connection
or kill the client process when it sees a chosen command, for the fault and crash tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)

# In CI (.ci/run installs dovecot-imapd) a missing Dovecot is a failure, never a skip.
needs_dovecot = pytest.mark.skipif(
    DOVECOT is None and not os.environ.get("CI"),
    reason="Dovecot is not installed (Debian: apt-get install dovecot-imapd); .ci/run installs it",
)

USER = "post@example.org"
PASSWORD = "Hemmelig-passord-2026"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 200
imap_max_line_length = 1M
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 20.0, greeting: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Dovecot stopped at start-up: {log.read_text(errors='replace') if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                if not greeting or sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"Dovecot did not answer on port {port}: {log.read_text(errors='replace') if log.exists() else ''}")


class Dovecot:
    """One Dovecot instance with one user (USER / PASSWORD) whose mailbox the tests fill."""

    def __init__(self, ca, *, hostname: str = "127.0.0.1"):
        if DOVECOT is None:
            raise RuntimeError("Dovecot is not installed: apt-get install dovecot-imapd")
        self.base = Path(tempfile.mkdtemp(prefix="toolkit-dovecot-"))
        as_root = os.geteuid() == 0
        uid, gid = (65534, 65534) if as_root else (os.getuid(), os.getgid())
        import grp
        import pwd

        user, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
        cert = ca.issue_cert(hostname)
        cert.private_key_pem.write_to_path(str(self.base / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(self.base / "cert.pem"))
        (self.base / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
        for name in ("run", "state", "home"):
            (self.base / name).mkdir()
        self.port, self.tls_port = free_port(), free_port()
        config = self.base / "dovecot.conf"
        config.write_text(CONFIG.format(base=self.base, user=user, group=group, uid=uid, gid=gid,
                                        port=self.port, tls_port=self.tls_port), encoding="utf-8")
        if as_root:
            for path in [self.base, *self.base.rglob("*")]:
                os.chown(path, uid, gid)
        command = [DOVECOT, "-F", "-c", str(config)]
        if as_root:
            command = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_for_port(self.port, self.process, self.base / "dovecot.log")
            _wait_for_port(self.tls_port, self.process, self.base / "dovecot.log", greeting=False)
        except BaseException:
            self.stop()
            raise

    def client(self):
        """A logged-in imapclient connection over plain IMAP, for the test's own appends."""
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=60)
        client.login(USER, PASSWORD)
        return client

    def append(self, folder: str, *messages: bytes, flags=(), when=None) -> None:
        """Put messages in a folder (made if missing), many per command (MULTIAPPEND, RFC 3502).

        ``when`` sets the arrival time (INTERNALDATE) the server records; default: now.
        """
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for start in range(0, len(messages), 500):
                chunk = messages[start:start + 500]
                if len(chunk) == 1:
                    client.append(folder, chunk[0], flags=flags, msg_time=when)
                else:
                    items = [{"msg": m, "flags": flags} | ({"date": when} if when else {}) for m in chunk]
                    client.multiappend(folder, items)

    def flags(self, folder: str) -> dict[int, tuple]:
        """Every message's flags, looked at read-only (EXAMINE)."""
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            return {uid: data[b"FLAGS"] for uid, data in client.fetch(client.search(["ALL"]), ["FLAGS"]).items()}

    def count(self, folder: str) -> int:
        with self.client() as client:
            return client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"]

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> "Dovecot":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Proxy:
    """A loopback TCP relay to ``port``. ``on_command(data)`` sees every chunk the client sends and may
    return "drop" (close both sides at once) or "kill" (call ``kill``, then close)."""

    def __init__(self, port: int, on_command=None):
        self.target = port
        self.on_command = on_command or (lambda data: None)
        self.kill = lambda: None
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.client_bytes = bytearray()
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if from_client:
                    self.client_bytes += data
                    action = self.on_command(bytes(self.client_bytes))
                    if action == "kill":
                        self.kill()
                        break
                    if action == "drop":
                        break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def stop(self) -> None:
        self._stopped = True
        self.listener.close()
