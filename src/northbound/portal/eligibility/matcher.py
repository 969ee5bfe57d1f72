""" "Find out if you can immigrate": answers in, programs that may fit out, each with why.

Pure logic over the same rules as the calculators. Where a question is coarser than a
program's rule (for example "a job offer" stands for FSW's arranged employment), the
reason text says what was assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from northbound.portal.eligibility.crs import CrsResult, compute_crs
from northbound.portal.eligibility.crs_profile import CrsProfile
from northbound.portal.eligibility.crs_tables import PROVINCIAL_NOMINATION_POINTS, CanadianEducation
from northbound.portal.eligibility.fsw import Adaptability, FswProfile, FswResult, compute_fsw
from northbound.portal.eligibility.physical_presence import REQUIRED_DAYS
from northbound.portal.eligibility.programs import ProgramCheck, TeerGroup, check_cec, check_fst
from northbound.portal.eligibility.text import N_, Message


class Goal(StrEnum):
    VISIT = "visit"
    STUDY = "study"
    WORK = "work"
    IMMIGRATE = "immigrate"
    CITIZENSHIP = "citizenship"


class Status(StrEnum):
    """The person's status in Canada today."""

    NONE = "none"
    TEMPORARY = "temporary"
    PERMANENT_RESIDENT = "permanent_resident"
    CITIZEN = "citizen"


class Program(StrEnum):
    FEDERAL_SKILLED_WORKER = "federal_skilled_worker"
    CANADIAN_EXPERIENCE_CLASS = "canadian_experience_class"
    FEDERAL_SKILLED_TRADES = "federal_skilled_trades"
    PROVINCIAL_NOMINEE = "provincial_nominee"
    FAMILY_SPONSORSHIP = "family_sponsorship"
    STUDY_PERMIT = "study_permit"
    WORK_PERMIT = "work_permit"
    VISIT = "visit"
    CITIZENSHIP = "citizenship"


PROGRAM_NAMES: dict[Program, str] = {
    Program.FEDERAL_SKILLED_WORKER: N_("Express Entry: Federal Skilled Worker Program"),
    Program.CANADIAN_EXPERIENCE_CLASS: N_("Express Entry: Canadian Experience Class"),
    Program.FEDERAL_SKILLED_TRADES: N_("Express Entry: Federal Skilled Trades Program"),
    Program.PROVINCIAL_NOMINEE: N_("Provincial Nominee Program"),
    Program.FAMILY_SPONSORSHIP: N_("Family sponsorship"),
    Program.STUDY_PERMIT: N_("Study permit"),
    Program.WORK_PERMIT: N_("Work permit"),
    Program.VISIT: N_("Visitor visa or electronic travel authorization (eTA)"),
    Program.CITIZENSHIP: N_("Canadian citizenship"),
}

# Which programs answer which goal first; the rest follow in this order.
_GOAL_ORDER: dict[Goal, tuple[Program, ...]] = {
    Goal.VISIT: (Program.VISIT,),
    Goal.STUDY: (Program.STUDY_PERMIT,),
    Goal.WORK: (Program.WORK_PERMIT,),
    Goal.IMMIGRATE: (
        Program.FEDERAL_SKILLED_WORKER,
        Program.CANADIAN_EXPERIENCE_CLASS,
        Program.FEDERAL_SKILLED_TRADES,
        Program.PROVINCIAL_NOMINEE,
        Program.FAMILY_SPONSORSHIP,
    ),
    Goal.CITIZENSHIP: (Program.CITIZENSHIP,),
}


