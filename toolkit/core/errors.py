"""The toolkit's errors: one base class, caught once by the CLI and shown without a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class ToolkitError(Exception):
    """Base class of every error the toolkit reports to its user; ``exit_code`` is the process's."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One problem found in the campaign files: where it is, what is wrong and how to fix it."""

    file: str
    message: str
    hint: str = ""
    line: int | None = None  # line in a YAML or template file
    row: int | None = None  # row in a CSV file as a spreadsheet numbers it (header = 1)
    field: str | None = None
    severity: str = "error"  # "error" or "warning"
    sheet: str | None = None  # the sheet of an Excel file, as its tab shows it
    column: str | None = None  # the column letter of an Excel file (F), shown before the field

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"ark «{self.sheet}»")
        if self.row is not None:
            parts.append(f"rad {self.row}")
        if self.line is not None:
            parts.append(f"linje {self.line}")
        if self.column and self.field:
            parts.append(f"kolonne {self.column} «{self.field}»")
        elif self.field and self.field.startswith("--"):
            parts.append(f"valget «{self.field}»")  # a command-line option
        elif self.field:
            parts.append(f"felt «{self.field}»")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.location()}: {self.message}"
        if self.hint:
            text += f" {self.hint}"
        return text


class CampaignInvalid(ToolkitError):
    """The campaign files have problems; ``problems`` lists all of them, errors first."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: p.severity != "error")
        errors = sum(1 for p in problems if p.severity == "error")
        super().__init__(f"Kampanjefilene har {errors} feil.")


class CampaignNotFound(ToolkitError):
    """The campaign folder (or its campaign.yaml) is not there: the command was given the wrong place."""

    exit_code = 2


class OutputError(ToolkitError):
    """Writing an output failed (read-only folder, full disk); nothing half-written is left behind."""

    exit_code = 3


class FetchError(ToolkitError):
    """An online data service could not be reached or gave an answer we cannot use; nothing was changed."""

    exit_code = 4


class SheetLocation(Protocol):
    """Where a table read from Excel puts a problem (toolkit.core.excel_in.SheetSource): the file, sheet and column letter."""

    def locate(self, where: dict) -> tuple[str, dict]: ...


class Problems:
    """Collects problems across all files so that one run reports every one of them."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        # A list read from Excel instead of CSV: label (recipients.csv) -> toolkit.core.excel_in.SheetSource,
        # so that problems name the .xlsx file, its sheet and the column letter as Excel shows them.
        self.sheets: dict[str, SheetLocation] = {}

    def _where(self, file: str, where: dict) -> tuple[str, dict]:
        source = self.sheets.get(file)
        if source is None:
            return file, where
        return source.locate(where)

    def error(self, file: str, message: str, hint: str = "", **where) -> None:
        file, where = self._where(file, where)
        self.items.append(Problem(file, message, hint, **where))

    def warning(self, file: str, message: str, hint: str = "", **where) -> None:
        file, where = self._where(file, where)
        self.items.append(Problem(file, message, hint, severity="warning", **where))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def in_row(self, file: str, row: int) -> RowProblems:
        """A reporter for the problems of one table row: ``bad = problems.in_row("outlets.csv", 4)``, then
        ``bad("kind", "Ukjent type «x».", "Bruk …")`` records an error in that row and column."""
        return RowProblems(self, file, row)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise CampaignInvalid(self.items)


@dataclass(frozen=True)
class RowProblems:
    """Records errors in one row of a table (a CSV file, or an Excel sheet read in its place)."""

    problems: Problems
    file: str
    row: int

    def __call__(self, column: str, message: str, hint: str = "") -> None:
        self.problems.error(self.file, message, hint, row=self.row, field=column)
