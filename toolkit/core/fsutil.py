"""File-system helpers: atomic writes and portable, safe file names."""

from __future__ import annotations

import errno
import functools
import os
import re
import sys
import unicodedata
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from toolkit.core.errors import OutputError, ToolkitError

# Names Windows refuses whatever the extension (CON.txt is as bad as CON).
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}
UNSAFE_CHARS = re.compile(r"[^a-z0-9._-]+")
MAX_STEM = 80


@functools.lru_cache(maxsize=4096)  # the same ids recur in every supporter's folder
def safe_stem(name: str) -> str:
    """Turn an id or a name into a file-name stem that is safe on Windows, macOS and Linux."""
    text = name.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = UNSAFE_CHARS.sub("-", text).strip("-._")[:MAX_STEM].strip("-._")
    if not text:
        text = "uten-navn"
    if text.split(".")[0] in WINDOWS_RESERVED:
        text = "_" + text
    return text


# Where a campaign keeps what the toolkit must remember between runs (the send journal, the lock):
# inside the campaign folder, so that it moves with the campaign and not with the output folder.
STATE_FOLDER = ".toolkit"


def state_dir(campaign_folder: Path, create: bool = False) -> Path:
    """The campaign's state folder, ``<campaign>/.toolkit``; made with ``create``."""
    folder = Path(campaign_folder) / STATE_FOLDER
    if create:
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise _output_error(folder / "x", exc) from None
    return folder


# The pack's manifest: every file the toolkit wrote into the output folder (see toolkit.pack).
PACK_MANIFEST = ".toolkit-pakke.json"
# A temporary file of atomic_writer: ".<name>.<12 hex digits>.tmp".
TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp$")


def exclusive_lock(path: Path, busy: str, *, wait_seconds: float = 0.0, on_wait=None):
    """Hold an exclusive lock on ``path``; the system releases it if the process dies.

    With ``wait_seconds``, wait that long for another holder to finish (``on_wait()`` is called once
    when waiting starts); then, or at once, raise ``busy`` as an OutputError-like ToolkitError.
    Returns the open handle: close it (``release_lock``) to release.
    """
    import time

    try:
        handle = open(path, "a+b")
    except OSError as exc:
        raise ToolkitError(f"Kan ikke lage låsefilen {path}: {exc.strerror}.") from None
    deadline = time.monotonic() + wait_seconds
    told = False
    while True:
        try:
            if sys.platform == "win32":  # (sys.platform rather than os.name: mypy follows it)
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except OSError:
            if time.monotonic() >= deadline:
                handle.close()
                raise ToolkitError(busy) from None
            if not told and on_wait is not None:
                on_wait()
                told = True
            time.sleep(0.1)


# Windows refuses to replace or rename a file, or a folder holding one, that another program has open.
# A virus scanner or the search indexer holds a new file for a moment, so there a refusal is tried again
# for about a second before it is reported; elsewhere a refusal is the folder's permissions and final.
RETRY_IN_USE = os.name == "nt"
IN_USE_ATTEMPTS = 6
IN_USE_PAUSE = 0.2
IN_USE_ERRORS = (errno.EACCES, errno.EPERM, errno.EBUSY)


def retry_in_use(operation: Callable[[str | os.PathLike[str], str | os.PathLike[str]], None],
                 source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """``operation(source, target)`` (os.replace, os.rename), tried again while the system says a file is in use."""
    import time

    attempts = IN_USE_ATTEMPTS if RETRY_IN_USE else 1
    for attempt in range(attempts):
        try:
            operation(source, target)
            return
        except OSError as exc:
            if exc.errno not in IN_USE_ERRORS or attempt == attempts - 1:
                raise
            time.sleep(IN_USE_PAUSE)


def release_lock(handle) -> None:
    if handle is not None:
        handle.close()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that a killed process leaves either the old file or the new one.

    ``durable`` also flushes the data to the disk before the rename, so that a power cut cannot leave
    an empty file either. Files the user keeps (status files, recipients.csv) are written durably;
    generated outputs, which the next build writes again, skip that flush: it is most of their cost.
    As ``atomic_writer`` does, with plain file descriptors and strings: a supporters' run writes tens
    of thousands of files, and the file objects and paths would cost more than the writing.
    """
    with _replacing(path) as fd:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def atomic_writer(path: Path, durable: bool = True):
    """A binary file to write ``path`` bit by bit; it replaces ``path`` only if the block ends without error.

    For outputs too large to hold in memory at once; see ``atomic_write_bytes`` for ``durable``.
    """
    with _replacing(path) as fd, os.fdopen(fd, "wb") as handle:
        yield handle
        if durable:
            handle.flush()
            os.fsync(handle.fileno())


@contextmanager
def _replacing(path: str | os.PathLike[str]):
    """A temporary file's descriptor beside ``path``, which the block writes and closes; it then replaces
    ``path``. On any error the temporary file is removed, and an OSError becomes a clear OutputError."""
    target = os.fspath(path)
    fd, tmp = _open_temporary(target)
    try:
        yield fd
        _replace(tmp, target)
    except OSError as exc:
        _remove_quietly(tmp)
        raise _output_error(Path(target), exc) from None
    except BaseException:
        _remove_quietly(tmp)
        raise


def _open_temporary(target: str) -> tuple[int, str]:
    """A new file beside ``target``, ".<name>.<12 hex digits>.tmp", open for writing: (descriptor, path)."""
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")
    # Not tempfile.mkstemp: it makes files readable by the owner only (0600); with 0666 the user's
    # umask decides, as for any file they create. O_BINARY keeps Windows from translating newlines.
    try:
        try:
            return os.open(tmp, TEMPORARY_FLAGS, 0o666), tmp
        except FileNotFoundError:
            # The folder is made on the first write into it, not checked on every write.
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            return os.open(tmp, TEMPORARY_FLAGS, 0o666), tmp
    except OSError as exc:
        raise _output_error(Path(target), exc) from None


TEMPORARY_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _replace(tmp: str, target: str) -> None:
    """Put the written temporary file in the place of ``target``."""
    try:
        retry_in_use(os.replace, tmp, target)
    except OSError as exc:
        if exc.errno in IN_USE_ERRORS and os.path.exists(target):
            # The folder is writable (the temporary file was made there): the file itself is locked.
            raise OutputError(
                f"Kunne ikke erstatte {Path(target)}: filen er låst eller skrivebeskyttet. Er den åpen i Word, Excel eller "
                "et annet program? Lukk den (eller fjern skrivebeskyttelsen) og kjør på nytt."
            ) from None
        raise


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8", durable: bool = True) -> None:
    """Write text atomically (see ``atomic_write_bytes``)."""
    atomic_write_bytes(path, text.encode(encoding), durable)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _output_error(path: Path, exc: OSError) -> OutputError:
    if exc.errno == errno.ENOSPC:
        return OutputError(f"Disken er full: kunne ikke skrive {path}. Frigjør plass og kjør på nytt.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(
            f"Har ikke lov til å skrive i {path.parent}. Velg en annen utdatamappe "
            "(feltet «output» i campaign.yaml) eller gi skrivetilgang."
        )
    return OutputError(f"Kunne ikke skrive {path}: {exc.strerror or exc}.")
