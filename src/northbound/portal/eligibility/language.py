"""Language test results and their conversion to CLB (English) or NCLC (French) levels.

Each conversion table gives, for CLB/NCLC 10 down to 4, the lowest score that reaches the
level (IRCC's equivalency charts for IELTS General Training, CELPIP-General, PTE Core,
TEF Canada and TCF Canada). Results below the CLB 4 row become ``BELOW_CLB_4``: no
immigration or citizenship rule distinguishes levels under 4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from northbound.portal.eligibility.text import N_


class Ability(StrEnum):
    SPEAKING = "speaking"
    LISTENING = "listening"
    READING = "reading"
    WRITING = "writing"


FIRST_LANGUAGE_LABELS: Final[dict[Ability, str]] = {
    Ability.SPEAKING: N_("First official language: speaking"),
    Ability.LISTENING: N_("First official language: listening"),
    Ability.READING: N_("First official language: reading"),
    Ability.WRITING: N_("First official language: writing"),
}


class OfficialLanguage(StrEnum):
    ENGLISH = "english"
    FRENCH = "french"


class LanguageTest(StrEnum):
    """How a result is given: a level directly (CLB, NCLC) or a test's raw scores."""

    CLB = "clb"
    NCLC = "nclc"
    IELTS = "ielts"
    CELPIP = "celpip"
    PTE_CORE = "pte_core"
    TEF = "tef"
    TCF = "tcf"


TEST_NAMES: Final[dict[LanguageTest, str]] = {
    LanguageTest.CLB: "CLB",
    LanguageTest.NCLC: "NCLC",
    LanguageTest.IELTS: "IELTS General Training",
    LanguageTest.CELPIP: "CELPIP-General",
    LanguageTest.PTE_CORE: "PTE Core",
    LanguageTest.TEF: "TEF Canada",
    LanguageTest.TCF: "TCF Canada",
}
"""Proper names of the tests (the same in both languages)."""

TEST_LANGUAGE: Final[dict[LanguageTest, OfficialLanguage]] = {
    LanguageTest.CLB: OfficialLanguage.ENGLISH,
    LanguageTest.IELTS: OfficialLanguage.ENGLISH,
    LanguageTest.CELPIP: OfficialLanguage.ENGLISH,
    LanguageTest.PTE_CORE: OfficialLanguage.ENGLISH,
    LanguageTest.NCLC: OfficialLanguage.FRENCH,
    LanguageTest.TEF: OfficialLanguage.FRENCH,
    LanguageTest.TCF: OfficialLanguage.FRENCH,
}

BELOW_CLB_4: Final = 3
"""Stands for any level under CLB/NCLC 4."""
MIN_LEVEL: Final = 1
MAX_LEVEL: Final = 12

_S, _L, _R, _W = Ability.SPEAKING, Ability.LISTENING, Ability.READING, Ability.WRITING

# Lowest score reaching CLB 10, 9, 8, 7, 6, 5, 4 (in that order), per ability.
_LEVELS_HIGH_TO_LOW: Final = (10, 9, 8, 7, 6, 5, 4)
THRESHOLDS: Final[dict[LanguageTest, dict[Ability, tuple[float, ...]]]] = {
    LanguageTest.IELTS: {
        _L: (8.5, 8.0, 7.5, 6.0, 5.5, 5.0, 4.5),
        _R: (8.0, 7.0, 6.5, 6.0, 5.0, 4.0, 3.5),
        _W: (7.5, 7.0, 6.5, 6.0, 5.5, 5.0, 4.0),
        _S: (7.5, 7.0, 6.5, 6.0, 5.5, 5.0, 4.0),
    },
    LanguageTest.PTE_CORE: {
        _R: (88, 78, 69, 60, 51, 42, 33),
        _W: (90, 88, 79, 69, 60, 51, 41),
        _L: (89, 82, 71, 60, 50, 39, 28),
        _S: (89, 84, 76, 68, 59, 51, 42),
    },
    LanguageTest.TEF: {
        _R: (546, 503, 462, 434, 393, 352, 306),
        _W: (558, 512, 472, 428, 379, 330, 268),
        _L: (546, 503, 462, 434, 393, 352, 306),
        _S: (556, 518, 494, 456, 422, 387, 328),
    },
    LanguageTest.TCF: {
        _R: (549, 524, 499, 453, 406, 375, 342),
        _W: (16, 14, 12, 10, 7, 6, 4),
        _L: (549, 523, 503, 458, 398, 369, 331),
        _S: (16, 14, 12, 10, 7, 6, 4),
    },
}

