"""Application, message and staff page addresses in both languages."""

from __future__ import annotations

from northbound.settings import Language

APP_PATHS: dict[str, dict[Language, str]] = {
    "list": {"en": "/en/account/applications", "fr": "/fr/compte/demandes"},
    "new": {"en": "/en/account/applications/new", "fr": "/fr/compte/demandes/nouvelle"},
    "detail": {
        "en": "/en/account/applications/{application_id}",
        "fr": "/fr/compte/demandes/{application_id}",
    },
    "step": {
        "en": "/en/account/applications/{application_id}/{step}",
        "fr": "/fr/compte/demandes/{application_id}/{step}",
    },
    "upload": {
        "en": "/en/account/applications/{application_id}/files",
        "fr": "/fr/compte/demandes/{application_id}/fichiers",
    },
    "document": {
        "en": "/en/account/applications/{application_id}/files/{document_id}",
        "fr": "/fr/compte/demandes/{application_id}/fichiers/{document_id}",
    },
    "inbox": {"en": "/en/account/messages", "fr": "/fr/compte/messages"},
    "enquiries": {"en": "/en/account/enquiries", "fr": "/fr/compte/renseignements"},
    "staff": {"en": "/en/account/staff", "fr": "/fr/compte/personnel"},
    "staff_application": {
        "en": "/en/account/staff/applications/{application_id}",
        "fr": "/fr/compte/personnel/demandes/{application_id}",
    },
    "staff_stage": {
        "en": "/en/account/staff/applications/{application_id}/stage",
        "fr": "/fr/compte/personnel/demandes/{application_id}/etape",
    },
    "staff_message": {
        "en": "/en/account/staff/applications/{application_id}/message",
        "fr": "/fr/compte/personnel/demandes/{application_id}/message",
    },
    "staff_request": {
        "en": "/en/account/staff/applications/{application_id}/ask-for-document",
        "fr": "/fr/compte/personnel/demandes/{application_id}/demander-document",
    },
    "staff_document": {
        "en": "/en/account/staff/applications/{application_id}/files/{document_id}",
        "fr": "/fr/compte/personnel/demandes/{application_id}/fichiers/{document_id}",
    },
    "staff_enquiry": {
        "en": "/en/account/staff/enquiries/{enquiry_id}",
        "fr": "/fr/compte/personnel/renseignements/{enquiry_id}",
    },
}


def app_path(name: str, language: Language, **params: object) -> str:
    return APP_PATHS[name][language].format(**params)
