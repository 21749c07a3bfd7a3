"""Planning op-ed submissions: which piece goes to which outlet on which day, and who signs it.

The rules (docs/campaign-files.md explains them to organisers):

- every day of the period from today on should have one submission;
- an outlet gets at most one piece per calendar week (Monday to Sunday);
- a piece sits with one outlet at a time: from the day it is sent until the outlet answers, or
  until ``exclusive_wait_days`` days have passed without an answer. Only then is it planned to the
  next outlet, and never to an outlet that has already had it. An accepted or published piece goes
  nowhere else;
- a piece is sent only between its own first and last day, in a length and language within the
  outlet's limits, and never to an outlet whose limits are unknown;
- local and regional outlets get signatories from their own districts; every signatory writes in
  the piece's language.

Rows the organiser has marked (sent, accepted, published, declined) are facts the plan works
around; rows still marked as planned are kept while they keep the rules, and the days left are
filled by a depth-first search that covers as many days as the outlets allow. Its order of
preference (pieces whose last day comes first, new pieces before pieces moving on, outlets in the
order of outlets.csv) makes the plan deterministic: the same files and the same day give the same plan.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from toolkit.oped_status import Submission
from toolkit.outlets import VERSIONS, Outlet, can_sign

# The search proves optimality almost at once on campaign-sized input; the limit only guards
# against a pathological folder (many outlets, few pieces) taking minutes. Above it, the best
# plan found so far is used, still deterministically.
NODE_LIMIT = 20_000
ONE_DAY = timedelta(days=1)


def hold_end(submission: Submission, wait_days: int) -> date:
    """The first day the piece is free again after ``submission`` (an accepted piece never is)."""
    if submission.placed:
        return date.max
    if submission.status == "declined":
        return max(submission.day + ONE_DAY, submission.answered_on or submission.day + ONE_DAY)
    return submission.day + timedelta(days=wait_days)


def week_of(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


@dataclass
class Plan:
    """The op-ed plan: every submission in date order and what the run changed."""

    submissions: list[Submission]
    days: list[date]  # the days planned for: today (or the first day) to the last day
    uncovered: list[date]  # of those, days with nothing sent or planned
    dropped: list[tuple[Submission, str]] = field(default_factory=list)  # planned rows that broke a rule, and why
    unconfirmed: list[Submission] = field(default_factory=list)  # planned for a day gone by, not marked as sent
    exhaustive: bool = True  # False if the search stopped at NODE_LIMIT

    def next_after(self, submission: Submission) -> Submission | None:
        """The submission the piece moves on to if this outlet does not answer."""
        later = [s for s in self.submissions if s.piece == submission.piece and s.day > submission.day]
        return min(later, key=lambda s: s.day, default=None)


class _State:
    """What is taken: outlet weeks, the days each piece is with an outlet, who has signed how much."""

    def __init__(self, wait_days: int):
        self.wait_days = wait_days
        self.outlet_weeks: Counter = Counter()
        self.holds: dict[str, list[tuple[date, date]]] = {}
        self.tried: Counter = Counter()  # (piece, outlet) -> sends
        self.placed: Counter = Counter()
        self.sent: Counter = Counter()
        self.load: Counter = Counter()
        self.signers: dict[str, list[str]] = {}

    def add(self, s: Submission) -> None:
        self.outlet_weeks[(s.outlet, week_of(s.day))] += 1
        self.holds.setdefault(s.piece, []).append((s.day, hold_end(s, self.wait_days)))
        self.tried[(s.piece, s.outlet)] += 1
        self.placed[s.piece] += s.placed
        self.sent[s.piece] += 1
        self.load[s.signatory] += 1
        self.signers.setdefault(s.piece, []).append(s.signatory)

    def remove(self, s: Submission) -> None:
        self.outlet_weeks[(s.outlet, week_of(s.day))] -= 1
        self.holds[s.piece].remove((s.day, hold_end(s, self.wait_days)))
        self.tried[(s.piece, s.outlet)] -= 1
        self.placed[s.piece] -= s.placed
        self.sent[s.piece] -= 1
        self.load[s.signatory] -= 1
        self.signers[s.piece].remove(s.signatory)

    def piece_free(self, piece: str, day: date) -> bool:
        if self.placed[piece]:
            return False
        end = day + timedelta(days=self.wait_days)
        return all(end <= start or stop <= day for start, stop in self.holds.get(piece, ()))

    def outlet_free(self, outlet: str, day: date) -> bool:
        return not self.outlet_weeks[(outlet, week_of(day))]

    def had(self, piece: str, outlet: str) -> bool:
        return bool(self.tried[(piece, outlet)])


class Planner:
    """Builds a Plan from an OpedSetup (toolkit.opeds) for one day."""

    def __init__(self, setup, today: date, period: list[date]):
        self.setup = setup
        self.today = today
        self.period = period
        self.outlets = [o for o in setup.outlets if o.rules_known]
        self.pieces = list(setup.pieces)
        self.order = {p.id: index for index, p in enumerate(self.pieces)}
        self.state = _State(setup.wait_days)
        # Which pieces each outlet could take at all, whatever the day, and the other way round:
        # the search's bounds use them.
        self.candidates = {
            o.id: [p for p in self.pieces if any(self._signers(o, p.id, v, l) for v in VERSIONS for l in p.languages)]
            for o in self.outlets
        }
        taken = {o.id: {p.id for p in self.candidates[o.id]} for o in self.outlets}
        self.takers = {p.id: [o.id for o in self.outlets if p.id in taken[o.id]] for p in self.pieces}

    # -- choosing ---------------------------------------------------------------------------

    def _signers(self, outlet: Outlet, piece: str, version: str, language: str):
        if not self.setup.fits(outlet, piece, version, language):
            return []
        return [s for s in self.setup.signatories if can_sign(s, outlet, language)]

    def _choose(self, outlet: Outlet, piece, day: date) -> Submission | None:
        """The submission of ``piece`` to ``outlet``: the kronikk where it fits, and the best signatory."""
        previous = self.state.signers.get(piece.id, [])
        for language in outlet.languages:
            if language not in piece.languages:
                continue
            for version in VERSIONS:
                signers = self._signers(outlet, piece.id, version, language)
                if signers:
                    best = min(
                        signers,
                        key=lambda s: (
                            outlet.id not in s.preferred_outlets,
                            s.name not in previous,
                            self.state.load[s.name],
                            s.row,
                        ),
                    )
                    return Submission(day, outlet.id, piece.id, version, language, best.name)
        return None

    def _options(self, day: date):
        """Every submission possible on ``day``, the preferred first."""
        pieces = sorted(
            (p for p in self.pieces if p.send_from <= day <= p.send_until and self.state.piece_free(p.id, day)),
            key=lambda p: (p.send_until, self.state.sent[p.id] > 0, self.order[p.id]),
        )
        for piece in pieces:
            for outlet in self.outlets:
                if outlet.takes(piece.id) and self.state.outlet_free(outlet.id, day) and not self.state.had(piece.id, outlet.id):
                    choice = self._choose(outlet, piece, day)
                    if choice is not None:
                        yield choice

    def _allowed(self, s: Submission) -> str | None:
        """Why a planned row from the status file can no longer be kept, or None if it can."""
        outlet = next((o for o in self.outlets if o.id == s.outlet), None)
        piece = next((p for p in self.pieces if p.id == s.piece), None)
        signatory = self.setup.signatory(s.signatory)
        if outlet is None:
            return "avisas regler er ukjente"
        if piece is None or not piece.send_from <= s.day <= piece.send_until:
            return "dagen er utenfor innleggets periode"
        if not self.setup.fits(outlet, s.piece, s.version, s.language):
            return "versjonen passer ikke avisas lengde eller språk"
        if signatory is None or not can_sign(signatory, outlet, s.language):
            return "underskriveren kan ikke skrive under her (område eller språk)"
        if self.state.placed[s.piece]:
            return "innlegget er allerede antatt eller publisert"
        if self.state.had(s.piece, s.outlet):
            return "avisa har hatt innlegget før"
        if not self.state.outlet_free(s.outlet, s.day):
            return "avisa får et annet innlegg samme uke"
        if not self.state.piece_free(s.piece, s.day):
            return "innlegget ligger hos en annen avis da"
        return None

    # -- searching ------------------------------------------------------------------------------

    def _bound(self, index: int, beat: int) -> int:
        """At most how many of the remaining days can still get a submission: no more than the
        outlets have weeks for, and no more than the pieces can be sent, one outlet at a time.
        The second, dearer bound is computed only when the first does not already fall short of ``beat``."""
        bound = self._outlet_bound(index)
        return bound if bound <= beat else min(bound, self._piece_bound(index))

    def _piece_bound(self, index: int) -> int:
        total = 0
        for piece in self.pieces:
            if self.state.placed[piece.id]:
                continue
            outlets = sum(1 for outlet in self.takers[piece.id] if not self.state.had(piece.id, outlet))
            sends, free_from = 0, date.min
            for day in self.search_days[index:]:
                if sends == outlets:
                    break
                if day >= free_from and piece.send_from <= day <= piece.send_until and self.state.piece_free(piece.id, day):
                    sends += 1
                    free_from = day + timedelta(days=self.state.wait_days)
            total += sends
        return total

    def _outlet_bound(self, index: int) -> int:
        remaining: dict[tuple[int, int], list[date]] = {}
        for day in self.search_days[index:]:
            remaining.setdefault(week_of(day), []).append(day)
        total = 0
        for week, days in remaining.items():
            first, last = days[0], days[-1]
            outlets = sum(
                1
                for o in self.outlets
                if not self.state.outlet_weeks[(o.id, week)]
                and any(
                    not self.state.placed[p.id] and not self.state.had(p.id, o.id) and p.send_from <= last and first <= p.send_until
                    for p in self.candidates[o.id]
                )
            )
            total += min(len(days), outlets)
        return total

    def _search(self, index: int) -> None:
        self.nodes += 1
        if len(self.chosen) + self._bound(index, self.best_score - len(self.chosen)) <= self.best_score:
            return
        if index == len(self.search_days):
            self.best_score, self.best = len(self.chosen), list(self.chosen)
            return
        if self.nodes > NODE_LIMIT:
            return
        for option in self._options(self.search_days[index]):
            self.state.add(option)
            self.chosen.append(option)
            self._search(index + 1)
            self.chosen.pop()
            self.state.remove(option)
            if self.best_score == self.upper or self.nodes > NODE_LIMIT:
                return
        self._search(index + 1)

    def plan(self) -> Plan:
        days = [d for d in self.period if d >= self.today]
        history = sorted(self.setup.history, key=lambda s: (s.day, s.row))
        kept: list[Submission] = []
        plan = Plan([], days, [])
        for s in history:
            if s.status != "planned":
                self.state.add(s)
                kept.append(s)
            elif s.day < self.today:
                # Perhaps sent but not marked: hold the piece and the outlet's week as if it was.
                self.state.add(s)
                kept.append(s)
                plan.unconfirmed.append(s)
        for s in history:
            if s.status == "planned" and s.day >= self.today:
                reason = self._allowed(s)
                if reason is None:
                    self.state.add(s)
                    kept.append(s)
                else:
                    plan.dropped.append((s, reason))
        taken = {s.day for s in kept}
        self.search_days = [d for d in days if d not in taken]
        self.nodes, self.best_score, self.best, self.chosen = 0, -1, [], []
        self.upper = self._bound(0, -1)
        self._search(0)
        plan.exhaustive = self.nodes <= NODE_LIMIT
        plan.submissions = sorted(kept + self.best, key=lambda s: (s.day, self.order.get(s.piece, 0), s.outlet))
        covered = {s.day for s in plan.submissions}
        plan.uncovered = [d for d in days if d not in covered]
        return plan


def make_plan(setup, today: date, period: list[date]) -> Plan:
    """Plan the op-eds from ``today`` to the end of ``period`` (see the module's docstring for the rules)."""
    return Planner(setup, today, period).plan()
