"""`toolkit check`: how alike the generated letters are, reported per letter, as a histogram and worst pairs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.letters.similarity import Fingerprints, Item, Result, compare

REPORT_FILE = "likhet-brev.csv"


@dataclass
class SimilarityReport:
    """The outcome of a similarity check over one batch of letters."""

    result: Result
    threshold: float
    letters: int

    @property
    def over(self) -> list[str]:
        return sorted(self.result.over(self.threshold))

    def summary_lines(self, label: str, worst: int = 5) -> list[str]:
        lines = [f"Likhet ({label}): {self.letters} brev, {len(self.over)} over grensen {self.threshold:.2f}."]
        floor = self.result.exact_from
        if floor:
            # A large batch: only the letters at or over the threshold were scored one by one.
            under = sum(1 for score in self.result.scores if not self.result.known(score))
            lines.append(f"  under {floor:.2f}: {under:5d} (så mange brev gjør det ikke nøyaktig å regne ut hvor mye under)")
        bars = [(low, high, count) for low, high, count in self.result.histogram() if count and high > floor]
        for low, high, count in bars:
            lines.append(f"  {max(low, floor):.2f}–{high:.2f}: {count:5d} {'█' * min(count, 40)}" if floor
                         else f"  {low:.1f}–{high:.1f}: {count:5d} {'█' * min(count, 40)}")
        for score, first, second in self.result.pairs[:worst]:
            lines.append(f"  {score:.2f}  {first} ~ {second}")
        return lines


def check_similarity(items: Fingerprints | list[Item], threshold: float) -> SimilarityReport:
    """Compare a batch of letters' fingerprints."""
    return SimilarityReport(result=compare(items, threshold=threshold), threshold=threshold, letters=len(items))


def write_report(report: SimilarityReport, path: Path, senders: bool = False) -> None:
    """One row per letter, most similar first: its highest similarity and the letter it is most like.

    ``senders`` fills the sender column with each letter's group (the supporter who signs it). In a large
    batch, a letter under the threshold has "under" and the threshold as its score (see ``compare``).
    """
    known = report.result.known
    rows = (
        [key, group if senders else "", f"{score:.2f}" if known(score) else f"under {report.result.exact_from:.2f}",
         other or "", "ja" if score > report.threshold else "nei"]
        for key, group, score, other in report.result.rows()
    )
    from toolkit.core.excel_out import write_table  # the CSV and an .xlsx beside it, streamed

    write_table(path, ["brev", "avsender", "høyeste likhet", "mest lik", "over grensen"], rows,
                sheet="Likhet", numbers=("høyeste likhet",), problem=lambda row: row[4] == "ja")
