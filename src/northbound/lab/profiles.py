"""Traffic profiles: how many people arrive per second, and what they come to do, over time.

A profile is data (YAML, shipped under ``lab/profiles/`` or given as a file path): a list of
*stages*, each a point in profile time ``at`` (minutes), an arrival rate ``load`` (a multiple
of the baseline rate) and a journey ``mix`` (weights). Between two stages the rate moves in a
straight line, so a curve that "rises through the evening" is a few points, and a step (a
lottery opening) is two points a second apart. The mix of a stage holds until the next one.

Two knobs turn a profile into a run:

    arrivals per second at run time t = load(t * speed / 60) * baseline_rps

``speed`` compresses the profile (60 = one profile minute per run second); by default it is
chosen so the whole profile fits the run's duration.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

JOURNEYS = ("reader", "tool_user", "applicant", "status_checker")


class ProfileError(ValueError):
    """A profile file that cannot be used, with the reason."""


@dataclass(frozen=True, slots=True)
class Stage:
    at_minutes: float
    load: float
    mix: dict[str, float]


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    description: str
    baseline_rps: float
    stages: tuple[Stage, ...]

    @property
    def length_minutes(self) -> float:
        return self.stages[-1].at_minutes

    def load_at(self, minute: float) -> float:
        """The load multiple at profile minute ``minute`` (linear between stages)."""
        stages = self.stages
        if minute <= stages[0].at_minutes:
            return stages[0].load
        for before, after in itertools.pairwise(stages):
            if minute <= after.at_minutes:
                span = after.at_minutes - before.at_minutes
                share = (minute - before.at_minutes) / span if span else 1.0
                return before.load + share * (after.load - before.load)
        return stages[-1].load

    def mix_at(self, minute: float) -> dict[str, float]:
        """The journey weights in force at ``minute`` (those of the last stage reached)."""
        current = self.stages[0].mix
        for stage in self.stages:
            if stage.at_minutes > minute:
                break
            current = stage.mix
        return current

    def peak_load(self) -> float:
        return max(stage.load for stage in self.stages)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A profile bound to a run: arrivals per second and mix at run seconds."""

    profile: Profile
    baseline_rps: float
    speed: float  # profile seconds per run second
    duration: float  # run seconds

    def rate_at(self, second: float) -> float:
        return self.profile.load_at(second * self.speed / 60) * self.baseline_rps

    def mix_at(self, second: float) -> dict[str, float]:
        return self.profile.mix_at(second * self.speed / 60)

    def peak_rate(self) -> float:
        """Highest arrival rate within the run (stages are the only corners of the curve)."""
        corners = [0.0, self.duration] + [
            s.at_minutes * 60 / self.speed
            for s in self.profile.stages
            if s.at_minutes * 60 / self.speed <= self.duration
        ]
        return max(self.rate_at(t) for t in corners)

    def peak_stretch(self, share: float = 0.8) -> tuple[int, int]:
        """First and last whole run seconds at which people arrive at ``share`` of the peak
        rate or more: the stretch every contender's "at the peak" figures are taken over."""
        floor = share * self.peak_rate()
        seconds = [t for t in range(math.ceil(self.duration)) if self.rate_at(t) >= floor]
        return (seconds[0], seconds[-1]) if seconds else (0, 0)


def bind(
    profile: Profile,
    duration: float,
    baseline_rps: float | None = None,
    speed: float | None = None,
) -> Schedule:
    """Scale and compress ``profile`` for a run of ``duration`` seconds."""
    if duration <= 0:
        raise ProfileError("the duration must be positive")
    rate = profile.baseline_rps if baseline_rps is None else baseline_rps
    if rate <= 0:
        raise ProfileError("the baseline rate must be positive")
    fitted = profile.length_minutes * 60 / duration if profile.length_minutes else 1.0
    chosen = fitted if speed is None else speed
    if chosen <= 0:
        raise ProfileError("the speed must be positive")
    return Schedule(profile, rate, chosen, duration)


def _stage(raw: Any, index: int, previous: Stage | None) -> Stage:
    if not isinstance(raw, dict):
        raise ProfileError(f"stage {index}: expected a mapping")
    try:
        at = float(raw["at"])
        load = float(raw["load"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"stage {index}: 'at' and 'load' must be numbers") from exc
    raw_mix = raw.get("mix")
    if raw_mix is None:
        if previous is None:
            raise ProfileError("the first stage needs a journey mix")
        mix = previous.mix
    else:
        if not isinstance(raw_mix, dict) or not raw_mix:
            raise ProfileError(f"stage {index}: 'mix' must map journeys to weights")
        unknown = set(raw_mix) - set(JOURNEYS)
        if unknown:
            raise ProfileError(f"stage {index}: unknown journeys {sorted(unknown)}")
        mix = {str(k): float(v) for k, v in raw_mix.items()}
        if any(v < 0 for v in mix.values()) or sum(mix.values()) <= 0:
            raise ProfileError(f"stage {index}: weights must be >= 0 and not all 0")
    if load < 0:
        raise ProfileError(f"stage {index}: load must be >= 0")
    if previous is not None and at < previous.at_minutes:
        raise ProfileError(f"stage {index}: stages must be in time order")
    return Stage(at, load, mix)


def parse(text: str, name: str = "profile") -> Profile:
    """A profile from YAML text."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{name}: not valid YAML ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("stages"), list):
        raise ProfileError(f"{name}: expected a mapping with a list of 'stages'")
    stages: list[Stage] = []
    for index, raw in enumerate(document["stages"]):
        stages.append(_stage(raw, index, stages[-1] if stages else None))
    if not stages:
        raise ProfileError(f"{name}: no stages")
    baseline = float(document.get("baseline_rps", 1.0))
    return Profile(
        name=str(document.get("name", name)),
        description=str(document.get("description", "")).strip(),
        baseline_rps=baseline,
        stages=tuple(stages),
    )


def shipped() -> list[str]:
    """Names of the profiles that come with the package."""
    folder = resources.files("northbound.lab") / "profiles"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def load(name_or_path: str) -> Profile:
    """A shipped profile by name (``election-night``) or a user's YAML file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        try:
            return parse(path.read_text(encoding="utf-8"), path.stem)
        except OSError as exc:
            raise ProfileError(f"cannot read {path}: {exc}") from exc
    resource = resources.files("northbound.lab") / "profiles" / f"{name_or_path}.yaml"
    if not resource.is_file():
        raise ProfileError(f"no profile {name_or_path!r}: shipped ones are {', '.join(shipped())}")
    return parse(resource.read_text(encoding="utf-8"), name_or_path)
