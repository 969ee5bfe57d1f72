"""The server model against queueing theory: an M/M/c station (Poisson arrivals,
exponential service, c servers) must show the utilisation and mean wait of Erlang C::

    a = lambda / mu,  rho = a / c
    C = (a^c / c!) / (1 - rho) / (sum_{k<c} a^k / k! + (a^c / c!) / (1 - rho))
    Wq = C / (c * mu - lambda)
"""

from __future__ import annotations

import math
import random

import pytest

from northbound.lab.sim.events import Simulation
from northbound.lab.sim.servers import ServiceTime, Station


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    a = arrival_rate / service_rate
    rho = a / servers
    top = a**servers / math.factorial(servers) / (1 - rho)
    bottom = sum(a**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom / (servers * service_rate - arrival_rate)


@pytest.mark.parametrize(("servers", "rho"), [(1, 0.7), (4, 0.85)])
def test_mmc_station_matches_erlang_c(servers: int, rho: float) -> None:
    sim = Simulation()
    mean_service = 0.05
    station = Station(sim, servers, ServiceTime(mean_service, None), random.Random(3))
    arrival_rate = rho * servers / mean_service
    rng = random.Random(4)
    sojourns: list[float] = []
    departures: list[float] = []
    arrivals = 120_000

    def done(sent: float) -> None:
        sojourns.append(sim.now - sent)  # mean sojourn = mean wait in queue + service
        departures.append(sim.now)

    def arrive(count: int) -> None:
        sent = sim.now
        station.submit(lambda ok: done(sent))
        if count < arrivals:
            sim.after(rng.expovariate(arrival_rate), arrive, count + 1)

    arrive(1)
    sim.run(1e9)
    assert station.served == arrivals
    # the busy integral stops growing at the last departure: divide by when that was
    utilisation = station.busy_seconds / (servers * departures[-1])
    mean_wait = sum(sojourns) / len(sojourns) - mean_service
    expected = erlang_c_wait(arrival_rate, 1 / mean_service, servers)
    assert utilisation == pytest.approx(rho, rel=0.03)
    assert mean_wait == pytest.approx(expected, rel=0.08)


def test_lognormal_service_has_the_mean_asked_for() -> None:
    service = ServiceTime(0.02, 0.8)
    rng = random.Random(5)
    draws = [service.draw(rng) for _ in range(100_000)]
    assert sum(draws) / len(draws) == pytest.approx(0.02, rel=0.03)


def test_calibration_goes_through_the_median_and_p90() -> None:
    service = ServiceTime.from_percentiles(0.010, 0.025)
    rng = random.Random(6)
    draws = sorted(service.draw(rng) for _ in range(50_000))
    assert draws[len(draws) // 2] == pytest.approx(0.010, rel=0.05)
    assert draws[int(len(draws) * 0.9)] == pytest.approx(0.025, rel=0.05)
