"""Jinja2 templates that organisers edit: strict, sandboxed, with Norwegian date filters."""

from __future__ import annotations

import functools
import time
from datetime import date
from pathlib import Path
from types import TracebackType

from toolkit.core.errors import Problems, ToolkitError


class TemplateProblem(ToolkitError):
    """A template failed to render: names the template and the line."""

    exit_code = 2


# Limits on rendering one document (a letter, an op-ed, a cover note): a template is code an organiser
# wrote or copied, and a loop of 10**10 steps or "'x' * 10**10" must stop with a message, not hang.
RENDER_SECONDS = 5.0
MAX_OUTPUT_CHARS = 2_000_000
MAX_POWER = 1000


# Names a template reaches on a dict as attributes (``d.items``), not as keys: see LimitedSandbox.getattr.
DICT_ATTRIBUTES = frozenset(dir(dict))


class RenderLimit(Exception):
    """Rendering went past a limit (time or size); turned into a TemplateProblem naming the template."""


def _limited_environment_class():
    """The sandbox the toolkit renders in: Jinja's, plus limits on time and size (made on first use)."""
    # jinja2 is imported where it is used: about 53 ms to import, too long for start-up.
    from jinja2.sandbox import SandboxedEnvironment, modifies_known_mutable, safe_range

    class LimitedSandbox(SandboxedEnvironment):
        intercepted_binops = frozenset(["*", "**"])
        deadline: float | None = None
        # How many times a template reached a method that changes a list or a dict (``append``,
        # ``update``, …): what the letters' context cache (letters.render.ContextCache) checks.
        mutations = 0

        def is_safe_attribute(self, obj, attr, value):
            if not super().is_safe_attribute(obj, attr, value):
                return False
            if modifies_known_mutable(obj, attr):
                self.mutations += 1
            return True

        def tick(self) -> None:
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise RenderLimit(f"malen brukte mer enn {RENDER_SECONDS:g} sekunder på ett dokument (en løkke uten ende?)")

        def call_binop(self, context, operator, left, right):
            self.tick()
            if operator == "*":
                for sequence, count in ((left, right), (right, left)):
                    if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) and len(sequence) * count > MAX_OUTPUT_CHARS:
                        raise RenderLimit(f"malen lager en tekst eller liste på over {MAX_OUTPUT_CHARS:,} tegn".replace(",", " "))
            if operator == "**" and isinstance(right, int) and isinstance(left, int) and abs(left) > 1 and right > MAX_POWER:
                raise RenderLimit(f"malen regner ut en potens med eksponent over {MAX_POWER}")
            return super().call_binop(context, operator, left, right)

        def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
            __self.tick()
            return super().call(__context, __obj, *args, **kwargs)

        def getattr(self, obj, attribute):
            self.tick()
            # A plain dict's key (the letter context is made of them) without the failed attribute
            # lookup Jinja tries first: the same result, since a name that is not an attribute of
            # dict falls back to the key in Jinja too.
            if type(obj) is dict and attribute not in DICT_ATTRIBUTES:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    class TickingRange:
        """range() for templates: Jinja's safe range, checking the time limit at every step."""

        def __init__(self, environment, *args):
            self.environment = environment
            self.range = safe_range(*args)

        def __iter__(self):
            for value in self.range:
                self.environment.tick()
                yield value

        def __len__(self):
            return len(self.range)

        def __getitem__(self, index):
            return self.range[index]

        def __reversed__(self):
            return reversed(self.range)

        def __contains__(self, value):
            return value in self.range

    LimitedSandbox.TickingRange = TickingRange
    return LimitedSandbox


def _inside_loader_class():
    """A FileSystemLoader that reads only files inside the template folder: no symlink leads out of it."""
    import os

    # jinja2 is imported where it is used: about 53 ms to import, too long for start-up.
    from jinja2 import FileSystemLoader
    from jinja2.exceptions import SecurityError

    class InsideLoader(FileSystemLoader):
        def __init__(self, searchpath, root):
            super().__init__(searchpath)
            self.root = os.path.realpath(root)

        def get_source(self, environment, template):
            source, filename, uptodate = super().get_source(environment, template)
            real = os.path.realpath(filename)
            if real != self.root and not real.startswith(self.root + os.sep):
                raise SecurityError(
                    f"malen «{template}» er en snarvei som peker ut av malmappen ({real}); maler leses bare fra malmappen"
                )
            return source, filename, uptodate

    return InsideLoader


