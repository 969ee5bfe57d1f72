"""How many CRS scores one core computes per second, in-process.

Scores a fixed set of varied profiles (parsed once, as the API would after validation)
``COUNT`` times per run, several runs, and prints the median rate. Run with
``.venv/bin/python bench/crs.py``; pin it with ``taskset -c 0`` for a one-core figure.
"""

from __future__ import annotations

import statistics
import time

from northbound.portal.eligibility.api_models import CrsRequest
from northbound.portal.eligibility.crs import compute_crs
from northbound.portal.eligibility.crs_profile import CrsProfile

COUNT = 20_000
RUNS = 7
TARGET_PER_SECOND = 20_000

PAYLOADS: list[dict[str, object]] = [
    {
        "age": 29,
        "education": "bachelors_or_three_year",
        "first_language": {
            "test": "ielts",
            "speaking": 7,
            "listening": 8,
            "reading": 7,
            "writing": 7,
        },
        "foreign_work_years": 3,
    },
    {
        "age": 33,
        "education": "masters_or_professional",
        "first_language": {
            "test": "celpip",
            "speaking": 10,
            "listening": 9,
            "reading": 9,
            "writing": 8,
        },
        "canadian_work_years": 2,
        "sibling_in_canada": True,
        "spouse": {
            "accompanying": True,
            "canadian_citizen_or_pr": False,
            "education": "bachelors_or_three_year",
            "canadian_work_years": 1,
            "language": {
                "test": "ielts",
                "speaking": 6,
                "listening": 6,
                "reading": 6,
                "writing": 6,
            },
        },
    },
    {
        "age": 41,
        "education": "two_or_more",
        "canadian_education": "one_or_two_year",
        "first_language": {
            "test": "tef",
            "speaking": 460,
            "listening": 510,
            "reading": 470,
            "writing": 430,
        },
        "second_language": {
            "test": "ielts",
            "speaking": 5,
            "listening": 5,
            "reading": 5,
            "writing": 5,
        },
        "foreign_work_years": 5,
        "provincial_nomination": True,
    },
    {
        "age": 24,
        "education": "secondary",
        "first_language": {
            "test": "clb",
            "speaking": 6,
            "listening": 6,
            "reading": 5,
            "writing": 5,
        },
        "canadian_work_years": 1,
        "foreign_work_years": 2,
        "certificate_of_qualification": True,
    },
]


def run_once(profiles: list[CrsProfile]) -> float:
    """Scores per second for COUNT computations."""
    n = len(profiles)
    start = time.perf_counter()
    for i in range(COUNT):
        compute_crs(profiles[i % n])
    return COUNT / (time.perf_counter() - start)


def run_with_validation_once() -> float:
    """Scores per second including pydantic validation and test-score conversion."""
    n = len(PAYLOADS)
    count = COUNT // 4
    start = time.perf_counter()
    for i in range(count):
        compute_crs(CrsRequest.model_validate(PAYLOADS[i % n]).to_profile())
    return count / (time.perf_counter() - start)


def main() -> None:
    profiles = [CrsRequest.model_validate(p).to_profile() for p in PAYLOADS]
    run_once(profiles)  # warm-up
    rates = [run_once(profiles) for _ in range(RUNS)]
    median = statistics.median(rates)
    with_validation = statistics.median(run_with_validation_once() for _ in range(RUNS))
    print(
        f"CRS rules only: {median:,.0f} computations/s (median of {RUNS} runs of {COUNT:,}; "
        f"min {min(rates):,.0f}, max {max(rates):,.0f})"
    )
    print(f"CRS with request validation and score conversion: {with_validation:,.0f}/s")
    print(f"target > {TARGET_PER_SECOND:,}/s: {'met' if median > TARGET_PER_SECOND else 'MISSED'}")


if __name__ == "__main__":
    main()
