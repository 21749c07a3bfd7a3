"""`toolkit status`: where the campaign stands today, from the journal, the op-ed status file and the calendar.

The same figures go to the screen, to ``status.html`` (one offline page, printable, no scripts or
anything from the network; colours checked for WCAG AA contrast like the calendar page's) and to
``status.csv`` (long format: one figure per row, for Excel).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from toolkit.core.fsutil import atomic_write_text
from toolkit.core.model import Campaign
from toolkit.core.tabular import write_csv
from toolkit.core.templates import format_date, page_environment
from toolkit.social.counting import PLATFORM_NAMES
from toolkit.social.page import PALETTE as CALENDAR_PALETTE

HTML_FILE = "status.html"
CSV_FILE = "status.csv"
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "data" / "status"
KIND_LABELS = {"ministry": "Departementer", "minister": "Statsråder", "committee": "Stortingskomiteer",
               "mp": "Stortingsrepresentanter", "other": "Andre"}
OPED_LABELS = {"planned": "planlagt", "pitched": "sendt, venter på svar", "accepted": "antatt",
               "published": "publisert", "declined": "avslått"}
# The calendar page's colours (one look for the organisation's pages), plus the bars and "good".
PALETTE = {name: CALENDAR_PALETTE[name] for name in ("ink", "muted", "paper", "page", "orange", "orange-dark", "bad")} | {
    "bar": CALENDAR_PALETTE["orange-dark"],
    "bar-bg": "#efe6da",
    "good": "#1d6b2f",
}
# Every (text, background) pair the stylesheet uses: each must reach WCAG AA contrast (4.5:1).
TEXT_ON = [("ink", "paper"), ("ink", "page"), ("muted", "paper"), ("muted", "page"), ("ink", "orange"),
           ("orange-dark", "paper"), ("bad", "paper"), ("good", "paper"), ("paper", "bar")]


@dataclass
class Tally:
    """Letters to one group of recipients: written, sent by e-mail, failed, answered."""

    label: str
    written: int = 0
    sent: int = 0
    failed: int = 0
    answered: int = 0

    @property
    def share(self) -> float | None:
        """The share of the letters sent that were answered, or None when none were sent."""
        return self.answered / self.sent if self.sent else None


@dataclass
class CampaignStatus:
    today: date
    letters: Tally
    by_kind: list[Tally] = field(default_factory=list)
    by_party: list[Tally] = field(default_factory=list)
    reminders_written: int = 0
    reminders_sent: int = 0
    automatic: int = 0
    unmatched: int = 0
    supporters_written: int = 0
    supporters_sent: int = 0
    opeds: dict[str, int] = field(default_factory=dict)
    opeds_due: list = field(default_factory=list)  # (Submission, outlet name) planned this week
    posts_today: list = field(default_factory=list)
    posts_tomorrow: list = field(default_factory=list)
    has_journal: bool = False
    has_opeds: bool = False
    has_calendar: bool = False


def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)} %"


def _manifest(path: Path) -> list[dict]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def collect(campaign: Campaign, journal, today: date) -> CampaignStatus:
    """Count everything; ``journal`` may be None (nothing sent yet)."""
    out = campaign.output_dir
    recipients = {r.id: r for r in campaign.recipients}
    written = {e["recipient"]: e for e in _manifest(out / "emails" / "manifest.json") if e.get("recipient")}
    rows = journal.rows() if journal is not None else {}
    replies = journal.replies() if journal is not None else []
    answered = {r.recipient for r in replies if r.kind == "answer" and r.recipient}
    first: dict[str, str] = {}  # recipient -> state of the organisation's letter
    reminders_sent = 0
    supporters_sent = 0
    for row in rows.values():
        if row.file.startswith("emails/"):
            first.setdefault(row.recipient, row.state)
        elif row.file.startswith("purringer/") and row.state == "sent":
            reminders_sent += 1
        elif row.file.startswith("supporters/") and row.state == "sent":
            supporters_sent += 1
    status = CampaignStatus(today=today, letters=Tally("Alle brev"), has_journal=journal is not None)
    kinds: dict[str, Tally] = {}
    parties: dict[str, Tally] = {}
    for recipient_id in sorted(set(written) | set(first)):
        recipient = recipients.get(recipient_id)
        kind = (recipient.kind if recipient else written.get(recipient_id, {}).get("kind")) or "other"
        groups = [status.letters, kinds.setdefault(kind, Tally(KIND_LABELS.get(kind, kind)))]
        if kind == "mp":
            party = (recipient.party_name or recipient.party) if recipient else ""
            groups.append(parties.setdefault(party or "uten parti", Tally(party or "uten parti")))
        state = first.get(recipient_id)
        for tally in groups:
            tally.written += 1 if recipient_id in written else 0
            tally.sent += 1 if state == "sent" else 0
            tally.failed += 1 if state == "failed" else 0
            tally.answered += 1 if recipient_id in answered else 0
    status.by_kind = [kinds[k] for k in KIND_LABELS if k in kinds] + [t for k, t in kinds.items() if k not in KIND_LABELS]
    status.by_party = sorted(parties.values(), key=lambda t: (-t.sent, t.label))
    status.reminders_written = len(_manifest(out / "purringer" / "manifest.json"))
    status.reminders_sent = reminders_sent
    status.automatic = sum(1 for r in replies if r.kind == "auto")
    status.unmatched = sum(1 for r in replies if r.kind == "unmatched")
    status.supporters_written = sum(
        1 for manifest in sorted((out / "supporters").glob("*/manifest.json")) for e in _manifest(manifest) if e.get("file")
    )
    status.supporters_sent = supporters_sent
    setup = campaign.opeds
    if setup is not None:
        status.has_opeds = True
        status.opeds = {key: 0 for key in OPED_LABELS}
        monday = today - timedelta(days=today.weekday())
        for row in setup.history:
            status.opeds[row.status] = status.opeds.get(row.status, 0) + 1
            if row.status == "planned" and monday <= row.day <= monday + timedelta(days=6) and row.day >= today:
                name = next((o.name for o in setup.outlets if o.id == row.outlet), row.outlet)
                status.opeds_due.append((row, name))
        status.opeds_due.sort(key=lambda item: (item[0].day, item[1]))
    if campaign.calendar is not None:
        status.has_calendar = True
        posts = sorted(campaign.calendar.posts, key=lambda p: (p.publish_at, p.platform))
        status.posts_today = [p for p in posts if p.date == today]
        status.posts_tomorrow = [p for p in posts if p.date == today + timedelta(days=1)]
    return status


def screen_lines(status: CampaignStatus, campaign: Campaign) -> list[str]:
    """The status as it fits on one terminal screen."""

    t = status.letters
    lines = [f"Kampanjestatus {format_date(status.today)}",
             f"Brev: {t.written} skrevet, {t.sent} sendt, {t.failed} feilet, {t.answered} besvart "
             f"({percent(t.share)} av de sendte)."]
    if not status.has_journal:
        lines.append("  Ingenting er sendt ennå (ingen sendejournal).")
    for tally in status.by_kind:
        lines.append(f"  {tally.label}: {tally.answered} av {tally.sent} sendte besvart ({percent(tally.share)})"
                     + (f", {tally.failed} feilet" if tally.failed else ""))
    if status.by_party:
        lines.append("  Stortingsrepresentanter per parti: " + "; ".join(
            f"{p.label} {p.answered}/{p.sent}" for p in status.by_party))
    extra = []
    if status.reminders_written or status.reminders_sent:
        extra.append(f"påminnelser: {status.reminders_written} skrevet, {status.reminders_sent} sendt")
    if status.automatic:
        extra.append(f"automatiske svar: {status.automatic}")
    if status.unmatched:
        extra.append(f"uten treff: {status.unmatched} (se «toolkit replies --list»)")
    if status.supporters_written or status.supporters_sent:
        extra.append(f"underskriveres brev: {status.supporters_written} skrevet, {status.supporters_sent} sendt")
    if extra:
        lines.append("  " + "; ".join(extra) + ".")
    if status.has_opeds:
        lines.append("Kronikker: " + ", ".join(f"{status.opeds.get(k, 0)} {label}" for k, label in OPED_LABELS.items()) + ".")
        if status.opeds_due:
            lines.append("  Skal sendes denne uken: " + "; ".join(
                f"{format_date(row.day, with_year=False)} {row.piece} til {name}" for row, name in status.opeds_due))
        else:
            lines.append("  Ingen kronikker skal sendes resten av denne uken.")
    if status.has_calendar:
        for label, posts in (("I dag", status.posts_today), ("I morgen", status.posts_tomorrow)):
            if posts:
                lines.append(f"{label}: {len(posts)} innlegg:")
                for group in group_posts(posts):
                    times = sorted(p.publish_at for p in group)
                    span = f"{times[0]:%H:%M}" + (f"–{times[-1]:%H:%M}" if times[-1] != times[0] else "")
                    platforms = ", ".join(dict.fromkeys(PLATFORM_NAMES[p.platform] for p in group))
                    lines.append(f"  «{group[0].title}» kl. {span} ({platforms})")
            else:
                lines.append(f"{label}: ingen innlegg.")
    return lines


def group_posts(posts) -> list[list]:
    """The day's posts grouped by post (one post goes out on several platforms), in order of the first."""
    groups: dict[str, list] = {}
    for post in posts:
        groups.setdefault(post.id, []).append(post)
    return list(groups.values())