def page_environment(folder: Path, language: str | None = None):
    """A Jinja environment for the toolkit's own page templates in ``folder`` (the calendar page, the
    status page, the site): HTML-escaped, strict, tidy whitespace; with ``language``, the date filters
    ``dato`` (25. november 2026) and ``dag`` (25. november) in that language."""
    # jinja2 is imported where it is used: about 53 ms to import, too long for start-up.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    if language is not None:
        env.filters.update(dato=lambda d: format_date(d, language), dag=lambda d: format_date(d, language, with_year=False))
    return env


def format_date(value: date, language: str = "nb", with_year: bool = True) -> str:
    """Format a date the Norwegian way, via Babel: "25. november 2026"."""
    if type(value) is date:
        # Thousands of letters carry the same date: Babel formats each date once.
        return _format_plain_date(value, language, with_year)
    return _format_date(value, language, with_year)


@functools.lru_cache(maxsize=512)
def _format_plain_date(value: date, language: str, with_year: bool) -> str:
    return _format_date(value, language, with_year)


def _format_date(value: date, language: str, with_year: bool) -> str:
    # babel is imported where it is used: about 16 ms to import, too long for start-up.
    from babel.dates import format_date as babel_format

    pattern = "d. MMMM y" if with_year else "d. MMMM"
    return babel_format(value, pattern, locale="nn" if language == "nn" else "nb")


def weekday(value: date, language: str = "nb") -> str:
    """The weekday's name in lower case, via Babel: "onsdag" (nynorsk: "laurdag", "sundag")."""
    # babel is imported where it is used: about 16 ms to import, too long for start-up.
    from babel.dates import format_date as babel_format

    return babel_format(value, "EEEE", locale="nn" if language == "nn" else "nb")


def join_and(items, language: str = "nb") -> str:
    """Join words as a sentence does: "A, B og C"."""
    items = [str(item) for item in items if str(item)]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


