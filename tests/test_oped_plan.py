"""The op-ed planner on small, hand-made data with fixed dates: exclusivity, the wait, weeks, locality, state."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from toolkit.markup import Paragraph, Run
from toolkit.oped_plan import hold_end, make_plan, week_of
from toolkit.oped_status import Submission
from toolkit.opeds import OpedSetup, PieceSpec, RenderedPiece
from toolkit.outlets import Limit, OpedSignatory, Outlet

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


def piece(piece_id: str, first: date = START, last: date = END, languages=("nb",)) -> PieceSpec:
    return PieceSpec(piece_id, "", first, last, tuple(languages))


def setup_with(outlets, pieces, signatories, history=(), wait=3, chars=2500) -> OpedSetup:
    """A setup whose every piece is ``chars`` characters long in both lengths and every language."""
    setup = OpedSetup(wait, tuple(pieces), tuple(outlets), tuple(signatories), tuple(history))
    for spec in pieces:
        for language in spec.languages:
            for version in ("kronikk", "debatt"):
                text = "x" * chars
                setup.lengths[(spec.id, version, language)] = RenderedPiece(
                    spec.id, version, language, (Paragraph("Body", (Run(text),)),), chars, chars // 6
                )
    return setup


def assert_one_outlet_at_a_time(plan, wait):
    by_piece: dict[str, list[Submission]] = {}
    for s in plan.submissions:
        by_piece.setdefault(s.piece, []).append(s)
    for rows in by_piece.values():
        rows.sort(key=lambda s: s.day)
        for earlier, later in zip(rows, rows[1:]):
            assert later.day >= hold_end(earlier, wait), f"{later.piece} with {earlier.outlet} and {later.outlet} at once"
            assert not earlier.placed
        assert len({s.outlet for s in rows}) == len(rows), "an outlet got the same piece twice"


def test_exclusive_piece_moves_on_only_after_the_wait():
    setup = setup_with([outlet("a"), outlet("b")], [piece("p")], [person("Kari")])
    plan = make_plan(setup, START, PERIOD)
    first, second = plan.submissions
    assert (first.outlet, first.day) == ("a", START)
    assert (second.outlet, second.day) == ("b", START + timedelta(days=3))
    assert_one_outlet_at_a_time(plan, 3)


@pytest.mark.parametrize("wait", [1, 5, 8])
def test_the_wait_is_configurable(wait):
    setup = setup_with([outlet("a"), outlet("b")], [piece("p")], [person("Kari")], wait=wait)
    plan = make_plan(setup, START, PERIOD)
    assert [s.day - START for s in plan.submissions] == [timedelta(0), timedelta(days=wait)]


def test_sent_piece_is_held_until_the_wait_passes():
    sent = Submission(START, "a", "p", "debatt", "nb", "Kari", "pitched", row=2)
    setup = setup_with([outlet("a"), outlet("b")], [piece("p")], [person("Kari")], history=[sent])
    plan = make_plan(setup, date(2026, 11, 26), PERIOD)
    planned = [s for s in plan.submissions if s.status == "planned"]
    assert [(s.outlet, s.day) for s in planned] == [("b", date(2026, 11, 28))]
    assert sent in plan.submissions


def test_declined_piece_moves_on_from_the_day_of_the_answer():
    declined = Submission(START, "a", "p", "debatt", "nb", "Kari", "declined", answered_on=date(2026, 11, 26), row=2)
    setup = setup_with([outlet("a"), outlet("b")], [piece("p")], [person("Kari")], history=[declined])
    plan = make_plan(setup, date(2026, 11, 26), PERIOD)
    assert [(s.outlet, s.day) for s in plan.submissions if s.status == "planned"] == [("b", date(2026, 11, 26))]


@pytest.mark.parametrize("status", ["accepted", "published"])
def test_accepted_piece_goes_nowhere_else(status):
    done = Submission(START, "a", "p", "debatt", "nb", "Kari", status, answered_on=date(2026, 11, 26), row=2)
    setup = setup_with([outlet("a"), outlet("b")], [piece("p")], [person("Kari")], history=[done])
    plan = make_plan(setup, date(2026, 11, 26), PERIOD)
    assert [s for s in plan.submissions if s.status == "planned"] == []


def test_an_outlet_gets_one_piece_a_week():
    setup = setup_with([outlet("a")], [piece(f"p{i}") for i in range(5)], [person("Kari")])
    plan = make_plan(setup, START, PERIOD)
    weeks = [week_of(s.day) for s in plan.submissions]
    assert len(weeks) == 3 == len(set(weeks)), "25 Nov – 10 Dec spans three calendar weeks"
    # Only one outlet: every day but three stays empty, and the plan says so.
    assert len(plan.uncovered) == len(PERIOD) - 3


def test_local_outlets_get_local_signatories():
    local = outlet("lokal", kind="local", coverage=("NT",))
    setup = setup_with([local], [piece("p1"), piece("p2")], [person("Oslo", "Os"), person("Steinkjer", "NT", row=3)])
    plan = make_plan(setup, START, PERIOD)
    assert plan.submissions and {s.signatory for s in plan.submissions} == {"Steinkjer"}
    nobody_local = setup_with([local], [piece("p1")], [person("Oslo", "Os")])
    assert make_plan(nobody_local, START, PERIOD).submissions == []


def test_language_follows_the_outlet_and_the_signatory():
    nynorsk = outlet("bygd", languages=("nn",))
    setup = setup_with(
        [nynorsk], [piece("bare-bokmaal"), piece("begge", languages=("nb", "nn"))],
        [person("Bokmål", languages=("nb",)), person("Nynorsk", languages=("nn",), row=3)],
    )
    plan = make_plan(setup, START, PERIOD)
    assert {(s.piece, s.language, s.signatory) for s in plan.submissions} == {("begge", "nn", "Nynorsk")}


def test_nothing_goes_where_the_rules_are_unknown_or_not_met():
    unknown = outlet("ukjent", limits={})
    strict = outlet("streng", limits={"debatt": Limit(None, 2000)})
    setup = setup_with([unknown, strict], [piece("p")], [person("Kari")], chars=2500)
    assert make_plan(setup, START, PERIOD).submissions == []
    short_enough = setup_with([unknown, strict], [piece("p")], [person("Kari")], chars=1900)
    assert {s.outlet for s in make_plan(short_enough, START, PERIOD).submissions} == {"streng"}


def test_a_too_short_piece_is_not_sent_where_a_minimum_applies():
    ranged = outlet("vg", limits={"debatt": Limit(2300, 3500)})
    setup = setup_with([ranged], [piece("p")], [person("Kari")], chars=2000)
    assert make_plan(setup, START, PERIOD).submissions == []


def test_kronikk_where_the_outlet_takes_one_else_the_debate_piece():
    both = outlet("begge", limits={"kronikk": Limit(None, 6000), "debatt": Limit(None, 3000)})
    short_only = outlet("kort")
    setup = setup_with([both, short_only], [piece("p")], [person("Kari")])
    versions = {s.outlet: s.version for s in make_plan(setup, START, PERIOD).submissions}
    assert versions == {"begge": "kronikk", "kort": "debatt"}


def test_pieces_are_sent_only_on_their_own_days():
    late = piece("slutt", first=date(2026, 12, 4), last=date(2026, 12, 9))
    setup = setup_with([outlet("a"), outlet("b"), outlet("c")], [late], [person("Kari")])
    days = [s.day for s in make_plan(setup, START, PERIOD).submissions]
    assert days and all(date(2026, 12, 4) <= d <= date(2026, 12, 9) for d in days)


def test_planned_rows_are_kept_while_they_keep_the_rules_and_replanned_when_not():
    kept = Submission(date(2026, 11, 27), "b", "p1", "debatt", "nb", "Kari", "planned", row=2)
    broken = Submission(date(2026, 11, 28), "b", "p2", "debatt", "nb", "Kari", "planned", row=3)  # same week as row 2
    setup = setup_with([outlet("a"), outlet("b")], [piece("p1"), piece("p2")], [person("Kari")], history=[kept, broken])
    plan = make_plan(setup, START, PERIOD)
    assert kept in plan.submissions
    assert [(s.row, reason) for s, reason in plan.dropped] == [(3, "avisa får et annet innlegg samme uke")]
    assert broken not in plan.submissions
    assert_one_outlet_at_a_time(plan, 3)


def test_a_planned_day_gone_by_holds_the_piece_until_someone_marks_it():
    forgotten = Submission(START, "a", "p", "debatt", "nb", "Kari", "planned", row=2)
    setup = setup_with([outlet("a"), outlet("b")], [piece("p")], [person("Kari")], history=[forgotten])
    plan = make_plan(setup, date(2026, 11, 26), PERIOD)
    assert plan.unconfirmed == [forgotten]
    assert [(s.outlet, s.day) for s in plan.submissions if s.day >= date(2026, 11, 26)] == [("b", date(2026, 11, 28))]


def test_same_input_same_plan():
    def build():
        setup = setup_with(
            [outlet(x) for x in "abcd"] + [outlet("lokal", kind="local", coverage=("Ho",))],
            [piece(f"p{i}") for i in range(6)],
            [person("Kari"), person("Ola", row=3), person("Synnøve", "Ho", row=4)],
        )
        return make_plan(setup, START, PERIOD).submissions

    assert build() == build()


def test_the_search_covers_every_day_the_outlets_allow():
    """Seven outlets can cover all 16 days (the middle week has 7 days); a greedy plan would waste
    the outlet that takes only one piece in the first week."""
    outlets = [outlet(f"o{i}") for i in range(6)] + [outlet("smal", pieces=("p0",))]
    setup = setup_with(outlets, [piece(f"p{i}") for i in range(8)], [person("Kari")])
    plan = make_plan(setup, START, PERIOD)
    assert plan.uncovered == [] and plan.exhaustive
    assert len({s.day for s in plan.submissions}) == 16
    smal = next(s for s in plan.submissions if s.outlet == "smal")
    assert date(2026, 11, 30) <= smal.day <= date(2026, 12, 6)
    assert_one_outlet_at_a_time(plan, 3)
    for key in {(s.outlet, week_of(s.day)) for s in plan.submissions}:
        assert sum(1 for s in plan.submissions if (s.outlet, week_of(s.day)) == key) == 1


def test_when_pieces_are_scarce_the_plan_is_still_the_best_possible():
    """Two pieces, each with one outlet at a time for three days: at most 11 of the 16 days."""
    setup = setup_with([outlet(f"o{i}") for i in range(6)], [piece("p1"), piece("p2")], [person("Kari")])
    plan = make_plan(setup, START, PERIOD)
    assert plan.exhaustive and len({s.day for s in plan.submissions}) == 11
    assert_one_outlet_at_a_time(plan, 3)
