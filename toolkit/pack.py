"""Writing the campaign pack safely: one run at a time, only the toolkit's own files, and always a whole pack.

Every command that writes into the output folder (``build``, ``letters``, ``calendar``, ``opeds``,
``check``) does it inside ``pack_session``:

    with pack_session(campaign, echo=click.echo) as session:
        write_letter_pack(campaign, ...)      # campaign.output_dir is the staging folder here
        click.echo(session.public(text))      # a path in a message names the real output folder

What the session does:

1. **One at a time.** It takes the campaign's lock (``<campaign>/.toolkit/pakke.lock``); a second
   command waits for the first to finish (up to ``TOOLKIT_LOCK_WAIT`` seconds, default 600), saying so.
2. **A new folder beside the old.** It makes a staging folder next to the output folder
   (``.ut.ny-<random>``) holding the current pack as hard links (or copies where the disk has no hard
   links), and points ``campaign.output_dir`` at it. A writer replaces a file atomically, so the file
   gets a new inode and the old pack is never changed.
3. **Switched into place at the end.** When the block ends without error, the session writes the
   pack's manifest (``.toolkit-pakke.json``: every file the toolkit wrote, with its size and time)
   into the staging folder and swaps it with the output folder in one step (``renameat2`` with
   ``RENAME_EXCHANGE`` on Linux; elsewhere two renames, which the next run completes or undoes). A
   failed, killed or interrupted run leaves the old pack whole; the next run removes what it left.
4. **Only its own files.** The old folder is then emptied of the files the toolkit wrote and that are
   unchanged since (by the old manifest), and of those the new pack holds with the same bytes. Anything
   else – a file the toolkit did not write, or one edited by hand that the new pack replaces – is kept,
   in a folder ``<output>-gamle-filer-<time>`` beside the output folder, and the user is told.

How an output plugs in: write under ``campaign.output_dir`` with fsutil's atomic helpers
(``atomic_write_bytes``, ``atomic_write_text``, ``atomic_writer``, ``tabular.write_csv``) – from this
process or a forked worker – and the file is part of the pack and of its manifest: the manifest is
the list of files in the staging folder when the session ends, less the files it carried over that
the toolkit did not write. To drop an output of your own that is no longer wanted, use
``remove_own(path)``: it removes a file only if the toolkit wrote it. Nothing else is needed; do not
write into the output folder outside a session, and do not keep paths to it across sessions.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from toolkit import __version__
from toolkit.core.errors import OutputError, ToolkitError
from toolkit.core.fsutil import PACK_MANIFEST, TEMPORARY, exclusive_lock, release_lock, retry_in_use, state_dir
from toolkit.send.journal import adopt_old_journals

LOCK_FILE = "pakke.lock"
# Inside a staging folder until it is switched into place: a folder with it is an unfinished pack.
STAGING_MARK = ".toolkit-under-arbeid"
LOCK_WAIT_ENV = "TOOLKIT_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 600.0
STAGING_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<kind>ny|gammel)-[0-9a-f]{12}$")

# Folders no pack is written into, even when empty, unless the campaign folder itself is inside them.
SYSTEM_FOLDERS = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/proc", "/root", "/run",
    "/sbin", "/srv", "/sys", "/usr", "/var", "/System", "/Library", "/Applications", "/private/etc", "/private/var",
)
WINDOWS_SYSTEM = ("windows", "program files", "program files (x86)", "programdata")

_session: "PackSession | None" = None


class PackBusy(ToolkitError):
    """Another command is writing this campaign's pack."""


def _echo_err(text: str) -> None:
    print(text, file=sys.stderr)


# --- where the pack may go -------------------------------------------------------------------------

def output_folder_problem(campaign_folder: Path, output_dir: Path) -> str | None:
    """Why the pack may not be written into ``output_dir``, or None.

    Allowed: a folder inside the campaign folder (not the campaign folder itself, its templates or the
    toolkit's state); or, outside it, a new or empty folder, or one the toolkit wrote before (its
    manifest is there). Refused: system folders, the campaign folder or any folder above it, and a
    folder outside the campaign with other files in it.
    """
    campaign = Path(campaign_folder).resolve()
    out = Path(output_dir).resolve()
    fix = "Sett «output» i campaign.yaml til en mappe inne i kampanjemappen, for eksempel «output: ut»."
    if out == campaign or out in campaign.parents:
        return f"Utdatamappen {out} er kampanjemappen selv eller en mappe over den; pakken ville blandet seg med alt der. {fix}"
    for name, what in ((".toolkit", "toolkits egen tilstand"), ("letter_templates", "malene")):
        if out == campaign / name or (campaign / name) in out.parents:
            return f"Utdatamappen {out} ligger i {campaign / name}, der {what} ligger. {fix}"
    if campaign in out.parents:
        return None
    if _is_system_folder(out):
        return f"Utdatamappen {out} er en systemmappe; toolkit skriver aldri der. {fix}"
    home = Path.home().resolve()
    if out == home or out in home.parents:
        return f"Utdatamappen {out} er hjemmemappen eller en mappe over den. {fix}"
    if not out.exists():
        return None
    if not out.is_dir():
        return None  # writing reports it: "a file where the output folder should be"
    if (out / PACK_MANIFEST).is_file():
        return None
    try:
        if any(out.iterdir()):
            return (
                f"Utdatamappen {out} ligger utenfor kampanjemappen og har filer, men ingen {PACK_MANIFEST} som viser "
                f"at toolkit har laget dem. Utenfor kampanjemappen skriver toolkit bare i en ny eller tom mappe, eller i "
                f"en mappe det har laget før, så det aldri rører andres filer. {fix}"
            )
    except OSError as exc:
        return f"Utdatamappen {out} kan ikke leses: {exc.strerror}."
    return None