# Valid score range per test and ability: (lowest, highest, step).
_TCF_COMPREHENSION: Final = (100.0, 699.0, 1.0)
_TCF_PRODUCTION: Final = (0.0, 20.0, 1.0)
SCORE_RANGES: Final[dict[LanguageTest, dict[Ability, tuple[float, float, float]]]] = {
    LanguageTest.CLB: {a: (MIN_LEVEL, MAX_LEVEL, 1.0) for a in Ability},
    LanguageTest.NCLC: {a: (MIN_LEVEL, MAX_LEVEL, 1.0) for a in Ability},
    LanguageTest.IELTS: {a: (0.0, 9.0, 0.5) for a in Ability},
    LanguageTest.CELPIP: {a: (0.0, 12.0, 1.0) for a in Ability},
    LanguageTest.PTE_CORE: {a: (10.0, 90.0, 1.0) for a in Ability},
    LanguageTest.TEF: {a: (0.0, 699.0, 1.0) for a in Ability},
    LanguageTest.TCF: {
        _R: _TCF_COMPREHENSION,
        _L: _TCF_COMPREHENSION,
        _W: _TCF_PRODUCTION,
        _S: _TCF_PRODUCTION,
    },
}


def score_problem(test: LanguageTest, ability: Ability, score: float) -> str | None:
    """Why ``score`` is not a possible result for this test and ability, or None if it is.

    The message is an English message id with ``low``, ``high`` and ``step`` placeholders.
    """
    low, high, step = SCORE_RANGES[test][ability]
    if not math.isfinite(score) or score < low or score > high:
        return N_("The score must be from %(low)s to %(high)s.")
    steps = (score - low) / step
    if abs(steps - round(steps)) > 1e-9:
        if step == 0.5:
            return N_(
                "The score must be a whole or half band (such as 6.5) from %(low)s to %(high)s."
            )
        return N_("The score must be a whole number from %(low)s to %(high)s.")
    return None


def score_range(test: LanguageTest, ability: Ability) -> tuple[float, float, float]:
    return SCORE_RANGES[test][ability]


def to_clb(test: LanguageTest, ability: Ability, score: float) -> int:
    """The CLB/NCLC level for one valid score (see ``score_problem``)."""
    if test in (LanguageTest.CLB, LanguageTest.NCLC):
        level = int(score)
        return level if level >= 4 else BELOW_CLB_4
    if test is LanguageTest.CELPIP:
        # CELPIP levels map one to one from 4 to 9; 10, 11 and 12 all count as CLB 10.
        level = int(score)
        return BELOW_CLB_4 if level < 4 else min(level, 10)
    for level, lowest in zip(_LEVELS_HIGH_TO_LOW, THRESHOLDS[test][ability], strict=True):
        if score >= lowest:
            return level
    return BELOW_CLB_4


@dataclass(frozen=True, slots=True)
class LanguageLevels:
    """CLB (English) or NCLC (French) levels in the four abilities."""

    language: OfficialLanguage
    speaking: int
    listening: int
    reading: int
    writing: int

    @property
    def lowest(self) -> int:
        return min(self.speaking, self.listening, self.reading, self.writing)

    def level(self, ability: Ability) -> int:
        return int(getattr(self, ability.value))

    def all_at_least(self, level: int) -> bool:
        return self.lowest >= level


def convert(
    test: LanguageTest, speaking: float, listening: float, reading: float, writing: float
) -> LanguageLevels:
    """Turn a test result into levels; raises ``ValueError`` naming the first invalid ability."""
    scores = {_S: speaking, _L: listening, _R: reading, _W: writing}
    for ability, score in scores.items():
        problem = score_problem(test, ability, score)
        if problem is not None:
            low, high, step = SCORE_RANGES[test][ability]
            detail = problem % {
                "low": format_bound(low),
                "high": format_bound(high),
                "step": format_bound(step),
            }
            raise ValueError(f"{ability.value}: {detail}")
    return LanguageLevels(
        TEST_LANGUAGE[test],
        to_clb(test, _S, speaking),
        to_clb(test, _L, listening),
        to_clb(test, _R, reading),
        to_clb(test, _W, writing),
    )


def format_bound(value: float) -> str:
    """A range bound as people write it: 9 rather than 9.0, 6.5 as is."""
    return str(int(value)) if float(value).is_integer() else str(value)