@dataclass(frozen=True, slots=True)
class Answers:
    goal: Goal
    status: Status
    profile: CrsProfile
    canadian_work_years_last_3: int
    canadian_work_teer: TeerGroup | None
    trade_work_years_last_5: int
    job_offer: bool
    letter_of_acceptance: bool
    family_citizen_or_pr: bool
    """A spouse, partner, parent, child or grandchild who is a Canadian citizen or PR."""
    days_in_canada_last_5_years: int | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a program may or may not fit; ``met`` tells whether a stated requirement is met
    (None when the reason is information rather than a requirement)."""

    message: Message
    met: bool | None = None


@dataclass(frozen=True, slots=True)
class ProgramMatch:
    program: Program
    may_qualify: bool
    reasons: tuple[Reason, ...]
    crs_score: int | None = None


@dataclass(frozen=True, slots=True)
class MatchResult:
    crs: CrsResult
    fsw: FswResult
    programs: tuple[ProgramMatch, ...]


def fsw_profile_from(answers: Answers) -> FswProfile:
    """Turn questionnaire answers into the FSW grid's input (approximations noted inline)."""
    p = answers.profile
    spouse = p.spouse if p.with_spouse else None
    adaptability = Adaptability(
        spouse_language_clb4=bool(spouse and spouse.language and spouse.language.all_at_least(4)),
        # Only a 3-year Canadian credential surely means 2 years of full-time study here.
        own_study_in_canada=p.canadian_education is CanadianEducation.THREE_YEAR_OR_MORE,
        own_work_in_canada=p.canadian_work_years >= 1,
        spouse_work_in_canada=bool(spouse and spouse.canadian_work_years >= 1),
        relative_in_canada=p.sibling_in_canada or answers.family_citizen_or_pr,
    )
    return FswProfile(
        age=p.age,
        education=p.education,
        first_language=p.first_language,
        second_language=p.second_language,
        skilled_work_years=min(10, p.canadian_work_years + p.foreign_work_years),
        arranged_employment=answers.job_offer,
        adaptability=adaptability,
    )


def _from_check(program: Program, check: ProgramCheck, crs: int) -> ProgramMatch:
    reasons = tuple(Reason(r.message, r.met) for r in check.requirements)
    return ProgramMatch(program, check.eligible, reasons, crs if check.eligible else None)


def _match(
    program: Program,
    may_qualify: bool,
    reasons: tuple[Message | Reason, ...],
    crs: int | None = None,
) -> ProgramMatch:
    """A match whose plain messages are information rather than requirements."""
    wrapped = tuple(r if isinstance(r, Reason) else Reason(r) for r in reasons)
    return ProgramMatch(program, may_qualify, wrapped, crs)


def _plainly(program: Program, may_qualify: bool, text: str) -> ProgramMatch:
    """A match with one reason, a plain sentence of information (no figures, no requirement)."""
    return _match(program, may_qualify, (Message(text),))


def _fsw_match(fsw: FswResult, crs: int) -> ProgramMatch:
    reasons: list[Message | Reason] = [
        Message(
            N_("Your FSW grid score is %(points)s out of 100; the pass mark is %(pass)s."),
            {"points": fsw.points, "pass": fsw.pass_mark},
        ),
        *(Reason(m, False) for m in fsw.unmet_requirements),
    ]
    if fsw.eligible:
        reasons.append(
            Message(
                N_(
                    "You would enter the Express Entry pool with a CRS score of "
                    "%(score)s and need proof of settlement funds unless you have "
                    "a valid job offer."
                ),
                {"score": crs},
            )
        )
    return _match(
        Program.FEDERAL_SKILLED_WORKER, fsw.eligible, tuple(reasons), crs if fsw.eligible else None
    )


def _pnp_match(a: Answers, crs: int) -> ProgramMatch:
    p = a.profile
    if p.provincial_nomination:
        return _match(
            Program.PROVINCIAL_NOMINEE,
            True,
            (
                Message(
                    N_(
                        "You have a nomination: it adds %(points)s points, for a CRS score "
                        "of %(score)s."
                    ),
                    {"score": crs},
                    {"points": PROVINCIAL_NOMINATION_POINTS},
                ),
            ),
            crs,
        )
    skilled = p.canadian_work_years + p.foreign_work_years >= 1 or a.trade_work_years_last_5 >= 1
    if skilled or a.job_offer:
        return _plainly(
            Program.PROVINCIAL_NOMINEE,
            True,
            N_(
                "Provinces and territories nominate people whose work experience or job "
                "offer meets a local need; each has its own streams."
            ),
        )
    return _plainly(
        Program.PROVINCIAL_NOMINEE,
        False,
        N_(
            "Provincial streams generally ask for work experience or a job offer, and "
            "you reported neither."
        ),
    )


def _family_match(a: Answers) -> ProgramMatch:
    if a.family_citizen_or_pr:
        return _plainly(
            Program.FAMILY_SPONSORSHIP,
            True,
            N_(
                "A spouse, partner, parent, child or grandchild who is a citizen or "
                "permanent resident may be able to sponsor you (parents and "
                "grandparents through the yearly invitation lottery)."
            ),
        )
    return _plainly(
        Program.FAMILY_SPONSORSHIP,
        False,
        N_("You reported no close family member who is a citizen or permanent resident."),
    )


