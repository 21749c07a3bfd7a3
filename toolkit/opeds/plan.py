"""Planning op-eds: one piece, one editor at a time, and what happens if the editor says no.

The rules (docs/campaign-files.md explains them to organisers):

- a piece is with one outlet at a time. The plan holds one row per piece: the outlet it is with (or
  is to be sent to), the day to send it, the day an answer is expected, and its fall-backs in order,
  each with the day it would be sent. A fall-back is not a submission: it becomes the piece's pitch
  only when the status file says the outlet declined ("avslått") or the organiser withdrew the piece
  ("trukket"), and the next run then writes that outlet's documents;
- a piece keeps its byline through its chain, unless a fall-back is a local or regional outlet and
  the organiser has named a signatory from its area for it (that outlet in ``preferred_outlets``);
- a piece that belongs to a day (``publish_on``) goes only to outlets that give a date, and reaches
  each of them at least their lead days (``opeds.lead_days``, or the outlet's own ``lead_days``)
  before that day; once no outlet could still print it on its day it is not pitched, and the run
  says so;
- an outlet gets at most one piece within ``opeds.outlet_gap_days`` days (counted in days, not
  calendar weeks), and a signatory signs at most one piece within the same span;
- a piece is sent only between its own first and last day, in a length and language within the
  outlet's limits, and never to an outlet whose limits are unknown or that has had it before.

Rows the organiser has marked (sent, accepted, published, declined, withdrawn) are facts the plan
works around; a planned row is kept while it keeps the rules. The rest is chosen greedily in a
fixed order (pieces with a day first, earliest day first; outlets in the order of outlets.csv), so
the same files and the same day give the same plan. New pieces are spread over the days where the
rules allow, one new pitch a day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from toolkit.core.templates import format_date
from toolkit.opeds.outlets import VERSIONS, Outlet, can_sign
from toolkit.opeds.status import CLOSED, Submission

ONE_DAY = timedelta(days=1)
MAX_FALLBACKS = 3  # fall-backs shown per piece; the next run plans further if they are used up


@dataclass
class PiecePlan:
    """One piece: where it has been, where it is, and where it goes next if that outlet says no."""

    piece: str
    publish_on: date | None
    earlier: list[Submission] = field(default_factory=list)  # declined or withdrawn, in order
    current: Submission | None = None  # the one open pitch: planned, sent, accepted or published
    answer_by: date | None = None  # the day an answer is expected from the current outlet
    fallbacks: list[Submission] = field(default_factory=list)  # "deretter", in order; not submissions
    not_pitched: str = ""  # why the piece has no pitch (empty when it has one)

    @property
    def byline(self) -> str:
        first = self.earlier[0] if self.earlier else self.current
        return first.signatory if first else ""


@dataclass
class Plan:
    """The op-ed plan: one PiecePlan per piece, and what the run could not keep."""

    pieces: list[PiecePlan]
    days: list[date]  # the days planned for: today (or the first day a piece may be sent) to the last day
    dropped: list[tuple[Submission, str]] = field(default_factory=list)  # planned rows that broke a rule, and why
    unconfirmed: list[Submission] = field(default_factory=list)  # planned for a day gone by, not marked as sent
    exhaustive: bool = True  # kept for callers of the former search; a greedy plan is always complete
    today: date | None = None

    def overdue(self, piece_plan: PiecePlan) -> bool:
        """True when a sent piece's answer date has passed without an answer."""
        current = piece_plan.current
        return (current is not None and current.status in ("pitched", "planned") and piece_plan.answer_by is not None
                and self.today is not None and current.day < self.today and piece_plan.answer_by <= self.today)

    @property
    def submissions(self) -> list[Submission]:
        """The rows of the status file: every pitch made or to be made now, without the fall-backs."""
        rows = [s for p in self.pieces for s in p.earlier + ([p.current] if p.current else [])]
        return sorted(rows, key=lambda s: (s.day, s.outlet, s.piece))

    @property
    def uncovered(self) -> list[date]:
        """Days of the plan with no pitch sent or to be sent (information only: no rule asks for one a day)."""
        sent = {s.day for s in self.submissions}
        return [d for d in self.days if d not in sent]

    def piece_plan(self, piece: str) -> PiecePlan | None:
        return next((p for p in self.pieces if p.piece == piece), None)


def closed_on(submission: Submission) -> date:
    """The day a declined or withdrawn pitch ended: the answer's (or withdrawal's) date, else the day after sending."""
    return submission.answered_on or submission.day + ONE_DAY