NUMBER_WORDS = {
    "nb": ("null", "ett", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti", "elleve", "tolv"),
    "nn": ("null", "eitt", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti", "elleve", "tolv"),
}


def number_word(value: int, language: str = "nb") -> str:
    """A count in words as Norwegian prose writes small numbers (neuter: "ett krav"); digits above twelve."""
    words = NUMBER_WORDS["nn" if language == "nn" else "nb"]
    return words[value] if 0 <= value < len(words) else str(value)


def lower_first(text: str) -> str:
    """Lower-case the first letter, for a name used inside a sentence: "justiskomiteen"."""
    return text[:1].lower() + text[1:] if text else text


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _template_line(tb: TracebackType | None) -> tuple[str, int] | None:
    """Find the innermost template frame in a traceback: Jinja maps it to the template's own line."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


class Templates:
    """The campaign's template folder for one language."""

    def __init__(self, folder: Path, language: str = "nb"):
        # jinja2 is imported where it is used: about 53 ms to import, too long for start-up.
        from jinja2 import StrictUndefined

        self.folder = Path(folder)
        self.language = language
        self.env = _limited_environment_class()(
            loader=_inside_loader_class()([str(self.folder / language), str(self.folder)], self.folder),
            undefined=StrictUndefined,
            autoescape=False,
            # Templates are read once per run (see ``get``); without this, every letter would look at
            # the modification time of each template it extends or includes.
            auto_reload=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(
            dato=lambda d: format_date(d, language),
            dag=lambda d: format_date(d, language, with_year=False),
            ukedag=lambda d: weekday(d, language),
            join_and=join_and,
            antall=lambda n: number_word(n, language),
            lower_first=lower_first,
            upper_first=upper_first,
        )
        self.env.globals["range"] = lambda *args: self.env.TickingRange(self.env, *args)
        self._cache: dict[str, object] = {}
        self._labels: dict[str, str] = {}
        self._reported: set = set()

    def exists(self, name: str) -> bool:
        return (self.folder / self.language / name).is_file() or (self.folder / name).is_file()

    def label(self, name: str) -> str:
        local = self.folder / self.language / name
        shared = self.folder / name
        where = shared if shared.is_file() and not local.is_file() else local
        try:
            return str(where.relative_to(self.folder.parent))
        except ValueError:
            return str(where)

    def get(self, name: str):
        template = self._cache.get(name)
        if template is None:
            # jinja2 is imported where it is used: about 53 ms to import, too long for start-up.
            from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

            try:
                template = self.env.get_template(name)
            except TemplateNotFound:
                if _leaves_folder(name):
                    raise TemplateProblem(
                        f"Malen «{name}» ligger utenfor malmappen {self.folder}; maler leses bare derfra."
                    ) from None
                raise TemplateProblem(
                    f"Malen {self.language}/{name} finnes ikke i {self.folder}. Legg den til, eller kopier en eksisterende mal."
                ) from None
            except TemplateSyntaxError as exc:
                raise TemplateProblem(
                    f"{self.label(name)}, linje {exc.lineno}: malfeil: {exc.message}."
                ) from None
            except TemplateError as exc:
                raise TemplateProblem(f"{self.label(name)}: malfeil: {exc}.") from None
            self._cache[name] = template
        return template

    def from_string(self, source: str, label: str = "campaign.yaml (letters.subject)"):
        """A template from text (the e-mail subject), compiled once: compiling costs more than rendering.

        Its ``render`` has the same limits and messages as a template file's.
        """
        key = "\x00string:" + source
        template = self._cache.get(key)
        if template is None:
            template = self._cache[key] = _StringTemplate(self, self.env.from_string(source), label)
        return template

    def render(self, name: str, context: dict) -> str:
        """Render a template; a missing variable or a template error names the template and line."""
        label = self._labels.get(name)
        if label is None:
            # Looked up once per template, like the compiled template itself (two file checks each time otherwise).
            template = self.get(name)
            label = self._labels[name] = self.label(name)
        else:
            template = self._cache[name]
        return self._render(template, context, label)

    def _render(self, template, context: dict, label: str) -> str:
        """Render within the limits on time and size, turning every failure into a TemplateProblem."""
        # jinja2 is imported where it is used: about 53 ms to import, too long for start-up.
        from jinja2 import TemplateError, TemplateNotFound, UndefinedError
        from jinja2.exceptions import SecurityError

        alarm = _Alarm(RENDER_SECONDS * 2)
        deadline = self.env.deadline = time.monotonic() + RENDER_SECONDS
        monotonic = time.monotonic
        try:
            with alarm:
                parts: list[str] = []
                append = parts.append
                size = 0
                chunks = template.generate(context)
                for chunk in chunks:
                    size += len(chunk)
                    if size > MAX_OUTPUT_CHARS:
                        # Thrown into the template where it stands, so that the message names its line.
                        chunks.throw(RenderLimit(f"malen lager mer enn {MAX_OUTPUT_CHARS:,} tegn i ett dokument".replace(",", " ")))
                    append(chunk)
                    if monotonic() > deadline:  # the environment's tick(), inline: it runs for every piece of text
                        self.env.tick()
                return "".join(parts)
        except UndefinedError as exc:
            raise TemplateProblem(
                f"{self._place(exc, label)}: malen bruker en variabel som ikke finnes ({exc.message}). "
                "Se docs/templates.md for variablene malen kan bruke."
            ) from None
        except RenderLimit as exc:
            raise TemplateProblem(
                f"{self._place(exc, label)}: {exc}. Sjekk løkker og regnestykker i malen."
            ) from None
        except RecursionError as exc:
            raise TemplateProblem(
                f"{self._place(exc, label)}: malen henter seg selv (include) eller kaller en makro om og om igjen uten ende. "
                "Sjekk {% include %} og makroene i malen."
            ) from None
        except TemplateNotFound as exc:
            name = exc.name if isinstance(exc.name, str) else ""
            where = "ligger utenfor malmappen" if _leaves_folder(name) else "finnes ikke i malmappen"
            raise TemplateProblem(
                f"{self._place(exc, label)}: malen henter «{exc.name}», som {where}; maler kan bare hente maler fra {self.folder.name}."
            ) from None
        except SecurityError as exc:
            raise TemplateProblem(
                f"{self._place(exc, label)}: malen gjør noe sandkassen ikke tillater ({exc}). "
                "Maler kan bruke variablene og filtrene i docs/templates.md, ikke Pythons egne attributter."
            ) from None
        except TemplateError as exc:
            raise TemplateProblem(f"{self._place(exc, label)}: malfeil: {exc}.") from None
        finally:
            self.env.deadline = None

    def _place(self, exc: BaseException, label: str) -> str:
        where = _template_line(exc.__traceback__)
        return f"{self._relative(where[0])}, linje {where[1]}" if where else label

    def _relative(self, filename: str) -> str:
        try:
            return str(Path(filename).relative_to(self.folder.parent))
        except ValueError:
            return filename

    def check(self, names: list[str], variables: set[str], problems: Problems, chain: tuple[str, ...] = ()) -> None:
        """Parse templates and report syntax errors, variables the context does not provide, templates
        outside the template folder and include loops (``chain``: the includes that led here)."""
        # jinja2 is imported where it is used: about 53 ms to import, too long for start-up.
        from jinja2 import TemplateNotFound, TemplateSyntaxError, meta
        from jinja2.exceptions import SecurityError

        def report(file: str, message: str, hint: str = "", line: int | None = None) -> None:
            # Several letters share a template: its problem is reported once.
            if (id(problems), file, message, line) not in self._reported:
                self._reported.add((id(problems), file, message, line))
                problems.error(file, message, hint, line=line)

        for name in names:
            label = self.label(name)
            try:
                source, _, _ = self.env.loader.get_source(self.env, name)
            except TemplateNotFound:
                report(label, "Malen finnes ikke.", "Legg den til (se docs/templates.md).")
                continue
            except SecurityError as exc:
                report(label, f"{upper_first(str(exc))}.", "Kopier malen inn i malmappen i stedet for å lenke til den.")
                continue
            except (OSError, UnicodeDecodeError) as exc:
                report(label, f"Malen kan ikke leses: {exc}.", "Lagre den som UTF-8.")
                continue
            source = source.removeprefix("\ufeff")
            try:
                tree = self.env.parse(source)
            except TemplateSyntaxError as exc:
                report(label, f"Malfeil: {exc.message}.", "Sjekk at {{ }}, {% %} og {% end… %} står i par.", line=exc.lineno)
                continue
            for variable in sorted(meta.find_undeclared_variables(tree) - variables):
                line = next((i for i, text in enumerate(source.splitlines(), 1) if variable in text), None)
                report(
                    label, f"Malen bruker variabelen «{variable}», som ikke finnes.",
                    f"Rett navnet; malen kan bruke: {', '.join(sorted(variables))}.", line=line,
                )
            for referenced in meta.find_referenced_templates(tree):
                if not referenced:
                    continue
                line = next((i for i, text in enumerate(source.splitlines(), 1) if referenced in text), None)
                if _leaves_folder(referenced):
                    report(label, f"Malen henter «{referenced}», som ligger utenfor malmappen.",
                           f"Maler kan bare hente maler fra {self.folder.name}/.", line=line)
                    continue
                if referenced in chain + (name,):
                    ring = (chain + (name,))[(chain + (name,)).index(referenced):] + (referenced,)
                    report(
                        label, f"Malene henter hverandre i ring: {' → '.join(ring)}." if len(ring) > 2
                        else f"Malen henter seg selv ({referenced}).",
                        "Fjern én av {% include %}-linjene, så ringen brytes.", line=line,
                    )
                    continue
                if referenced not in names:
                    self.check([referenced], variables, problems, chain + (name,))


def split_problem(text: str) -> tuple[str, int | None, str]:
    """A TemplateProblem's text as (template, line, message): "letter_templates/nb/x.j2, linje 3: …"."""
    import re

    found = re.match(r"^(?P<file>[^:]+?)(?:, linje (?P<line>\d+))?: (?P<message>.*)$", text, re.S)
    if not found:
        return "letter_templates", None, text
    message = found["message"]
    return found["file"], int(found["line"]) if found["line"] else None, message[:1].upper() + message[1:]


def _leaves_folder(name: str) -> bool:
    """A template name that points out of the template folder ("../x", "/etc/x")."""
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":")


class _StringTemplate:
    """A template made from text (the e-mail subject), rendered with the same limits as a file's."""

    def __init__(self, templates: "Templates", template, label: str):
        self.templates = templates
        self.template = template
        self.label = label

    def render(self, context: dict) -> str:
        return self.templates._render(self.template, context, self.label)


class _Alarm:
    """A last resort for a template loop that calls nothing Jinja can check (Unix, main thread only)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.previous = None

    def __enter__(self):
        import signal
        import threading

        if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
            return self

        def expired(signum, frame):
            raise RenderLimit(f"malen brukte mer enn {RENDER_SECONDS:g} sekunder på ett dokument (en løkke uten ende?)")

        try:
            self.previous = signal.signal(signal.SIGALRM, expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        except ValueError:
            self.previous = None
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False