def _study_match(a: Answers) -> ProgramMatch:
    if a.letter_of_acceptance:
        return _plainly(
            Program.STUDY_PERMIT,
            True,
            N_(
                "You have a letter of acceptance from a designated learning "
                "institution; you also need proof of funds."
            ),
        )
    return _plainly(
        Program.STUDY_PERMIT,
        False,
        N_("You first need a letter of acceptance from a designated learning institution."),
    )


def _work_match(a: Answers) -> ProgramMatch:
    if a.job_offer:
        return _plainly(
            Program.WORK_PERMIT,
            True,
            N_(
                "You have a job offer; most employers need a Labour Market Impact "
                "Assessment (LMIA) before you apply."
            ),
        )
    return _plainly(
        Program.WORK_PERMIT,
        False,
        N_("Most work permits need a job offer from a Canadian employer."),
    )


def _citizenship_match(a: Answers) -> ProgramMatch:
    if a.status is Status.CITIZEN:
        return _plainly(Program.CITIZENSHIP, False, N_("You are already a Canadian citizen."))
    if a.status is not Status.PERMANENT_RESIDENT:
        return _plainly(
            Program.CITIZENSHIP, False, N_("You must be a permanent resident before you can apply.")
        )
    days = a.days_in_canada_last_5_years or 0
    if days >= REQUIRED_DAYS:
        reasons = [
            Message(
                N_(
                    "You reported %(days)s days in Canada in the last 5 years; "
                    "%(required)s are needed. Check the exact count with the physical "
                    "presence calculator."
                ),
                {"days": days},
                {"required": REQUIRED_DAYS},
            )
        ]
        if 18 <= a.profile.age <= 54:
            reasons.append(
                Message(
                    N_(
                        "At your age you also need CLB/NCLC 4 in speaking and "
                        "listening and to pass the citizenship test."
                    )
                )
            )
        return _match(Program.CITIZENSHIP, True, tuple(reasons))
    return _match(
        Program.CITIZENSHIP,
        False,
        (
            Message(
                N_(
                    "You reported %(days)s days in Canada in the last 5 years; "
                    "%(required)s are needed."
                ),
                {"days": days},
                {"required": REQUIRED_DAYS},
            ),
        ),
    )


def _visit_match(a: Answers) -> ProgramMatch:
    if a.status is not Status.NONE:
        return _plainly(Program.VISIT, False, N_("You already have status in Canada."))
    return _plainly(
        Program.VISIT,
        True,
        N_("Most people can visit with a visitor visa or an eTA, depending on their passport."),
    )


def match_programs(answers: Answers) -> MatchResult:
    """Every program with whether the person may qualify and why, the goal's programs first."""
    crs = compute_crs(answers.profile)
    fsw = compute_fsw(fsw_profile_from(answers))
    p = answers.profile
    cec = check_cec(
        answers.canadian_work_years_last_3, answers.canadian_work_teer, p.first_language
    )
    fst = check_fst(
        answers.trade_work_years_last_5,
        p.first_language,
        answers.job_offer,
        p.certificate_of_qualification,
    )
    found = {
        Program.FEDERAL_SKILLED_WORKER: _fsw_match(fsw, crs.total),
        Program.CANADIAN_EXPERIENCE_CLASS: _from_check(
            Program.CANADIAN_EXPERIENCE_CLASS, cec, crs.total
        ),
        Program.FEDERAL_SKILLED_TRADES: _from_check(Program.FEDERAL_SKILLED_TRADES, fst, crs.total),
        Program.PROVINCIAL_NOMINEE: _pnp_match(answers, crs.total),
        Program.FAMILY_SPONSORSHIP: _family_match(answers),
        Program.STUDY_PERMIT: _study_match(answers),
        Program.WORK_PERMIT: _work_match(answers),
        Program.VISIT: _visit_match(answers),
        Program.CITIZENSHIP: _citizenship_match(answers),
    }
    if answers.status in (Status.PERMANENT_RESIDENT, Status.CITIZEN):
        # Immigration programs are for people who are not yet permanent residents.
        for program in (*_GOAL_ORDER[Goal.IMMIGRATE], Program.STUDY_PERMIT, Program.WORK_PERMIT):
            found[program] = _plainly(program, False, N_("You already live in Canada permanently."))
    first = _GOAL_ORDER[answers.goal]
    ordered = [found[p] for p in first] + [found[p] for p in Program if p not in first]
    return MatchResult(crs=crs, fsw=fsw, programs=tuple(ordered))
