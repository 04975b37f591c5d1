"""Texts the code (not the templates) shows candidates, by code, as message ids.

Each text is marked with ``N_`` for extraction and translated where it is shown, in the
candidate's language (see ``i18n.py`` and ``locale/``). The domain speaks in codes
(``"phone_invalid"``); this module is the only place that turns them into words.
"""

from __future__ import annotations

from collections.abc import Callable

from landing.web.i18n import N_

Gettext = Callable[[str], str]

FIELD_ERRORS = {
    "name_required": N_("Please fill in your name."),
    "name_too_long": N_("This name is too long."),
    "phone_invalid": N_("This phone number is not right. For example: 06 12345678."),
    "phone_required": N_("Please fill in your phone number."),
    "email_invalid": N_("This e-mail address is not right. For example: name@example.com."),
    "email_required": N_("Please fill in your e-mail address."),
    "contact_required": N_(
        "Please fill in a phone number or an e-mail address, so we can reach you."
    ),
    "phone_required_for_channel": N_(
        "Please fill in your phone number if we may contact you that way."
    ),
    "email_required_for_channel": N_(
        "Please fill in your e-mail address if we may contact you by e-mail."
    ),
    "channel_required": N_("Choose how we may contact you."),
    "best_moment_invalid": N_("Choose morning, afternoon or evening."),
    "consent_required": N_("Without your consent we cannot keep your details."),
    "answer_required": N_("Choose an answer."),
    "motivation_too_long": N_("Your motivation is too long; 4,000 characters at most."),
    "characters_invalid": N_(
        "This contains characters we cannot store. Please type it again without them."
    ),
    "too_fast": N_("That was quick! Please check your details and send the form again."),
    "cv_required": N_("Please add your CV (PDF or Word)."),
    "cv_too_large": N_("Your CV is larger than 10 MB. Please send a smaller file."),
    "cv_empty": N_("This file is empty. Please choose your CV again."),
    "cv_unknown_type": N_("We accept a CV as a PDF or a Word file (.docx)."),
    "cv_executable": N_("This file is a program, not a CV. Please choose a PDF or Word file."),
    "cv_type_mismatch": N_(
        "The file's name does not match what is inside it. Please save your CV again "
        "as a PDF or Word file."
    ),
    "cv_damaged": N_(
        "We cannot open this file; it may be damaged. Please save your CV again as a PDF "
        "or Word file."
    ),
    "cv_suspicious": N_(
        "This file is built in an unusual way, so we do not accept it for safety. Please "
        "save your CV again as a PDF or Word file."
    ),
}

CONTACT_CHANNELS = {
    "whatsapp": N_("WhatsApp"),
    "phone": N_("Phone call"),
    "email": N_("E-mail"),
    "linkedin": N_("LinkedIn"),
}

BEST_MOMENTS = {
    "morning": N_("Morning"),
    "afternoon": N_("Afternoon"),
    "evening": N_("Evening"),
}

NEXT_STEP = {
    "whatsapp": N_(
        "%(employer)s will send you a WhatsApp message on the number you gave, within "
        "%(days)s working days."
    ),
    "phone": N_("%(employer)s will call you on the number you gave, within %(days)s working days."),
    "email": N_(
        "%(employer)s will e-mail you at the address you gave, within %(days)s working days."
    ),
    "linkedin": N_(
        "%(employer)s will look you up on LinkedIn and send you a message there, within "
        "%(days)s working days."
    ),
}
NEXT_STEP_UNKNOWN = N_("%(employer)s will get in touch with you within %(days)s working days.")

FORM_TITLES = {
    "lead": N_("Leave your details"),
    "apply": N_("Apply"),
}

ENTRY_LABELS = {
    "quiz": N_("Take the quiz: does this job suit you?"),
    "lead": N_("Leave your details, we will call or message you"),
    "apply": N_("Apply now"),
}

LEAD_CONSENT = N_(
    "I agree that %(employer)s uses my details to contact me about this job. My details "
    "are kept for at most %(months)s months and then deleted; I can withdraw my consent "
    "at any time."
)
APPLY_CONSENT = N_(
    "I agree that %(employer)s uses my details and CV to handle my application for this "
    "job. If I am not hired, they are deleted at the latest 4 weeks after the procedure "
    "ends; I can withdraw my consent at any time."
)
TALENT_POOL_CONSENT = N_(
    "%(employer)s may keep my application for other suitable jobs, for at most %(months)s months."
)

ERRORS = {
    "page_not_found": (
        N_("This page does not exist (any more)"),
        N_("Perhaps the job has been filled, or the link is incomplete."),
    ),
    "entry_not_offered": (
        N_("This page does not exist (any more)"),
        N_("This job does not offer this step."),
    ),
    "form_invalid": (
        N_("We cannot process this form"),
        N_("The form was damaged on its way. Please open the page again."),
    ),
    "form_foreign": (
        N_("We cannot process this form"),
        N_("This form belongs to another page. Please open the page again."),
    ),
    "form_expired": (
        N_("This form has expired"),
        N_("You left this form open for too long. Please open it again and fill it in once more."),
    ),
    "campaign_closed": (
        N_("This vacancy is closed"),
        N_(
            "This job no longer takes applications or contact details, so what you sent "
            "was not kept. Thank you for your interest."
        ),
    ),
    "submission_refused": (
        N_("We could not store what you sent"),
        N_(
            "Something you typed holds characters we cannot store. Please open the form "
            "again and type your details once more."
        ),
    ),
    "too_many_requests": (
        N_("Too many forms at once"),
        N_("You sent a lot of forms in a short time. Please wait a moment and try again."),
    ),
    "upload_too_large": (
        N_("This file is too large"),
        N_("A CV may be 10 MB at most. Please go back and choose a smaller file."),
    ),
    "receipt_invalid": (
        N_("This link does not work"),
        N_("The link is incomplete or damaged. Please use the link from your confirmation."),
    ),
    "not_found": (
        N_("This page does not exist (any more)"),
        N_("Perhaps the job has been filled, or the link is incomplete."),
    ),
    "method_not_allowed": (N_("That is not possible here"), N_("Please open the page again.")),
    "invalid_request": (
        N_("Something in your request is not right"),
        N_("Please open the page again."),
    ),
    "internal": (
        N_("Something went wrong on our side"),
        N_("Please try again in a few minutes."),
    ),
}


def lead_consent_text(gettext: Gettext, employer: str, months: int) -> str:
    return gettext(LEAD_CONSENT) % {"employer": employer, "months": months}


def apply_consent_text(gettext: Gettext, employer: str) -> str:
    return gettext(APPLY_CONSENT) % {"employer": employer}


def talent_pool_text(gettext: Gettext, employer: str, months: int) -> str:
    return gettext(TALENT_POOL_CONSENT) % {"employer": employer, "months": months}


def next_step_text(gettext: Gettext, channel: str | None, employer: str, days: int) -> str:
    template = NEXT_STEP.get(channel or "", NEXT_STEP_UNKNOWN)
    return gettext(template) % {"employer": employer, "days": days}


def untranslated(message: str) -> str:
    """The identity "translation" (English), for texts made outside a request (demo)."""
    return message