def csv_rows(status: CampaignStatus) -> list[list]:
    rows: list[list] = []
    for section, tallies in (("brev", [status.letters]), ("brev per mottakertype", status.by_kind),
                             ("stortingsrepresentanter per parti", status.by_party)):
        for tally in tallies:
            for what, value in (("skrevet", tally.written), ("sendt", tally.sent), ("feilet", tally.failed),
                                ("besvart", tally.answered)):
                rows.append([section, tally.label, what, value, ""])
            rows.append([section, tally.label, "andel besvart av sendte", "", percent(tally.share)])
    rows += [["svar", "", "automatiske svar", status.automatic, ""], ["svar", "", "uten treff", status.unmatched, ""],
             ["påminnelser", "", "skrevet", status.reminders_written, ""],
             ["påminnelser", "", "sendt", status.reminders_sent, ""],
             ["underskriveres brev", "", "skrevet", status.supporters_written, ""],
             ["underskriveres brev", "", "sendt", status.supporters_sent, ""]]
    for key, label in OPED_LABELS.items():
        rows.append(["kronikker", "", label, status.opeds.get(key, 0), ""])
    for row, name in status.opeds_due:
        rows.append(["kronikker denne uken", row.day.isoformat(), f"{row.piece} til {name}", 1, ""])
    for label, posts in (("innlegg i dag", status.posts_today), ("innlegg i morgen", status.posts_tomorrow)):
        for post in posts:
            rows.append([label, post.publish_at.strftime("%Y-%m-%d %H:%M"), f"{post.platform}: {post.title}", 1, ""])
    return rows


def render_html(status: CampaignStatus, campaign: Campaign) -> str:
    env = page_environment(TEMPLATE_DIR, campaign.language)
    env.filters.update(prosent=percent, platform=lambda p: PLATFORM_NAMES[p])
    return env.get_template("status.html.j2").render(
        status=status, campaign=campaign, palette=PALETTE, oped_labels=OPED_LABELS,
        tomorrow=status.today + timedelta(days=1),
    )


def write_status(status: CampaignStatus, campaign: Campaign) -> tuple[Path, Path]:

    out = campaign.output_dir
    html_path, csv_path = out / HTML_FILE, out / CSV_FILE
    atomic_write_text(html_path, render_html(status, campaign))
    write_csv(csv_path, ["del", "gruppe", "hva", "antall", "andel"], csv_rows(status), excel=True)
    return html_path, csv_path
