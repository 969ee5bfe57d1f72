"""JSON API of the eligibility tools: ``api_router`` (mount under the app as is).

Invalid input raises FastAPI's ``RequestValidationError`` (pydantic's own for single
fields, ours for answers that contradict each other), which the app turns into RFC 9457
problem details with status 422. Handlers are ``async`` on purpose: the rules are pure
and take microseconds, so a thread-pool hop would cost more than the work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError

from northbound.portal.eligibility.api_models import (
    CrsRequest,
    CrsResponse,
    FswRequest,
    FswResponse,
    ProgramsRequest,
    ProgramsResponse,
)
from northbound.portal.eligibility.crs import compute_crs
from northbound.portal.eligibility.crs_profile import profile_problems
from northbound.portal.eligibility.fsw import compute_fsw
from northbound.portal.eligibility.matcher import match_programs
from northbound.portal.eligibility.physical_presence import compute_presence, presence_problems
from northbound.portal.eligibility.presence_models import PresenceRequest, PresenceResponse
from northbound.portal.eligibility.text import Problem

api_router = APIRouter(prefix="/api/v1/eligibility", tags=["eligibility"])

_UNPROCESSABLE: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input; each error names its field."}
}


def raise_problems(problems: Sequence[Problem], prefix: tuple[str | int, ...] = ()) -> None:
    """Report cross-field problems the way pydantic reports field errors."""
    if problems:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", *prefix, *p.path),
                    "msg": p.message.render(),
                    "input": None,
                }
                for p in problems
            ]
        )


@api_router.post(
    "/crs",
    response_model=CrsResponse,
    responses=_UNPROCESSABLE,
    summary="Comprehensive Ranking System score (Express Entry)",
)
async def crs_score(request: CrsRequest) -> CrsResponse:
    """Score a profile with the CRS tables in force since 25 March 2025 (no job-offer points).

    Every factor in the response gives its value, its points and its cap.
    """
    profile = request.to_profile()
    raise_problems(profile_problems(profile))
    return CrsResponse.of(compute_crs(profile))


@api_router.post(
    "/fsw",
    response_model=FswResponse,
    responses=_UNPROCESSABLE,
    summary="Federal Skilled Worker 67-point grid",
)
async def fsw_grid(request: FswRequest) -> FswResponse:
    """Points out of 100 (pass mark 67) and the minimum requirements: 1 year of continuous
    skilled work in the last 10 years and CLB/NCLC 7 in all four abilities."""
    return FswResponse.of(compute_fsw(request.to_profile()))


@api_router.post(
    "/physical-presence",
    response_model=PresenceResponse,
    responses=_UNPROCESSABLE,
    summary="Citizenship physical presence",
)
async def physical_presence(request: PresenceRequest) -> PresenceResponse:
    """Days of credit in the 5 years before the application date (1,095 needed), and when
    short, the earliest date to apply by staying in Canada after the last declared trip."""
    presence = request.to_input()
    raise_problems(presence_problems(presence))
    return PresenceResponse.of(compute_presence(presence))


@api_router.post(
    "/programs",
    response_model=ProgramsResponse,
    responses=_UNPROCESSABLE,
    summary="Find out if you can immigrate",
)
async def programs(request: ProgramsRequest) -> ProgramsResponse:
    """Every program, whether the person may qualify, and why."""
    answers = request.to_answers()
    raise_problems(profile_problems(answers.profile), prefix=("profile",))
    return ProgramsResponse.of(match_programs(answers))
