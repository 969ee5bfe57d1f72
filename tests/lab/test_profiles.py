"""Profiles load from the package and from files, scale and compress as documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from northbound.lab import profiles


def test_shipped_profiles_load() -> None:
    assert set(profiles.shipped()) >= {"election-night", "lottery-opening", "steady", "surge-hold"}
    for name in profiles.shipped():
        profile = profiles.load(name)
        assert profile.stages and profile.baseline_rps > 0
        assert all(set(s.mix) <= set(profiles.JOURNEYS) for s in profile.stages)


def test_election_night_follows_the_reported_figures() -> None:
    night = profiles.load("election-night")
    eleven_pm, midnight = 300, 360
    assert night.load_at(eleven_pm) == pytest.approx(12.0)  # about 12x at 11 p.m.
    assert night.load_at(midnight) == night.peak_load()
    # rising through the evening, easing overnight, heavy again in the morning
    assert night.load_at(60) < night.load_at(180) < night.load_at(eleven_pm)
    assert night.load_at(600) < night.load_at(840)
    assert night.mix_at(eleven_pm)["reader"] > night.mix_at(0)["reader"]


def test_surge_hold_holds_in_real_time() -> None:
    """Half load for a minute, six times over half a minute, held two minutes, then back:
    a 240 s run plays it at one profile second a run second (the hold is not compressed)."""
    hold = profiles.load("surge-hold")
    assert hold.load_at(0.5) == pytest.approx(0.5)
    assert hold.load_at(1.5) == hold.load_at(3.5) == hold.peak_load() == pytest.approx(6.0)
    assert hold.load_at(4.0) == pytest.approx(0.5)
    schedule = profiles.bind(hold, duration=240)
    assert schedule.speed == pytest.approx(1.0)
    assert schedule.peak_stretch() == (84, 216)  # 0.8 of the peak: 4.8x, on either ramp


def test_scaling_and_speed() -> None:
    steady = profiles.parse(
        "baseline_rps: 2\nstages:\n- {at: 0, load: 1, mix: {reader: 1}}\n- {at: 10, load: 3}\n"
    )
    fitted = profiles.bind(steady, duration=60)
    assert fitted.speed == pytest.approx(10.0)  # 10 minutes into 60 s
    assert fitted.rate_at(0) == pytest.approx(2.0)
    assert fitted.rate_at(30) == pytest.approx(4.0)  # half way: load 2 x 2/s
    assert fitted.peak_rate() == pytest.approx(6.0)
    scaled = profiles.bind(steady, duration=60, baseline_rps=10, speed=60)
    assert scaled.rate_at(300) == pytest.approx(30.0)  # minute 5 at 60x: load 2 x 10/s
    assert scaled.mix_at(59) == {"reader": 1.0}


def test_a_user_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nstages:\n- {at: 0, load: 2, mix: {applicant: 1}}\n")
    profile = profiles.load(str(path))
    assert profile.name == "mine" and profile.load_at(5) == 2.0


@pytest.mark.parametrize(
    "text, problem",
    [
        ("stages: []", "no stages"),
        ("stages:\n- {at: 0, load: 1}", "needs a journey mix"),
        ("stages:\n- {at: 0, load: 1, mix: {gambler: 1}}", "unknown journeys"),
        ("stages:\n- {at: 5, load: 1, mix: {reader: 1}}\n- {at: 1, load: 1}", "time order"),
        ("stages:\n- {at: 0, load: -1, mix: {reader: 1}}", "load must be"),
        ("just text", "expected a mapping"),
    ],
)
def test_bad_profiles_say_why(text: str, problem: str) -> None:
    with pytest.raises(profiles.ProfileError, match=problem):
        profiles.parse(text)


def test_unknown_profile_names_the_shipped_ones() -> None:
    with pytest.raises(profiles.ProfileError, match="election-night"):
        profiles.load("no-such-profile")


@given(
    st.lists(st.tuples(st.floats(0, 100), st.floats(0, 50)), min_size=1, max_size=8),
    st.floats(-10, 200),
)
def test_load_stays_between_neighbouring_stages(
    points: list[tuple[float, float]], minute: float
) -> None:
    points.sort()
    stages = "".join(f"- {{at: {at!r}, load: {load!r}}}\n" for at, load in points[1:])
    first = f"- {{at: {points[0][0]!r}, load: {points[0][1]!r}, mix: {{reader: 1}}}}\n"
    profile = profiles.parse("stages:\n" + first + stages)
    loads = [load for _, load in points]
    assert min(loads) - 1e-9 <= profile.load_at(minute) <= max(loads) + 1e-9
