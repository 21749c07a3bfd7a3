"""An SMTP server on 127.0.0.1 written on raw asyncio, for the faults aiosmtpd cannot script.

It speaks just enough SMTP for the toolkit (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and
keeps every message it stores. What it does at the end of each message's data is scripted, one
behaviour per message, in order; when the script runs out it answers 250:

- ``"ok"``: store, answer 250.
- ``"store-close"``: store, then close the connection without answering.
- ``"store-silent"``: store, then never answer (the connection stays open until the client goes).
- ``"store-late"``: store, answer 250 only after ``late_seconds``.
- ``"store-421"``: store, answer 421 and close.
- ``"451"``: do not store, answer 451 (a clear "not now").
- ``"close-at-data"``: close the connection on the DATA command, before any data: nothing stored.
- ``"cut-mid-data"``: reset the connection in the middle of the data, before its end: nothing stored.
"""

from __future__ import annotations

import asyncio
import email
import socket
import struct
import threading
from collections import deque
from email import policy

BEHAVIOURS = ("ok", "store-close", "store-silent", "store-late", "store-421", "451", "close-at-data", "cut-mid-data")


class FaultySmtpServer:
    def __init__(self, *script: str, late_seconds: float = 2.0):
        for behaviour in script:
            assert behaviour in BEHAVIOURS, behaviour
        self.script = deque(script)
        self.late_seconds = late_seconds
        self.stored: list[bytes] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def add(self, *script: str) -> None:
        with self._lock:
            self.script.extend(script)

    def _next(self) -> str:
        with self._lock:
            return self.script.popleft() if self.script else "ok"

    def by_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._lock:
            stored = list(self.stored)
        for data in stored:
            recipient = email.message_from_bytes(data, policy=policy.compat32)["X-Toolkit-Recipient"]
            counts[recipient] = counts.get(recipient, 0) + 1
        return counts

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connections += 1

        async def reply(line: str) -> None:
            writer.write(line.encode("ascii") + b"\r\n")
            await writer.drain()

        try:
            await reply("220 127.0.0.1 ESMTP test")
            while True:
                line = await reader.readline()
                if not line:
                    return
                verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    await reply("250-127.0.0.1\r\n250 8BITMIME" if verb == "EHLO" else "250 127.0.0.1")
                elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                    await reply("250 OK")
                elif verb == "QUIT":
                    await reply("221 Ha det")
                    return
                elif verb == "DATA":
                    behaviour = self._next()
                    if behaviour == "close-at-data":
                        return
                    await reply("354 Skriv meldingen, avslutt med .")
                    data = await self._read_data(reader, cut=behaviour == "cut-mid-data")
                    if data is None:  # cut in the middle of the data: a reset, not an orderly close
                        sock = writer.get_extra_info("socket")
                        if sock is not None:
                            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        return
                    if behaviour == "451":
                        await reply("451 4.3.0 Try again later")
                        continue
                    with self._lock:
                        self.stored.append(data)
                    if behaviour == "ok":
                        await reply("250 2.0.0 OK")
                    elif behaviour == "store-close":
                        return
                    elif behaviour == "store-silent":
                        await reader.read()  # until the client gives up and closes
                        return
                    elif behaviour == "store-late":
                        await asyncio.sleep(self.late_seconds)
                        await reply("250 2.0.0 OK (sent)")
                    elif behaviour == "store-421":
                        await reply("421 4.3.2 Serveren stenger")
                        return
                else:
                    await reply("502 5.5.1 Ukjent kommando")
        except (ConnectionError, OSError):
            return
        finally:
            writer.close()

    @staticmethod
    async def _read_data(reader: asyncio.StreamReader, cut: bool) -> bytes | None:
        lines: list[bytes] = []
        while True:
            line = await reader.readline()
            if not line:
                return None
            if cut and len(lines) >= 3:
                return None
            if line == b".\r\n":
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)

    def stop(self) -> None:
        async def shutdown() -> None:
            self._server.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> "FaultySmtpServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
