"""Display words for codes the state hands the page (an appointment's "no_show", a note's
"draft"): the page shows the word through t(), in the tab's language, and keeps the code
for its own conditions (docs/ARCHITECTURE.md, "Translation layer")."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.i18n import t
from pazpaz.i18n import N_
from pazpaz.services.appointments import STATUS_WORDS
from pazpaz.services.plans import NOTE_STATUS_WORDS

PROGRESS_KIND_WORDS = {"milestone": N_("milestone"), "session": N_("session")}


def word_for(code: rx.Var, words: dict[str, str]) -> rx.Var:
    """The word for `code` in the reader's language; an unknown code shows as it is."""
    return rx.match(code.to(str), *[(key, t(msgid)) for key, msgid in words.items()], code.to(str))


def appointment_status(code: rx.Var) -> rx.Var:
    return word_for(code, STATUS_WORDS)


def note_status(code: rx.Var) -> rx.Var:
    return word_for(code, NOTE_STATUS_WORDS)
