"""Jinja2 templates that organisers edit: strict, sandboxed, with Norwegian date filters."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import TracebackType

from toolkit.errors import Problems, ToolkitError


class TemplateProblem(ToolkitError):
    """A template failed to render: names the template and the line."""

    exit_code = 2


def format_date(value: date, language: str = "nb", with_year: bool = True) -> str:
    """Format a date the Norwegian way, via Babel: "25. november 2026"."""
    from babel.dates import format_date as babel_format

    pattern = "d. MMMM y" if with_year else "d. MMMM"
    return babel_format(value, pattern, locale="nn" if language == "nn" else "nb")


def weekday(value: date, language: str = "nb") -> str:
    """The weekday's name in lower case, via Babel: "onsdag" (nynorsk: "laurdag", "sundag")."""
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
        from jinja2 import FileSystemLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        self.folder = Path(folder)
        self.language = language
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader([str(self.folder / language), str(self.folder)]),
            undefined=StrictUndefined,
            autoescape=False,
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
        self._cache: dict[str, object] = {}

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
            from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

            try:
                template = self.env.get_template(name)
            except TemplateNotFound:
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

    def from_string(self, source: str):
        """A template from text (the e-mail subject), compiled once: compiling costs more than rendering."""
        key = "\x00string:" + source
        template = self._cache.get(key)
        if template is None:
            template = self._cache[key] = self.env.from_string(source)
        return template

    def render(self, name: str, context: dict) -> str:
        """Render a template; a missing variable or a template error names the template and line."""
        from jinja2 import TemplateError, UndefinedError

        template = self.get(name)
        try:
            return template.render(context)
        except UndefinedError as exc:
            where = _template_line(exc.__traceback__)
            place = f"{self._relative(where[0])}, linje {where[1]}" if where else self.label(name)
            raise TemplateProblem(
                f"{place}: malen bruker en variabel som ikke finnes ({exc.message}). "
                "Se docs/templates.md for variablene malen kan bruke."
            ) from None
        except TemplateError as exc:
            where = _template_line(exc.__traceback__)
            place = f"{self._relative(where[0])}, linje {where[1]}" if where else self.label(name)
            raise TemplateProblem(f"{place}: malfeil: {exc}.") from None

    def _relative(self, filename: str) -> str:
        try:
            return str(Path(filename).relative_to(self.folder.parent))
        except ValueError:
            return filename

    def check(self, names: list[str], variables: set[str], problems: Problems) -> None:
        """Parse templates and report syntax errors and variables the context does not provide."""
        from jinja2 import TemplateSyntaxError, meta

        for name in names:
            path = self.folder / self.language / name
            if not path.is_file():
                path = self.folder / name
            label = self.label(name)
            if not path.is_file():
                problems.error(label, "Malen finnes ikke.", "Legg den til (se docs/templates.md).")
                continue
            try:
                source = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                problems.error(label, f"Malen kan ikke leses: {exc}.", "Lagre den som UTF-8.")
                continue
            try:
                tree = self.env.parse(source)
            except TemplateSyntaxError as exc:
                problems.error(label, f"Malfeil: {exc.message}.", "Sjekk at {{ }}, {% %} og {% end… %} står i par.", line=exc.lineno)
                continue
            for variable in sorted(meta.find_undeclared_variables(tree) - variables):
                line = next((i for i, text in enumerate(source.splitlines(), 1) if variable in text), None)
                problems.error(
                    label, f"Malen bruker variabelen «{variable}», som ikke finnes.",
                    f"Rett navnet; malen kan bruke: {', '.join(sorted(variables))}.", line=line,
                )
            for referenced in meta.find_referenced_templates(tree):
                if referenced and referenced not in names:
                    self.check([referenced], variables, problems)