def _is_system_folder(path: Path) -> bool:
    import tempfile

    text = str(path)
    temporary = str(Path(tempfile.gettempdir()).resolve())
    if text == temporary or text.startswith(temporary + os.sep):
        return False
    if os.name == "nt":
        parts = [p.lower() for p in path.parts[1:2]]
        return bool(parts) and parts[0] in WINDOWS_SYSTEM or len(path.parts) <= 1
    if text == "/":
        return True
    return any(text == folder or text.startswith(folder + "/") for folder in SYSTEM_FOLDERS)


# --- the manifest -----------------------------------------------------------------------------------

def read_manifest(folder: Path) -> dict[str, tuple[int, int]]:
    """The files the toolkit wrote into a pack folder: relative path → (size, modification time in ns)."""
    try:
        data = json.loads((Path(folder) / PACK_MANIFEST).read_text(encoding="utf-8"))
        return {str(rel): (int(size), int(mtime)) for rel, (size, mtime) in data["files"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _is_unchanged(path: Path, recorded: tuple[int, int] | None) -> bool:
    if recorded is None:
        return False
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) == recorded


def _walk(folder: Path):
    """Every file and symlink below ``folder`` as (relative posix path, path), links not followed."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        for name in files + [d for d in dirs if (base / d).is_symlink()]:
            path = base / name
            yield path.relative_to(folder).as_posix(), path


# --- the session ------------------------------------------------------------------------------------

class PackSession:
    """One command's writing of the pack; see the module's docstring."""

    def __init__(self, final: Path, staging: Path, old_manifest: dict, echo: Callable[[str], None]):
        self.final = final
        self.staging = staging
        self.old_manifest = old_manifest
        self.echo = echo
        self.carried: dict[str, tuple[int, int]] = {}  # relative path → (device, inode) when carried over

    def public(self, text: str) -> str:
        """``text`` with the staging folder's path replaced by the output folder's, for messages."""
        return str(text).replace(str(self.staging), str(self.final))

    def owns(self, path: Path) -> bool:
        """Whether the toolkit wrote ``path`` (in the staging folder): written in this run, or unchanged since an earlier one."""
        try:
            rel = Path(path).resolve().relative_to(self.staging.resolve()).as_posix()
        except ValueError:
            return False
        try:
            st = os.lstat(path)
        except OSError:
            return False
        carried = self.carried.get(rel)
        if carried is None or carried != (st.st_dev, st.st_ino):
            return True  # written by this run
        return rel in self.old_manifest and _is_unchanged(path, self.old_manifest[rel])

    def _carry_over(self) -> None:
        """Fill the staging folder with the current pack: hard links where the disk has them, else copies."""
        if not self.final.is_dir():
            return
        use_links = True
        for rel, source in _walk(self.final):
            if rel == PACK_MANIFEST:
                continue
            target = self.staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
                continue
            if use_links:
                try:
                    os.link(source, target)
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EMLINK, errno.EACCES):
                        raise
                    use_links = False
            if not use_links:
                shutil.copy2(source, target)
            st = os.lstat(target)
            self.carried[rel] = (st.st_dev, st.st_ino)
        for root, dirs, _files in os.walk(self.final, followlinks=False):
            for name in dirs:
                if not Path(root, name).is_symlink():
                    (self.staging / Path(root, name).relative_to(self.final)).mkdir(parents=True, exist_ok=True)

    def _new_manifest(self) -> dict[str, list[int]]:
        files: dict[str, list[int]] = {}
        for rel, path in _walk(self.staging):
            name = path.name
            if rel in (PACK_MANIFEST, STAGING_MARK) or TEMPORARY.match(name) or path.is_symlink():
                continue
            st = os.lstat(path)
            carried = self.carried.get(rel)
            if carried == (st.st_dev, st.st_ino) and rel not in self.old_manifest:
                continue  # someone else's file, carried over untouched
            if carried == (st.st_dev, st.st_ino) and not _is_unchanged(path, self.old_manifest.get(rel)):
                continue  # the toolkit's once, changed by hand since: no longer its own
            files[rel] = [st.st_size, st.st_mtime_ns]
        return files

    def _commit(self, command: str) -> None:

        manifest = {
            "toolkit": __version__,
            "command": command,
            "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "note": "Filene toolkit har skrevet i denne mappen. Toolkit sletter bare disse, og bare hvis de er uendret.",
            "files": self._new_manifest(),
        }
        (self.staging / PACK_MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        if not self.final.exists():
            os.rename(self.staging, self.final)
            _unmark(self.final)
            return
        if _exchange(self.staging, self.final):
            # The output folder now holds the new pack; the staging name holds the old one.
            _unmark(self.final)
            _tidy_old(self.staging, self.final, self.echo)
            return
        # Two renames (macOS, Windows, or a Linux file system without the exchange). On Windows the first
        # fails while a program holds a file in the output folder open; the message then says to close it.
        old = self.final.parent / f".{self.final.name}.gammel-{os.urandom(6).hex()}"
        retry_in_use(os.rename, self.final, old)
        try:
            retry_in_use(os.rename, self.staging, self.final)
        except OSError:
            os.rename(old, self.final)  # the old pack goes back, as the error message promises
            raise
        _unmark(self.final)
        _tidy_old(old, self.final, self.echo)


def _unmark(folder: Path) -> None:
    (folder / STAGING_MARK).unlink(missing_ok=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where that cannot be done."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _tidy_old(old: Path, final: Path, echo: Callable[[str], None]) -> None:
    """Empty a replaced pack folder of the toolkit's own files; keep anything else, visibly, and say so."""
    manifest = read_manifest(old)
    kept: list[str] = []
    for rel, path in list(_walk(old)):
        if rel in (PACK_MANIFEST, STAGING_MARK):
            path.unlink()
            continue
        if _is_unchanged(path, manifest.get(rel)) or _same_content(path, final / rel):
            path.unlink()
        else:
            kept.append(rel)
    for root, dirs, _files in sorted(os.walk(old, topdown=False, followlinks=False), key=lambda item: -len(item[0])):
        for name in dirs:
            folder = Path(root, name)
            if not folder.is_symlink():
                try:
                    folder.rmdir()
                except OSError:
                    pass
    if not kept:
        try:
            old.rmdir()
            return
        except OSError:
            pass
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    keep = final.parent / f"{final.name}-gamle-filer-{stamp}"
    os.rename(old, keep)
    some = ", ".join(kept[:5]) + (f" og {len(kept) - 5} til" if len(kept) > 5 else "")
    echo(
        f"Merk: {len(kept)} filer i {final} var ikke skrevet av toolkit (eller er endret siden) og er erstattet i den nye "
        f"pakken: {some}. De er ikke slettet; de ligger i {keep}. Se over dem og slett mappen når du ikke trenger dem."
    )


def _same_content(path: Path, other: Path) -> bool:
    try:
        if path.is_symlink() or other.is_symlink():
            return path.is_symlink() and other.is_symlink() and os.readlink(path) == os.readlink(other)
        if os.path.samefile(path, other):
            return True
        if path.stat().st_size != other.stat().st_size:
            return False
        with open(path, "rb") as a, open(other, "rb") as b:
            while True:
                chunk = a.read(1 << 16)
                if chunk != b.read(1 << 16):
                    return False
                if not chunk:
                    return True
    except OSError:
        return False


def recover(final: Path, echo: Callable[[str], None] = _echo_err) -> None:
    """Finish or undo what a killed run left beside the output folder (called under the lock)."""
    final = Path(final)
    parent = final.parent
    if not parent.is_dir():
        return
    if (final / STAGING_MARK).exists():
        # Killed right after the new pack was switched in: it is whole (its manifest was written first).
        _unmark(final)
    leftovers = []
    for path in parent.iterdir():
        match = STAGING_NAME.match(path.name)
        if match and match["name"] == final.name and path.is_dir() and not path.is_symlink():
            leftovers.append((match["kind"], path))
    for _kind, path in sorted(leftovers, key=lambda item: item[0] != "gammel"):
        if (path / STAGING_MARK).exists():
            shutil.rmtree(path)  # an unfinished pack: links to the old one and new files, nothing else
        elif not final.exists():
            os.rename(path, final)  # killed between the two renames: the old pack goes back
        else:
            _tidy_old(path, final, echo)  # an old pack that was switched out


@contextmanager
def pack_session(campaign, command: str = "build", echo: Callable[[str], None] | None = None):
    """Write the pack as one step: locked, into a staging folder, switched into place at the end."""
    global _session

    echo = echo or _echo_err
    final = Path(campaign.output_dir)
    problem = output_folder_problem(campaign.folder, final)
    if problem:
        raise OutputError(problem)
    if final.exists() and not final.is_dir():
        raise OutputError(
            f"Kunne ikke skrive kampanjepakken: {final} er en fil, ikke en mappe. Flytt eller gi nytt navn til filen, "
            "eller velg en annen utdatamappe (feltet «output» i campaign.yaml)."
        )
    lock = _take_lock(campaign, final, echo)
    staging = None
    try:
        try:
            recover(final, echo)
            adopt_old_journals(campaign.folder, final, echo)
            final.parent.mkdir(parents=True, exist_ok=True)
            staging = final.parent / f".{final.name}.ny-{os.urandom(6).hex()}"
            staging.mkdir()
            (staging / STAGING_MARK).write_text("Toolkit lager en ny pakke her. Mappen fjernes av neste kjøring.\n", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"Kunne ikke gjøre klar utdatamappen {final}: {exc.strerror or exc}. "
                              "Sjekk at mappen kan skrives, eller velg en annen (output i campaign.yaml).") from None
        session = PackSession(final, staging, read_manifest(final), echo)
        try:
            session._carry_over()
        except OSError as exc:
            raise OutputError(f"Kunne ikke lese den gamle pakken i {final}: {exc.strerror or exc}.") from None
        campaign.output_dir = staging
        _session = session
        try:
            yield session
        except BaseException as exc:
            if isinstance(exc, ToolkitError) and exc.args:
                # A message names the file where the user will look for it, not the staging folder.
                exc.args = (session.public(str(exc.args[0])), *exc.args[1:])
            if not getattr(exc, "pack_is_whole", False):
                raise
            _finish(session, command)  # the pack is complete, the run still reports a problem
            staging = None
            raise
        _finish(session, command)
        staging = None
    finally:
        _session = None
        campaign.output_dir = final
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        release_lock(lock)


def _take_lock(campaign, final: Path, echo: Callable[[str], None]):
    state = state_dir(campaign.folder, create=True)
    wait = _lock_wait()
    return exclusive_lock(
        state / LOCK_FILE,
        f"En annen toolkit-kommando skriver fortsatt kampanjepakken i {final} (ventet {wait:g} sekunder). "
        "Vent til den er ferdig, og kjør på nytt.",
        wait_seconds=wait,
        on_wait=lambda: echo("Venter på at en annen toolkit-kommando skal bli ferdig med kampanjepakken …"),
    )


@contextmanager
def pack_lock(campaign, echo: Callable[[str], None] | None = None):
    """Hold the campaign's pack lock without a staging folder, for commands that must change the output
    folder in place and keep it in step with the send journal (``toolkit replies`` saving answers,
    ``toolkit purge`` deleting personal data): no build switches the folder out under them. Files written
    here are not the pack's; a later build keeps them as they are."""

    echo = echo or _echo_err
    final = Path(campaign.output_dir)
    problem = output_folder_problem(campaign.folder, final)
    if problem:
        raise OutputError(problem)
    lock = _take_lock(campaign, final, echo)
    try:
        recover(final, echo)
        adopt_old_journals(campaign.folder, final, echo)
        yield
    finally:
        release_lock(lock)


def _finish(session: PackSession, command: str) -> None:
    try:
        session._commit(command)
    except OSError as exc:
        raise OutputError(
            f"Kunne ikke bytte inn den nye pakken i {session.final}: {exc.strerror or exc}. Den gamle pakken er urørt; "
            "lukk filer fra mappen som er åpne i andre programmer, og kjør på nytt."
        ) from None


def _lock_wait() -> float:
    try:
        return max(0.0, float(os.environ.get(LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT)))
    except ValueError:
        return DEFAULT_LOCK_WAIT


def public_path(path) -> Path:
    """A path inside the staging folder as the user will find it once the pack is in place."""
    return Path(_session.public(str(path))) if _session is not None else Path(path)


def remove_own(path: Path) -> bool:
    """Remove ``path`` if the toolkit wrote it (and it is unchanged since); True if it was removed.

    Inside a pack session the session decides; outside one, a file is removed only when the
    manifest of the pack it lies in lists it unchanged.
    """
    path = Path(path)
    if _session is not None:
        owned = _session.owns(path)
    else:
        owned = False
        for folder in path.parents:
            if (folder / PACK_MANIFEST).is_file():
                rel = path.relative_to(folder).as_posix()
                owned = _is_unchanged(path, read_manifest(folder).get(rel))
                break
    if owned:
        path.unlink(missing_ok=True)
    return owned
