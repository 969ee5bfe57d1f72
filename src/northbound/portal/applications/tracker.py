"""The status tracker: the stages an application passes through after it is received."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stage:
    key: str
    title: str  # English; French comes from the catalogue
    description: str


RECEIVED = Stage(
    "received", "Application received", "We have your application and gave it a receipt number."
)
REVIEW = Stage(
    "eligibility_review", "Eligibility review", "An officer checks that you meet the requirements."
)
DECISION = Stage("decision", "Decision", "An officer decides on your application.")

STAGES: dict[str, tuple[Stage, ...]] = {
    "citizenship": (
        RECEIVED,
        REVIEW,
        Stage(
            "test_interview",
            "Citizenship test and interview",
            "We invite you to take the citizenship test and meet an officer.",
        ),
        DECISION,
        Stage("oath", "Citizenship ceremony", "You take the Oath of Citizenship."),
    ),
    "pr_interest": (
        RECEIVED,
        REVIEW,
        Stage("biometrics", "Biometrics", "We ask you to give your fingerprints and photo."),
        DECISION,
        Stage("landing", "Confirmation of permanent residence", "You become a permanent resident."),
    ),
}


def stages_for(kind: str) -> tuple[Stage, ...]:
    return STAGES[kind]


def stage_keys(kind: str) -> tuple[str, ...]:
    return tuple(stage.key for stage in STAGES[kind])


def stage_title(kind: str, key: str | None) -> str:
    """What a stage is called (English; pages translate it); an unknown key reads as itself."""
    return next((s.title for s in STAGES.get(kind, ()) if s.key == key), key or "")
