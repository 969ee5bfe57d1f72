"""The two application forms: each a list of steps, each step a list of fields.

A step is saved as a whole (all its answers or none), so a draft never holds half a step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from northbound.portal.applications.fields import Field, clean
from northbound.portal.eligibility.physical_presence import REQUIRED_DAYS
from northbound.settings import Language

PROVINCES = (
    ("AB", "Alberta"),
    ("BC", "British Columbia"),
    ("MB", "Manitoba"),
    ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"),
    ("NS", "Nova Scotia"),
    ("NT", "Northwest Territories"),
    ("NU", "Nunavut"),
    ("ON", "Ontario"),
    ("PE", "Prince Edward Island"),
    ("QC", "Quebec"),
    ("SK", "Saskatchewan"),
    ("YT", "Yukon"),
)
YES = (("yes", "Yes"),)
YES_NO = (("yes", "Yes"), ("no", "No"))
ADDRESS = (
    Field("address", "Street address", "text", max_length=120),
    Field("city", "City or town", "text", max_length=60),
    Field("province", "Province or territory", "select", choices=PROVINCES),
    Field("postal_code", "Postal code", "postal", max_length=7),
)
"""An address in Canada, asked the same way on every form that needs one."""


def identity(names_hint: str, birth_hint: str) -> tuple[Field, ...]:
    """Who the adult filling in a form is, asked the same way on every form (names as long,
    18 or older); the hints name the document to copy from and an example date, which differ
    from form to form."""
    return (
        Field("family_name", "Family name (surname)", "name", max_length=60),
        Field("given_names", "Given names", "name", max_length=80, hint=names_hint),
        Field("date_of_birth", "Date of birth", "date", minimum=18, max_length=10, hint=birth_hint),
        Field("country_of_birth", "Country of birth", "name", max_length=60),
    )


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    slugs: dict[Language, str]
    title: str
    fields: tuple[Field, ...] = ()
    documents: bool = False
    review: bool = False


@dataclass(frozen=True, slots=True)
class DocumentCategory:
    key: str
    title: str
    required: bool


@dataclass(frozen=True, slots=True)
class ApplicationForm:
    kind: str
    title: str
    summary: str
    receipt_prefix: str
    steps: tuple[Step, ...]
    documents: tuple[DocumentCategory, ...] = field(default=())

    def step(self, slug: str, language: Language) -> Step | None:
        return next((s for s in self.steps if s.slugs[language] == slug), None)

    @property
    def question_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.fields)

    def all_fields(self) -> tuple[Field, ...]:
        return tuple(f for s in self.question_steps for f in s.fields)

    def document_title(self, key: str) -> str:
        """What a kind of document is called (English; pages translate it)."""
        return next((c.title for c in self.documents if c.key == key), "Other supporting document")


ABOUT_YOU = Step(
    "about",
    {"en": "about-you", "fr": "a-propos-de-vous"},
    "About you",
    (
        *identity("As shown on your identity document.", "YYYY-MM-DD, for example 1990-04-23."),
        Field("phone", "Phone number", "phone", required=False, max_length=20),
        Field(
            "uci",
            "Client ID (UCI), if you have one",
            "uci",
            required=False,
            max_length=12,
            hint="8 or 10 digits, on letters and documents we sent you.",
        ),
    ),
)

CITIZENSHIP = ApplicationForm(
    kind="citizenship",
    title="Citizenship grant application (adults)",
    summary="For permanent residents aged 18 or older who have lived in the country for at "
    "least 1,095 days in the past 5 years.",
    receipt_prefix="CZ",
    steps=(
        ABOUT_YOU,
        Step(
            "residence",
            {"en": "residence", "fr": "residence"},
            "Residence",
            (
                Field(
                    "days_present",
                    "Days physically present in the past 5 years",
                    "integer",
                    # the calculator's rule: a form below it could never be granted. The
                    # figure in the two sentences below is the same rule in words (catalog
                    # strings cannot hold a computed number); test_matcher pins it at 1,095.
                    minimum=REQUIRED_DAYS,
                    maximum=1826,
                    max_length=6,
                    below_minimum="You need at least 1,095 days of physical presence in "
                    "the past 5 years to apply.",
                    hint="Count the days you were in the country; you need at least 1,095.",
                ),
                *ADDRESS,
                Field(
                    "taxes_filed",
                    # a question with both answers: "no" is a true answer an officer weighs,
                    # not a box the form forces everyone to tick
                    "Did you file income taxes for at least 3 of the past 5 years?",
                    "select",
                    choices=YES_NO,
                ),
            ),
        ),
        Step(
            "language",
            {"en": "language", "fr": "langue"},
            "Language skills",
            (
                Field(
                    "language_evidence",
                    "Proof of language skills",
                    "select",
                    choices=(
                        ("test", "An approved language test result"),
                        ("education", "Secondary or post-secondary education in English or French"),
                        ("program", "A government-funded language training certificate"),
                        ("exempt", "I am 55 or older (no proof needed)"),
                    ),
                ),
            ),
        ),
        Step("documents", {"en": "documents", "fr": "documents"}, "Documents", documents=True),
        Step("review", {"en": "review", "fr": "verification"}, "Review and submit", review=True),
    ),
    documents=(
        DocumentCategory("identity", "Proof of identity (passport or PR card)", True),
        DocumentCategory("language", "Proof of language skills", False),
        DocumentCategory("other", "Other supporting document", False),
    ),
)

PR_INTEREST = ApplicationForm(
    kind="pr_interest",
    title="Permanent residence: expression of interest",
    summary="Tell us about yourself and the program you are interested in; we will contact "
    "you if you are invited to apply.",
    receipt_prefix="PR",
    steps=(
        ABOUT_YOU,
        Step(
            "plans",
            {"en": "your-plans", "fr": "vos-projets"},
            "Your plans",
            (
                Field(
                    "program",
                    "Program you are interested in",
                    "select",
                    choices=(
                        ("express_entry", "Express Entry (skilled workers)"),
                        ("family", "Family sponsorship"),
                        ("provincial", "Provincial nominee"),
                        ("other", "Other or not sure"),
                    ),
                ),
                Field("country_of_residence", "Country where you live now", "name", max_length=60),
                Field(
                    "education",
                    "Highest level of education",
                    "select",
                    choices=(
                        ("secondary", "Secondary school"),
                        ("one_year", "One-year post-secondary program"),
                        ("bachelor", "Bachelor's degree"),
                        ("master", "Master's degree"),
                        ("doctorate", "Doctorate"),
                    ),
                ),
                Field(
                    "language_clb",
                    "Language level (CLB 0 to 12)",
                    "integer",
                    minimum=0,
                    maximum=12,
                    max_length=2,
                    hint="Your Canadian Language Benchmark from an approved test.",
                ),
                Field(
                    "years_experience",
                    "Years of skilled work experience",
                    "integer",
                    minimum=0,
                    maximum=50,
                    max_length=2,
                ),
            ),
        ),
        Step("documents", {"en": "documents", "fr": "documents"}, "Documents", documents=True),
        Step("review", {"en": "review", "fr": "verification"}, "Review and submit", review=True),
    ),
    documents=(
        DocumentCategory("identity", "Proof of identity (passport or PR card)", False),
        DocumentCategory("other", "Other supporting document", False),
    ),
)

FORMS: dict[str, ApplicationForm] = {f.kind: f for f in (CITIZENSHIP, PR_INTEREST)}


def validate_step(
    step: Step, submitted: dict[str, str], today: date
) -> tuple[dict[str, str], dict[str, str]]:
    """Clean one step's answers: (values, errors). Unknown keys are ignored."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for item in step.fields:
        value, error = clean(item, submitted.get(item.name, ""), today)
        if error:
            errors[item.name] = error
        elif value:
            values[item.name] = value
    return values, errors


def validate_all(
    form: ApplicationForm, answers: dict[str, str], today: date
) -> tuple[dict[str, str], dict[str, str]]:
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for step in form.question_steps:
        step_values, step_errors = validate_step(step, answers, today)
        values.update(step_values)
        errors.update(step_errors)
    return values, errors
