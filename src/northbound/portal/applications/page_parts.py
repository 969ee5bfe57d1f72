"""What the applicant's pages share: the breadcrumbs, the application a signed-in person owns
(or a 404), the address of a step, and the documents step, which both the step pages and
the uploads show."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from northbound.portal.accounts.models import User
from northbound.portal.accounts.pages import account_crumbs, render
from northbound.portal.accounts.state import accounts_state
from northbound.portal.accounts.visitor import Visitor
from northbound.portal.applications import service
from northbound.portal.applications.forms import ApplicationForm, Step
from northbound.portal.applications.models import Application
from northbound.portal.applications.paths import APP_PATHS, app_path
from northbound.settings import Language
from northbound.web.i18n import gettext
from northbound.web.language import other
from northbound.web.templating import Crumb


def applications_crumbs(language: Language, *extra: Crumb) -> list[Crumb]:
    """Home, My account, My applications, then ``extra``."""
    return account_crumbs(
        language, Crumb(gettext(language, "My applications"), APP_PATHS["list"][language]), *extra
    )


async def owned(request: Request, user: User, application_id: str) -> Application:
    """The application if ``user`` owns it; a 404 otherwise, never a 403 (whether someone
    else's application exists is not for this person to learn)."""
    application = await service.own_application(accounts_state(request).db, user.id, application_id)
    if application is None:
        raise HTTPException(404)
    return application


def step_href(language: Language, application: Application, step: Step) -> str:
    return app_path("step", language, application_id=application.id, step=step.slugs[language])


def app_crumbs(language: Language, application: Application, form: ApplicationForm) -> list[Crumb]:
    """The crumbs down to one application's status page."""
    return applications_crumbs(
        language,
        Crumb(
            gettext(language, form.title),
            app_path("detail", language, application_id=application.id),
        ),
    )


def step_frame(
    language: Language, application: Application, form: ApplicationForm, step: Step
) -> dict[str, Any]:
    """What every step page of an application shows around its own content: its title, the
    twin in the other language, the crumbs, and "step N of M"."""
    return {
        "title": step.title,
        "twin_href": step_href(other(language), application, step),
        "breadcrumbs": app_crumbs(language, application, form),
        "application": application,
        "form": form,
        "step": step,
        "step_number": form.steps.index(step) + 1,
        "step_count": len(form.steps),
    }


async def documents_page(
    request: Request,
    visitor: Visitor,
    language: Language,
    application: Application,
    form: ApplicationForm,
    step: Step,
    errors: dict[str, str] | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    state = accounts_state(request)
    documents = await service.documents_of(state.db, application.id)
    index = form.steps.index(step)
    return render(
        request,
        visitor,
        language,
        "applications/documents.html",
        **step_frame(language, application, form, step),
        documents=documents,
        upload_action=app_path("upload", language, application_id=application.id),
        previous=step_href(language, application, form.steps[index - 1]),
        following=step_href(language, application, form.steps[index + 1]),
        max_megabytes=state.settings.accounts.upload_max_bytes // (1024 * 1024),
        document_href=lambda d: app_path(
            "document", language, application_id=application.id, document_id=d.id
        ),
        errors=errors or {},
        values=values or {},
        status=status,
    )
