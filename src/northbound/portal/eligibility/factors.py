"""One line of a score explanation, shared by the CRS and FSW calculators."""

from __future__ import annotations

from typing import NamedTuple


class Factor(NamedTuple):
    """What one factor earned: its group, key, English label, the value used, points, cap.

    Within a group the points of its factors add up to the group's total: when a group limit
    bites, a ``<group>_limit`` factor with negative points shows the reduction.
    (A NamedTuple because a CRS result builds about twenty of these and must stay cheap.)
    """

    group: str
    key: str
    label: str
    value: str
    points: int
    cap: int


def limit_factor(group: str, label: str, earned: int, cap: int) -> Factor | None:
    """The reduction row when ``earned`` exceeds the group's ``cap``, else None."""
    if earned <= cap:
        return None
    return Factor(group, f"{group}_limit", label, str(earned), cap - earned, cap)
