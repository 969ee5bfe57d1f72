"""Minimum requirements of the Canadian Experience Class and the Federal Skilled Trades Program.

These are IRCC's published minimums as we read them (marked "unverified" in the project's
reference notes); the pages say so. Each check returns every requirement, met or not, so a
person sees why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from northbound.portal.eligibility.language import LanguageLevels
from northbound.portal.eligibility.text import N_, Message


class TeerGroup(StrEnum):
    """The NOC TEER categories of a job, as the CEC language minimum groups them."""

    TEER_0_1 = "teer_0_1"
    TEER_2_3 = "teer_2_3"


@dataclass(frozen=True, slots=True)
class Requirement:
    met: bool
    message: Message


@dataclass(frozen=True, slots=True)
class ProgramCheck:
    program: str
    requirements: tuple[Requirement, ...]

    @property
    def eligible(self) -> bool:
        return all(r.met for r in self.requirements)


def check_cec(
    canadian_work_years_last_3: int, teer: TeerGroup | None, language: LanguageLevels | None
) -> ProgramCheck:
    """CEC: 1 year of skilled Canadian work in the last 3 years; CLB 7 (TEER 0/1) or 5 (2/3)."""
    needed = 7 if teer is TeerGroup.TEER_0_1 else 5
    lowest = 0 if language is None else language.lowest
    requirements = (
        Requirement(
            canadian_work_years_last_3 >= 1 and teer is not None,
            Message(
                N_(
                    "At least 1 year of skilled work in Canada (NOC TEER 0, 1, 2 or 3) in the "
                    "last 3 years; you have %(years)s."
                ),
                {"years": canadian_work_years_last_3},
            ),
        ),
        Requirement(
            lowest >= needed,
            Message(
                N_(
                    "CLB/NCLC %(needed)s or more in all four abilities for this kind of job; "
                    "your lowest is %(lowest)s."
                ),
                {"needed": needed, "lowest": lowest},
            ),
        ),
    )
    return ProgramCheck("canadian_experience_class", requirements)


def check_fst(
    trade_work_years_last_5: int,
    language: LanguageLevels | None,
    job_offer: bool,
    certificate_of_qualification: bool,
) -> ProgramCheck:
    """FST: 2 years of trade work in 5 years; CLB 5 speaking/listening, 4 reading/writing;
    a job offer or a certificate of qualification."""
    speak_listen = 0 if language is None else min(language.speaking, language.listening)
    read_write = 0 if language is None else min(language.reading, language.writing)
    requirements = (
        Requirement(
            trade_work_years_last_5 >= 2,
            Message(
                N_(
                    "At least 2 years of work in a skilled trade in the last 5 years; you have "
                    "%(years)s."
                ),
                {"years": trade_work_years_last_5},
            ),
        ),
        Requirement(
            speak_listen >= 5 and read_write >= 4,
            Message(N_("CLB/NCLC 5 in speaking and listening and 4 in reading and writing.")),
        ),
        Requirement(
            job_offer or certificate_of_qualification,
            Message(
                N_(
                    "A full-time job offer for at least 1 year, or a Canadian certificate of "
                    "qualification in your trade."
                )
            ),
        ),
    )
    return ProgramCheck("federal_skilled_trades", requirements)
