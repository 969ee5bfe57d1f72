"""What is inside, counted for the waiting room: the in-flight integrals and the shed counts."""

from __future__ import annotations

import pytest

from northbound.surge.admission.occupancy import Occupancy
from tests.support.clock import FakeClock


def test_busy_seconds_is_in_flight_integrated_over_time() -> None:
    clock = FakeClock()
    inside = Occupancy(clock)
    inside.occupy(2)  # two requests for 3 s
    clock.advance(3)
    inside.occupy(1, holder=True)  # then three, one a holder's, for 2 s
    clock.advance(2)
    inside.occupy(-1, holder=True)
    inside.occupy(-2)
    clock.advance(10)  # nothing in flight: nothing accrues
    assert inside.busy_seconds == pytest.approx(2 * 3 + 3 * 2)
    assert inside.holders_busy_seconds == pytest.approx(1 * 2)
    assert (inside.in_flight, inside.holders_in_flight) == (0, 0)


def test_a_clock_that_steps_back_adds_nothing() -> None:
    clock = FakeClock()
    inside = Occupancy(clock)
    inside.occupy(5)
    clock.advance(-2)
    assert inside.busy_seconds == 0
    clock.advance(1)  # from the clock's last reading, not its highest
    assert inside.busy_seconds == pytest.approx(5)


def test_a_holders_refusal_counts_among_all_and_apart() -> None:
    inside = Occupancy(FakeClock())
    inside.shed()
    inside.shed(holder=True)
    assert (inside.shed_total, inside.holders_shed_total) == (2, 1)
