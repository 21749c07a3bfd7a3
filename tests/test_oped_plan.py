"""The op-ed planner on small, hand-made data with fixed dates: one outlet at a time, fall-backs,
declines and withdrawals, pieces that belong to a day, spacing in days, locality, state."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from toolkit.core.markup import Paragraph, Run
from toolkit.opeds.outlets import Limit, OpedSignatory, Outlet
from toolkit.opeds.pieces import OpedSetup, PieceSpec, RenderedPiece
from toolkit.opeds.plan import closed_on, plan_opeds
from toolkit.opeds.status import Submission

START, END = date(2026, 11, 25), date(2026, 12, 10)
PERIOD = [START + timedelta(days=i) for i in range((END - START).days + 1)]


def outlet(outlet_id: str, **values) -> Outlet:
    fields = dict(
        id=outlet_id, name=outlet_id.upper(), kind="national", coverage=(), submission_email="", submission_form="",
        submission_verified=False, languages=("nb",), unit="chars", limits={"debatt": Limit(None, 3000)},
        exclusive=True, photo_required=True, pieces=(), verified_on=None, source="", notes="", row=2,
    )
    fields.update(values)
    return Outlet(**fields)


def person(name: str, district: str = "Os", languages=("nb",), preferred=(), row: int = 2) -> OpedSignatory:
    return OpedSignatory(name, "frivillig", "", district, tuple(languages), tuple(preferred), row)


def piece(piece_id: str, first: date = START, last: date = END, languages=("nb",), publish_on=None) -> PieceSpec:
    return PieceSpec(piece_id, "", first, last, tuple(languages), publish_on=publish_on)


def setup_with(outlets, pieces, signatories, history=(), wait=3, chars=2000, lead=5, gap=7) -> OpedSetup:
    """A setup whose every piece is ``chars`` characters long in both lengths and every language."""
    setup = OpedSetup(wait, tuple(pieces), tuple(outlets), tuple(signatories), tuple(history), lead_days=lead, gap_days=gap)
    for spec in pieces:
        for language in spec.languages:
            for version in ("kronikk", "debatt"):
                text = "x" * chars
                setup.lengths[(spec.id, version, language)] = RenderedPiece(
                    spec.id, version, language, (Paragraph("Body", (Run(text),)),), chars, chars // 6
                )
    return setup


def active_on(plan, day: date) -> dict[str, set[str]]:
    """Which outlets have each piece on ``day``: a sent or planned pitch holds its piece from its day
    until it is declined or withdrawn (accepted and published pitches hold it for good)."""
    holding: dict[str, set[str]] = {}
    for p in plan.pieces:
        for s in p.earlier + ([p.current] if p.current else []):
            end = closed_on(s) if s.status in ("declined", "withdrawn") else date.max
            if s.day <= day < end:
                holding.setdefault(p.piece, set()).add(s.outlet)
    return holding


def assert_plan_keeps_the_rules(plan, gap: int = 7):
    """One outlet per piece on every day; fall-backs not submissions; spacing in days."""
    for day in plan.days:
        for piece_id, outlets in active_on(plan, day).items():
            assert len(outlets) == 1, f"{piece_id} with {outlets} on {day}"
    sends = plan.submissions
    for p in plan.pieces:
        for f in p.fallbacks:
            assert f not in sends and f.status == "planned"
        if p.current and p.fallbacks:
            assert p.fallbacks[0].day >= p.answer_by
            outlets = [s.outlet for s in p.earlier] + [p.current.outlet] + [f.outlet for f in p.fallbacks]
            assert len(outlets) == len(set(outlets)), "an outlet got the same piece twice"
    for first in sends:
        for second in sends:
            if first.piece != second.piece:
                close = abs((first.day - second.day).days) < gap
                assert not (close and first.outlet == second.outlet), (first, second)
                assert not (close and first.signatory == second.signatory), (first, second)


def test_one_row_per_piece_with_its_fall_backs_in_order():
    setup = setup_with([outlet("a"), outlet("b"), outlet("c")], [piece("p")], [person("Kari")])
    plan = plan_opeds(setup, START, PERIOD)
    (p,) = plan.pieces
    assert (p.current.outlet, p.current.day, p.answer_by) == ("a", START, START + timedelta(days=3))
    assert [(f.outlet, f.day) for f in p.fallbacks] == [("b", date(2026, 11, 28)), ("c", date(2026, 12, 1))]
    # Only the current pitch is a submission (and a row of the status file).
    assert plan.submissions == [p.current]
    assert_plan_keeps_the_rules(plan)


@pytest.mark.parametrize("wait", [1, 5, 8])
def test_the_answer_is_expected_after_the_configured_wait(wait):
    setup = setup_with([outlet("a"), outlet("b")], [piece("p")], [person("Kari")], wait=wait)
    (p,) = plan_opeds(setup, START, PERIOD).pieces
    assert p.answer_by == START + timedelta(days=wait) == p.fallbacks[0].day


def test_an_outlets_own_answer_days_count():
    setup = setup_with([outlet("a", answer_days=6), outlet("b")], [piece("p")], [person("Kari")])
    (p,) = plan_opeds(setup, START, PERIOD).pieces
    assert p.answer_by == START + timedelta(days=6)


def test_a_sent_piece_stays_with_its_outlet_after_the_wait_until_the_organiser_acts():
    sent = Submission(START, "a", "p", "debatt", "nb", "Kari", "pitched", row=2)
    setup = setup_with([outlet("a"), outlet("b")], [piece("p")], [person("Kari")], history=[sent])
    plan = plan_opeds(setup, date(2026, 12, 1), PERIOD)  # six days later, no answer
    (p,) = plan.pieces
    assert p.current == sent and plan.submissions == [sent]
    assert [(f.outlet, f.day) for f in p.fallbacks] == [("b", date(2026, 12, 1))]
    assert_plan_keeps_the_rules(plan)


def test_a_decline_activates_the_first_fall_back():
    sent = Submission(START, "a", "p", "debatt", "nb", "Kari", "pitched", row=2)
    setup = setup_with([outlet("a"), outlet("b"), outlet("c")], [piece("p")], [person("Kari")], history=[sent])
    before = plan_opeds(setup, START, PERIOD).pieces[0].fallbacks[0]
    declined = Submission(START, "a", "p", "debatt", "nb", "Kari", "declined", answered_on=date(2026, 11, 27), row=2)
    setup.history = (declined,)
    plan = plan_opeds(setup, date(2026, 11, 27), PERIOD)
    (p,) = plan.pieces
    assert p.earlier == [declined]
    assert (p.current.outlet, p.current.day, p.current.status) == (before.outlet, date(2026, 11, 27), "planned")
    assert [f.outlet for f in p.fallbacks] == ["c"]
    assert p.current.signatory == "Kari", "the byline is kept"
    assert_plan_keeps_the_rules(plan)


def test_a_withdrawal_activates_the_fall_back_from_the_day_it_was_withdrawn():
    withdrawn = Submission(START, "a", "p", "debatt", "nb", "Kari", "withdrawn", answered_on=date(2026, 12, 4), row=2)
    setup = setup_with([outlet("a"), outlet("b")], [piece("p")], [person("Kari"), person("Ola", row=3)], history=[withdrawn])
    plan = plan_opeds(setup, date(2026, 12, 2), PERIOD)  # run before the withdrawal date: the piece is not free yet
    (p,) = plan.pieces
    assert (p.current.outlet, p.current.day) == ("b", date(2026, 12, 4))
    assert p.current.signatory == "Kari"
    assert_plan_keeps_the_rules(plan)


@pytest.mark.parametrize("status", ["accepted", "published"])
def test_an_accepted_piece_goes_nowhere_else(status):
    done = Submission(START, "a", "p", "debatt", "nb", "Kari", status, answered_on=date(2026, 11, 26), row=2)
    setup = setup_with([outlet("a"), outlet("b")], [piece("p")], [person("Kari")], history=[done])
    (p,) = plan_opeds(setup, date(2026, 11, 26), PERIOD).pieces
    assert p.current == done and p.fallbacks == [] and p.answer_by is None


def test_a_dated_piece_reaches_each_outlet_its_lead_days_before_its_day():
    day = date(2026, 12, 2)
    slow = outlet("slow", lead_days=10)
    setup = setup_with([slow, outlet("a"), outlet("b"), outlet("c")], [piece("p", first=date(2026, 11, 20), publish_on=day)],
                       [person("Kari")], lead=5, wait=2)
    plan = plan_opeds(setup, START, PERIOD)
    (p,) = plan.pieces
    # "slow" would need it by 22 November: too late on the 25th.
    assert (p.current.outlet, p.current.day) == ("a", START)
    assert all(f.day <= day - timedelta(days=5) for f in p.fallbacks)
    assert [f.outlet for f in p.fallbacks] == ["b"], "c would come on 29 November, after the last day (27 November)"


def test_a_dated_piece_never_goes_where_no_date_is_given():
    setup = setup_with([outlet("nodate", publish_date=False), outlet("a")], [piece("p", publish_on=date(2026, 12, 10))],
                       [person("Kari")])
    (p,) = plan_opeds(setup, START, PERIOD).pieces
    assert p.current.outlet == "a" and p.fallbacks == []


def test_a_dated_piece_too_late_for_every_outlet_is_not_pitched_and_the_plan_says_why():
    setup = setup_with([outlet("a")], [piece("p", first=date(2026, 11, 16), publish_on=START)], [person("Kari")])
    plan = plan_opeds(setup, START, PERIOD)
    (p,) = plan.pieces
    assert p.current is None and plan.submissions == []
    assert "rekker lenger å trykke det 25. november" in p.not_pitched
    # Planned early enough, the same piece is pitched at least its lead days before.
    early = plan_opeds(setup, date(2026, 11, 16), PERIOD).pieces[0]
    assert early.current.day <= START - timedelta(days=5)


def test_an_outlet_gets_one_piece_within_the_gap_counted_in_days():
    setup = setup_with([outlet("a")], [piece(f"p{i}") for i in range(5)], [person(f"S{i}", row=i + 2) for i in range(5)])
    plan = plan_opeds(setup, START, PERIOD)
    days = sorted(s.day for s in plan.submissions)
    assert days == [START, START + timedelta(days=7), START + timedelta(days=14)]
    assert_plan_keeps_the_rules(plan)
    # 30 November (Monday) and 6 December (Sunday) are one calendar week apart but only six days.
    tight = setup_with([outlet("a")], [piece("p1", first=date(2026, 11, 29)), piece("p2", first=date(2026, 12, 5))],
                       [person("A"), person("B", row=3)])
    sends = sorted(s.day for s in plan_opeds(tight, START, PERIOD).submissions)
    assert sends == [date(2026, 11, 29), date(2026, 12, 6)]


def test_a_signatory_signs_one_piece_within_the_gap():
    setup = setup_with([outlet(x) for x in "abcd"], [piece("p1"), piece("p2"), piece("p3")], [person("Kari")])
    plan = plan_opeds(setup, START, PERIOD)
    assert sorted(s.day for s in plan.submissions) == [START, START + timedelta(days=7), START + timedelta(days=14)]
    assert_plan_keeps_the_rules(plan)


@pytest.mark.parametrize("gap", [3, 10])
def test_the_gap_is_configurable(gap):
    setup = setup_with([outlet("a")], [piece("p1"), piece("p2")], [person("A"), person("B", row=3)], gap=gap)
    days = sorted(s.day for s in plan_opeds(setup, START, PERIOD).submissions)
    assert days == [START, START + timedelta(days=gap)]


def test_the_byline_is_kept_unless_a_local_outlet_has_a_named_local_signatory():
    local = outlet("lokal", kind="local", coverage=("NT",))
    named = person("Steinkjer", "NT", preferred=("lokal",), row=3)
    setup = setup_with([outlet("a"), local], [piece("p")], [person("Kari"), named])
    (p,) = plan_opeds(setup, START, PERIOD).pieces
    assert p.current.signatory == "Kari"
    assert [(f.outlet, f.signatory) for f in p.fallbacks] == [("lokal", "Steinkjer")]
    # A local writer who did not ask for that outlet does not take over someone else's piece.
    unnamed = setup_with([outlet("a"), local], [piece("p")], [person("Kari"), person("Steinkjer", "NT", row=3)])
    (q,) = plan_opeds(unnamed, START, PERIOD).pieces
    assert q.current.signatory == "Kari" and q.fallbacks == []


def test_local_outlets_get_local_signatories():
    local = outlet("lokal", kind="local", coverage=("NT",))
    setup = setup_with([local], [piece("p1")], [person("Oslo", "Os"), person("Steinkjer", "NT", row=3)])
    assert {s.signatory for s in plan_opeds(setup, START, PERIOD).submissions} == {"Steinkjer"}
    nobody_local = setup_with([local], [piece("p1")], [person("Oslo", "Os")])
    assert plan_opeds(nobody_local, START, PERIOD).submissions == []


def test_language_follows_the_outlet_and_the_signatory():
    nynorsk = outlet("bygd", languages=("nn",))
    setup = setup_with(
        [nynorsk], [piece("bare-bokmaal"), piece("begge", languages=("nb", "nn"))],
        [person("Bokmål", languages=("nb",)), person("Nynorsk", languages=("nn",), row=3)],
    )
    plan = plan_opeds(setup, START, PERIOD)
    assert {(s.piece, s.language, s.signatory) for s in plan.submissions} == {("begge", "nn", "Nynorsk")}


def test_nothing_goes_where_the_rules_are_unknown_or_not_met():
    unknown = outlet("ukjent", limits={})
    strict = outlet("streng", limits={"debatt": Limit(None, 2000)})
    setup = setup_with([unknown, strict], [piece("p")], [person("Kari")], chars=2500)
    assert plan_opeds(setup, START, PERIOD).submissions == []
    short_enough = setup_with([unknown, strict], [piece("p")], [person("Kari")], chars=1900)
    assert {s.outlet for s in plan_opeds(short_enough, START, PERIOD).submissions} == {"streng"}


def test_a_local_outlet_leaves_room_for_the_local_paragraph():
    local = outlet("lokal", kind="local", coverage=("NT",), limits={"debatt": Limit(None, 3000)})
    people = [person("Steinkjer", "NT")]
    assert plan_opeds(setup_with([local], [piece("p")], people, chars=2501), START, PERIOD).submissions == []
    assert plan_opeds(setup_with([local], [piece("p")], people, chars=2500), START, PERIOD).submissions


def test_kronikk_where_the_outlet_takes_one_else_the_debate_piece():
    both = outlet("begge", limits={"kronikk": Limit(None, 6000), "debatt": Limit(None, 3000)})
    short_only = outlet("kort")
    setup = setup_with([both, short_only], [piece("p1"), piece("p2")], [person("Kari"), person("Ola", row=3)])
    versions = {s.outlet: s.version for s in plan_opeds(setup, START, PERIOD).submissions}
    assert versions == {"begge": "kronikk", "kort": "debatt"}


def test_pieces_are_sent_only_on_their_own_days():
    late = piece("slutt", first=date(2026, 12, 4), last=date(2026, 12, 9))
    setup = setup_with([outlet("a"), outlet("b"), outlet("c")], [late], [person("Kari")])
    (p,) = plan_opeds(setup, START, PERIOD).pieces
    days = [p.current.day] + [f.day for f in p.fallbacks]
    assert all(date(2026, 12, 4) <= d <= date(2026, 12, 9) for d in days)


def test_new_pitches_are_spread_one_a_day():
    setup = setup_with([outlet(x) for x in "abcdef"], [piece(f"p{i}") for i in range(6)],
                       [person(f"S{i}", row=i + 2) for i in range(6)])
    days = [s.day for s in plan_opeds(setup, START, PERIOD).submissions]
    assert days == [START + timedelta(days=i) for i in range(6)]


def test_planned_rows_are_kept_while_they_keep_the_rules_and_replanned_when_not():
    kept = Submission(date(2026, 11, 27), "b", "p1", "debatt", "nb", "Kari", "planned", row=2)
    broken = Submission(date(2026, 11, 30), "b", "p2", "debatt", "nb", "Ola", "planned", row=3)  # three days after row 2
    setup = setup_with([outlet("a"), outlet("b")], [piece("p1"), piece("p2")], [person("Kari"), person("Ola", row=3)],
                       history=[kept, broken])
    plan = plan_opeds(setup, START, PERIOD)
    assert kept in plan.submissions and broken not in plan.submissions
    assert [(s.row, reason) for s, reason in plan.dropped] == [
        (3, "avisa får et annet innlegg mindre enn 7 dager før eller etter")
    ]
    assert plan.piece_plan("p2").current.outlet == "a"
    assert_plan_keeps_the_rules(plan)


def test_a_planned_day_gone_by_holds_the_piece_until_someone_marks_it():
    forgotten = Submission(START, "a", "p", "debatt", "nb", "Kari", "planned", row=2)
    setup = setup_with([outlet("a"), outlet("b")], [piece("p")], [person("Kari")], history=[forgotten])
    plan = plan_opeds(setup, date(2026, 11, 26), PERIOD)
    assert plan.unconfirmed == [forgotten]
    (p,) = plan.pieces
    assert p.current == forgotten and [(f.outlet, f.day) for f in p.fallbacks] == [("b", date(2026, 11, 28))]


def test_every_day_of_a_busy_plan_keeps_the_rules():
    outlets = [outlet(x) for x in "abcdef"] + [outlet("lokal", kind="local", coverage=("Ho",))]
    pieces = [piece(f"p{i}") for i in range(6)] + [piece("dag", first=date(2026, 11, 20), publish_on=date(2026, 12, 2))]
    people = [person("Kari"), person("Ola", row=3), person("Synnøve", "Ho", row=4), person("Per", row=5)]
    history = [
        Submission(START, "a", "p0", "debatt", "nb", "Kari", "declined", answered_on=date(2026, 11, 27), row=2),
        Submission(date(2026, 11, 26), "b", "p1", "debatt", "nb", "Ola", "withdrawn", answered_on=date(2026, 12, 1), row=3),
    ]
    setup = setup_with(outlets, pieces, people, history=history)
    plan = plan_opeds(setup, date(2026, 11, 27), PERIOD)
    assert_plan_keeps_the_rules(plan)
    assert plan.piece_plan("p0").current.signatory == "Kari" and plan.piece_plan("p1").current.signatory == "Ola"


def test_same_input_same_plan():
    def build():
        setup = setup_with(
            [outlet(x) for x in "abcd"] + [outlet("lokal", kind="local", coverage=("Ho",))],
            [piece(f"p{i}") for i in range(6)],
            [person("Kari"), person("Ola", row=3), person("Synnøve", "Ho", row=4)],
        )
        plan = plan_opeds(setup, START, PERIOD)
        return [(p.current, p.fallbacks, p.answer_by) for p in plan.pieces]

    assert build() == build()
