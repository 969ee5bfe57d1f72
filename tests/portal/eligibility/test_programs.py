"""Canadian Experience Class and Federal Skilled Trades minimums."""

from __future__ import annotations

import pytest

from northbound.portal.eligibility.programs import TeerGroup, check_cec, check_fst
from tests.portal.eligibility.builders import levels


@pytest.mark.parametrize(
    ("years", "teer", "clb", "eligible"),
    [
        (1, TeerGroup.TEER_0_1, 7, True),
        (1, TeerGroup.TEER_0_1, 6, False),  # TEER 0/1 needs CLB 7
        (1, TeerGroup.TEER_2_3, 5, True),
        (1, TeerGroup.TEER_2_3, 4, False),
        (0, TeerGroup.TEER_2_3, 9, False),  # no Canadian year
        (3, None, 9, False),  # work with no TEER given is not skilled work
    ],
)
def test_cec(years: int, teer: TeerGroup | None, clb: int, eligible: bool) -> None:
    assert check_cec(years, teer, levels(clb)).eligible is eligible


@pytest.mark.parametrize(
    ("years", "lv", "offer", "certificate", "eligible"),
    [
        (2, levels(5, 5, 4, 4), True, False, True),
        (2, levels(5, 5, 4, 4), False, True, True),
        (2, levels(5, 5, 4, 4), False, False, False),  # neither offer nor certificate
        (1, levels(9), True, True, False),  # under 2 years of trade work
        (2, levels(4, 5, 9, 9), True, False, False),  # speaking under 5
        (2, levels(5, 5, 3, 9), True, False, False),  # reading under 4
        (2, None, True, True, False),
    ],
)
def test_fst(years: int, lv: object, offer: bool, certificate: bool, eligible: bool) -> None:
    check = check_fst(years, lv, offer, certificate)  # type: ignore[arg-type]
    assert check.eligible is eligible
    assert len(check.requirements) == 3
