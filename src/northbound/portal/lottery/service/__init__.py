"""Every read and write of the lottery, one module per step of an intake's life.

Order of an intake's life (each step refuses to run out of order)::

    created (commitment fixed) -> opens -> closes (likely duplicates flagged)
      -> every flag decided -> eligible list published -> seed revealed -> invitation rounds

:mod:`.intakes` (and the audit trail), :mod:`.entries` (sponsors' forms), :mod:`.review`
(closing, duplicates), :mod:`.publication` (the list, the seed, the figures) and
:mod:`.invitations` (rounds). The routes and the command line use the names below.
"""

from .entries import RECEIPT_PREFIX, Duplicate, FormReceived, NotOpen, entry_of, submit_form
from .intakes import (
    AUDIT_ACTIONS,
    MAX_NOTICE,
    OutOfOrder,
    audit_trail,
    check_intake,
    create_intake,
    get_intake,
    list_intakes,
    note_review,
    phase,
)
from .invitations import INVITATION_DAYS, InvitationText, RoundSent, invitation_of, send_round
from .publication import (
    Counts,
    counts,
    eligible_numbers,
    publish_list,
    published,
    reveal_seed,
    run_draw,
)
from .review import DECISIONS, FlagView, close_intake, decide_flag, flags_of

__all__ = [
    "AUDIT_ACTIONS",
    "DECISIONS",
    "INVITATION_DAYS",
    "MAX_NOTICE",
    "RECEIPT_PREFIX",
    "Counts",
    "Duplicate",
    "FlagView",
    "FormReceived",
    "InvitationText",
    "NotOpen",
    "OutOfOrder",
    "RoundSent",
    "audit_trail",
    "check_intake",
    "close_intake",
    "counts",
    "create_intake",
    "decide_flag",
    "eligible_numbers",
    "entry_of",
    "flags_of",
    "get_intake",
    "invitation_of",
    "list_intakes",
    "note_review",
    "phase",
    "publish_list",
    "published",
    "reveal_seed",
    "run_draw",
    "send_round",
    "submit_form",
]
