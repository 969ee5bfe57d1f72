"""Language test conversions, row by row of IRCC's equivalency charts (reference doc tables)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from northbound.portal.eligibility.language import (
    BELOW_CLB_4,
    Ability,
    LanguageTest,
    OfficialLanguage,
    convert,
    score_problem,
    to_clb,
)

S, L, R, W = Ability.SPEAKING, Ability.LISTENING, Ability.READING, Ability.WRITING

# (CLB, {ability: lowest score}) transcribed from the reference document, one line per row.
IELTS_ROWS = [
    (10, {L: 8.5, R: 8.0, W: 7.5, S: 7.5}),
    (9, {L: 8.0, R: 7.0, W: 7.0, S: 7.0}),
    (8, {L: 7.5, R: 6.5, W: 6.5, S: 6.5}),
    (7, {L: 6.0, R: 6.0, W: 6.0, S: 6.0}),
    (6, {L: 5.5, R: 5.0, W: 5.5, S: 5.5}),
    (5, {L: 5.0, R: 4.0, W: 5.0, S: 5.0}),
    (4, {L: 4.5, R: 3.5, W: 4.0, S: 4.0}),
]
PTE_ROWS = [
    (10, {R: 88, W: 90, L: 89, S: 89}),
    (9, {R: 78, W: 88, L: 82, S: 84}),
    (8, {R: 69, W: 79, L: 71, S: 76}),
    (7, {R: 60, W: 69, L: 60, S: 68}),
    (6, {R: 51, W: 60, L: 50, S: 59}),
    (5, {R: 42, W: 51, L: 39, S: 51}),
    (4, {R: 33, W: 41, L: 28, S: 42}),
]
TEF_ROWS = [
    (10, {R: 546, W: 558, L: 546, S: 556}),
    (9, {R: 503, W: 512, L: 503, S: 518}),
    (8, {R: 462, W: 472, L: 462, S: 494}),
    (7, {R: 434, W: 428, L: 434, S: 456}),
    (6, {R: 393, W: 379, L: 393, S: 422}),
    (5, {R: 352, W: 330, L: 352, S: 387}),
    (4, {R: 306, W: 268, L: 306, S: 328}),
]
TCF_ROWS = [
    (10, {R: 549, W: 16, L: 549, S: 16}),
    (9, {R: 524, W: 14, L: 523, S: 14}),
    (8, {R: 499, W: 12, L: 503, S: 12}),
    (7, {R: 453, W: 10, L: 458, S: 10}),
    (6, {R: 406, W: 7, L: 398, S: 7}),
    (5, {R: 375, W: 6, L: 369, S: 6}),
    (4, {R: 342, W: 4, L: 331, S: 4}),
]
# The smallest step each test's scores move by, to test "just below the threshold".
Rows = Sequence[tuple[int, Mapping[Ability, float]]]
TABLES: list[tuple[LanguageTest, Rows, float]] = [
    (LanguageTest.IELTS, IELTS_ROWS, 0.5),
    (LanguageTest.PTE_CORE, PTE_ROWS, 1),
    (LanguageTest.TEF, TEF_ROWS, 1),
    (LanguageTest.TCF, TCF_ROWS, 1),
]
ROW_CASES = [
    pytest.param(test, clb, ability, lowest, step, id=f"{test.value}-clb{clb}-{ability.value}")
    for test, rows, step in TABLES
    for clb, cells in rows
    for ability, lowest in cells.items()
]


@pytest.mark.parametrize(("test", "clb", "ability", "lowest", "step"), ROW_CASES)
def test_each_cell_is_the_lowest_score_for_its_level(
    test: LanguageTest, clb: int, ability: Ability, lowest: float, step: float
) -> None:
    assert to_clb(test, ability, lowest) == clb
    below = to_clb(test, ability, lowest - step)
    assert below == (clb - 1 if clb > 4 else BELOW_CLB_4)


@pytest.mark.parametrize(
    ("celpip", "clb"),
    [
        (0, BELOW_CLB_4),
        (3, BELOW_CLB_4),
        (4, 4),
        (5, 5),
        (6, 6),
        (7, 7),
        (8, 8),
        (9, 9),
        (10, 10),
        (11, 10),
        (12, 10),
    ],
)
def test_celpip_levels(celpip: int, clb: int) -> None:
    for ability in Ability:
        assert to_clb(LanguageTest.CELPIP, ability, celpip) == clb


def test_top_scores_are_clb_10() -> None:
    assert convert(LanguageTest.IELTS, 9, 9, 9, 9).lowest == 10
    assert convert(LanguageTest.PTE_CORE, 90, 90, 90, 90).lowest == 10
    assert convert(LanguageTest.TEF, 699, 699, 699, 699).lowest == 10
    assert convert(LanguageTest.TCF, 20, 699, 699, 20).lowest == 10


def test_levels_pass_through_and_languages() -> None:
    levels = convert(LanguageTest.NCLC, 12, 7, 3, 1)
    assert levels.language is OfficialLanguage.FRENCH
    assert (levels.speaking, levels.listening, levels.reading, levels.writing) == (
        12,
        7,
        BELOW_CLB_4,
        BELOW_CLB_4,
    )
    assert convert(LanguageTest.IELTS, 6, 6, 6, 6).language is OfficialLanguage.ENGLISH


def test_convert_maps_each_ability_to_its_own_column() -> None:
    # IELTS 7.0 in each: listening is only CLB 7 (CLB 8 needs 7.5); the others reach CLB 9.
    levels = convert(LanguageTest.IELTS, speaking=7, listening=7, reading=7, writing=7)
    assert (levels.speaking, levels.listening, levels.reading, levels.writing) == (9, 7, 9, 9)


@pytest.mark.parametrize(
    ("test", "ability", "score"),
    [
        (LanguageTest.IELTS, S, 9.7),  # above 9 and not a half band
        (LanguageTest.IELTS, S, 6.3),  # not a half band
        (LanguageTest.IELTS, R, -0.5),
        (LanguageTest.CLB, S, 13),
        (LanguageTest.CLB, S, 0),
        (LanguageTest.NCLC, W, 7.5),
        (LanguageTest.CELPIP, L, 13),
        (LanguageTest.PTE_CORE, R, 9),
        (LanguageTest.PTE_CORE, R, 91),
        (LanguageTest.TEF, W, 700),
        (LanguageTest.TCF, W, 21),
        (LanguageTest.TCF, R, 99),
        (LanguageTest.TCF, S, 12.5),
        (LanguageTest.IELTS, S, float("nan")),
    ],
)
def test_impossible_scores_are_rejected(test: LanguageTest, ability: Ability, score: float) -> None:
    assert score_problem(test, ability, score) is not None
    with pytest.raises(ValueError, match=ability.value):
        convert(test, *[score if a is ability else _valid(test, a) for a in Ability])


def _valid(test: LanguageTest, ability: Ability) -> float:
    return {
        LanguageTest.IELTS: 6.0,
        LanguageTest.CLB: 7,
        LanguageTest.NCLC: 7,
        LanguageTest.CELPIP: 7,
        LanguageTest.PTE_CORE: 60,
        LanguageTest.TEF: 450,
    }.get(test, 10 if ability in (W, S) else 460)


@pytest.mark.parametrize(
    ("test", "score"),
    [
        (LanguageTest.IELTS, 0),
        (LanguageTest.IELTS, 9),
        (LanguageTest.IELTS, 6.5),
        (LanguageTest.CLB, 1),
        (LanguageTest.CLB, 12),
        (LanguageTest.PTE_CORE, 10),
        (LanguageTest.TEF, 0),
    ],
)
def test_possible_scores_are_accepted(test: LanguageTest, score: float) -> None:
    assert score_problem(test, S, score) is None