class Planner:
    """Builds a Plan from an OpedSetup (toolkit.opeds.pieces) for one day."""

    def __init__(self, setup, today: date, period: list[date]):
        self.setup = setup
        self.today = today
        self.period = period
        self.outlets = [o for o in setup.outlets if o.rules_known]
        self.pieces = list(setup.pieces)
        self.order = {p.id: index for index, p in enumerate(self.pieces)}
        self.gap = timedelta(days=setup.gap_days)
        # Every pitch that is or will be made, for the spacing rules: (day, piece) per outlet and per signatory.
        self.outlet_days: dict[str, list[tuple[date, str]]] = {}
        self.signer_days: dict[str, list[tuple[date, str]]] = {}
        self.new_days: set[date] = set()  # days a new pitch was planned on, to spread them out
        self.able: dict[tuple[str, str], list] = {}  # who could sign a piece for an outlet, whatever the day
        self.nodes = 0  # (outlet, day) pairs tried: the planner's work, for bench/bench_opeds.py

    # -- the rules --------------------------------------------------------------------------------

    def _take(self, s: Submission) -> None:
        self.outlet_days.setdefault(s.outlet, []).append((s.day, s.piece))
        self.signer_days.setdefault(s.signatory.lower(), []).append((s.day, s.piece))

    def _spaced(self, days: dict[str, list[tuple[date, str]]], key: str, day: date, piece: str) -> bool:
        return all(other == piece or abs(day - when) >= self.gap for when, other in days.get(key, ()))

    def outlet_free(self, outlet: str, day: date, piece: str) -> bool:
        return self._spaced(self.outlet_days, outlet, day, piece)

    def signer_free(self, name: str, day: date, piece: str) -> bool:
        return self._spaced(self.signer_days, name.lower(), day, piece)

    def last_day(self, spec, outlet: Outlet) -> date | None:
        """The last day ``spec`` may be sent to ``outlet``; None if the outlet cannot print it on its day."""
        if spec.publish_on is None:
            return spec.send_until
        if not outlet.publish_date:
            return None
        return min(spec.send_until, spec.publish_on - timedelta(days=self.setup.lead(outlet)))

    def _version(self, outlet: Outlet, spec, signatory) -> tuple[str, str] | None:
        """The kronikk where it fits, else the debate piece, in a language outlet and signatory share."""
        for language in outlet.languages:
            if language not in spec.languages or language not in signatory.languages:
                continue
            for version in VERSIONS:
                if self.setup.fits(outlet, spec.id, version, language):
                    return version, language
        return None

    def _signers(self, outlet: Outlet, spec, day: date, byline: str, free: set[str] | None = None) -> list:
        """Who may sign ``spec`` for ``outlet`` on ``day``, best first. A piece with a byline keeps it,
        unless the outlet is local and the organiser named a signatory from its area for it."""
        key = (outlet.id, spec.id)
        if key not in self.able:
            self.able[key] = [s for s in self.setup.signatories if any(can_sign(s, outlet, lang) for lang in spec.languages)]
        people = self.able[key]
        if byline:
            keeper = self.setup.signatory(byline)
            if keeper is not None and keeper in people:
                return [keeper] if self.signer_free(keeper.name, day, spec.id) else []
            named = [s for s in people if outlet.is_local and outlet.id in s.preferred_outlets]
            return [s for s in named if self.signer_free(s.name, day, spec.id)]
        if free is None:
            free = {s.name for s in people if self.signer_free(s.name, day, spec.id)}
        people = [s for s in people if s.name in free]
        load = {s.name: len(self.signer_days.get(s.name.lower(), ())) for s in people}
        return sorted(people, key=lambda s: (outlet.id not in s.preferred_outlets, load[s.name], s.row))

    def _pitch(self, spec, outlet: Outlet, day: date, byline: str, tried: set[str], free: set[str] | None = None) -> Submission | None:
        """The submission of ``spec`` to ``outlet`` on ``day`` if every rule allows it."""
        self.nodes += 1
        last = self.last_day(spec, outlet)
        if (
            last is None or not spec.send_from <= day <= last or outlet.id in tried or not outlet.takes(spec.id)
            or not self.outlet_free(outlet.id, day, spec.id)
        ):
            return None
        for person in self._signers(outlet, spec, day, byline, free):
            chosen = self._version(outlet, spec, person)
            if chosen:
                return Submission(day, outlet.id, spec.id, chosen[0], chosen[1], person.name)
        return None

    def _first(self, spec, start: date, byline: str, tried: set[str], spread: bool, order=()) -> Submission | None:
        """The earliest allowed pitch from ``start``; with ``spread``, on a day no other new pitch has.
        On one day, the outlets in ``order`` come first, then the others in the order of outlets.csv."""
        last = max((self.last_day(spec, o) or date.min for o in self.outlets), default=date.min)
        outlets = sorted(self.outlets, key=lambda o: order.index(o.id) if o.id in order else len(order))
        day = start
        while day <= last:
            # Who is free to sign that day, found once for every outlet (a new piece only; a byline is checked as it is).
            free = None if byline else {s.name for s in self.setup.signatories if self.signer_free(s.name, day, spec.id)}
            if not (spread and day in self.new_days) and (free is None or free):
                for outlet in outlets:
                    pitch = self._pitch(spec, outlet, day, byline, tried, free)
                    if pitch:
                        return pitch
            day += ONE_DAY
        return None

    def allowed(self, s: Submission, spec, byline: str, tried: set[str]) -> str | None:
        """Why a planned row from the status file can no longer be kept, or None if it can."""
        outlet = next((o for o in self.outlets if o.id == s.outlet), None)
        signatory = self.setup.signatory(s.signatory)
        if outlet is None:
            return "avisas regler er ukjente"
        if s.outlet in tried:
            return "avisa har hatt innlegget før"
        last = self.last_day(spec, outlet)
        if last is None:
            return "avisa lover ingen dato, og innlegget hører til en bestemt dag"
        if not spec.send_from <= s.day <= last:
            if spec.publish_on and s.day > last and s.day <= spec.send_until:
                return f"avisa trenger innlegget {self.setup.lead(outlet)} dager før {spec.publish_on:%d.%m.%Y}"
            return "dagen er utenfor innleggets periode"
        if not self.setup.fits(outlet, s.piece, s.version, s.language):
            return "versjonen passer ikke avisas lengde eller språk"
        if signatory is None or not can_sign(signatory, outlet, s.language):
            return "underskriveren kan ikke skrive under her (område eller språk)"
        if byline and signatory.name != byline and not (outlet.is_local and outlet.id in signatory.preferred_outlets):
            return f"innlegget har {byline} som underskriver"
        if not self.outlet_free(s.outlet, s.day, s.piece):
            return f"avisa får et annet innlegg mindre enn {self.setup.gap_days} dager før eller etter"
        if not self.signer_free(s.signatory, s.day, s.piece):
            return f"underskriveren har et annet innlegg mindre enn {self.setup.gap_days} dager før eller etter"
        return None

    # -- planning ---------------------------------------------------------------------------------

    def plan(self) -> Plan:
        # The plan's days run from today, or from the first day a piece may be sent (which may be
        # before the period for a piece that belongs to its first day), to the period's last day.
        start = max(self.today, min((p.send_from for p in self.pieces), default=self.today))
        last = max([*self.period, *(p.send_until for p in self.pieces)], default=start)
        plan = Plan([], [start + timedelta(days=i) for i in range((last - start).days + 1)], today=self.today)
        history = sorted(self.setup.history, key=lambda s: (s.day, s.row))
        rows = {p.id: [s for s in history if s.piece == p.id] for p in self.pieces}
        by_piece: dict[str, PiecePlan] = {}
        waiting: dict[str, list[Submission]] = {}  # planned rows still ahead, per piece
        for spec in self.pieces:
            pp = PiecePlan(spec.id, spec.publish_on)
            by_piece[spec.id] = pp
            for s in rows[spec.id]:
                if s.status == "planned" and s.day >= self.today:
                    waiting.setdefault(spec.id, []).append(s)
                    continue
                if s.status == "planned":
                    plan.unconfirmed.append(s)  # perhaps sent but not marked: held as if it was
                self._take(s)
                if s.status in CLOSED:
                    pp.earlier.append(s)
                elif pp.current is None or not pp.current.placed:
                    if pp.current is not None:
                        pp.earlier.append(pp.current)  # two open pitches: the status loader warns
                    pp.current = s
        # Pieces with a day first, the earliest day first; then by last day and the order in campaign.yaml.
        ordered = sorted(
            self.pieces,
            key=lambda p: (p.publish_on is None, p.publish_on or p.send_until, p.send_until, self.order[p.id]),
        )
        for spec in ordered:
            pp = by_piece[spec.id]
            if pp.current is not None:
                for s in waiting.get(spec.id, []):
                    plan.dropped.append((s, "innlegget ligger allerede hos en avis"))
                continue
            tried = {s.outlet for s in pp.earlier}
            for s in waiting.get(spec.id, []):
                reason = self.allowed(s, spec, pp.byline, tried) if pp.current is None else "innlegget har en annen planlagt rad"
                if reason is None:
                    pp.current = s
                    self._take(s)
                    self.new_days.add(s.day)
                else:
                    plan.dropped.append((s, reason))
        for spec in ordered:
            pp = by_piece[spec.id]
            if pp.current is not None:
                continue
            tried = {s.outlet for s in pp.earlier}
            start = max(self.today, spec.send_from, *(closed_on(s) for s in pp.earlier))
            # After a decline or a withdrawal, the fall-backs the last plan showed come first, in their order.
            order = [f.outlet for f in self._chain(spec, pp.earlier[-1], pp.byline, tried)] if pp.earlier else []
            pitch = self._first(spec, start, pp.byline, tried, spread=not pp.earlier, order=order)
            pitch = pitch or self._first(spec, start, pp.byline, tried, spread=False, order=order)
            if pitch is None:
                pp.not_pitched = self._why_not(spec, pp, start)
                continue
            pp.current = pitch
            self._take(pitch)
            self.new_days.add(pitch.day)
        for spec in ordered:
            pp = by_piece[spec.id]
            if pp.current is None or pp.current.placed:
                continue
            outlet = self.setup.outlet(pp.current.outlet)
            pp.answer_by = pp.current.day + timedelta(days=self.setup.answer_days(outlet))
            pp.fallbacks = self._fallbacks(spec, pp)
        plan.pieces = [by_piece[p.id] for p in self.pieces]
        return plan

    def _fallbacks(self, spec, pp: PiecePlan) -> list[Submission]:
        """Where the piece goes if the current outlet says no or does not answer in time."""
        if pp.current is None:
            return []
        return self._chain(spec, pp.current, pp.byline, {s.outlet for s in pp.earlier}, today=self.today)

    def _chain(self, spec, current: Submission, byline: str, tried: set[str], today: date = date.min) -> list[Submission]:
        """The fall-backs after ``current``: each on the day the previous one's answer is due, at the earliest."""
        tried = set(tried) | {current.outlet}
        chain: list[Submission] = []
        previous = current
        answer_by = current.day + timedelta(days=self.setup.answer_days(self.setup.outlet(current.outlet)))
        while len(chain) < MAX_FALLBACKS:
            start = max(answer_by, today)
            pitch = self._first(spec, start, byline, tried, spread=False)
            if pitch is None:
                break
            chain.append(pitch)
            tried.add(pitch.outlet)
            previous = pitch
            answer_by = previous.day + timedelta(days=self.setup.answer_days(self.setup.outlet(previous.outlet)))
        return chain

    def _why_not(self, spec, pp: PiecePlan, start: date) -> str:
        """Say in words why a piece gets no pitch."""

        tried = {s.outlet for s in pp.earlier}
        takers = [o for o in self.outlets if o.takes(spec.id) and o.id not in tried]
        if not takers:
            return "ingen avis med kjente regler som ikke alt har hatt det, tar det"
        if spec.publish_on is not None:
            dated = [o for o in takers if o.publish_date]
            if not dated:
                return f"ingen av avisene som er igjen, lover en dato, og det skal stå på trykk {format_date(spec.publish_on)}"
            if all((self.last_day(spec, o) or date.min) < start for o in dated):
                return (f"ingen avis rekker lenger å trykke det {format_date(spec.publish_on)}: de trenger det "
                        f"{min(self.setup.lead(o) for o in dated)} dager eller mer før")
        if spec.send_until < start:
            return f"siste dag det kunne sendes, var {format_date(spec.send_until)}"
        return (f"ingen avis eller underskriver er ledig innen {format_date(spec.send_until)} "
                f"(hver avis og hver underskriver får ett innlegg per {self.setup.gap_days} dager)")


def plan_opeds(setup, today: date, period: list[date]) -> Plan:
    """Plan the op-eds from ``today`` (see the module's docstring for the rules)."""
    return Planner(setup, today, period).plan()
