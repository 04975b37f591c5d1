"""Words the console shows from data (a status, a role, a goal): marked here for the
catalogue, translated where they are shown (``| translate`` in templates).

The values themselves stay English in the database, the API and the events; only what a
person reads changes language.
"""

from __future__ import annotations

from campaigns.web.i18n import N_

CONSOLE_WORDS: tuple[str, ...] = (
    # campaign and creative statuses
    N_("draft"),
    N_("live"),
    N_("paused"),
    N_("ended"),
    N_("archived"),
    # goals: what counts as a conversion
    N_("lead"),
    N_("application"),
    N_("qualified quiz"),
    N_("interview"),
    N_("hire"),
    # salary periods
    N_("hour"),
    N_("month"),
    N_("year"),
    # roles
    N_("owner"),
    N_("marketer"),
    N_("recruiter"),
    N_("viewer"),
    # creative formats
    N_("image"),
    N_("video"),
    N_("carousel"),
    # lead statuses and outcomes, entry points and contact channels
    N_("new"),
    N_("contacted"),
    N_("interviewed"),
    N_("hired"),
    N_("rejected"),
    N_("quiz"),
    N_("apply"),
    N_("phone"),
    N_("email"),
    # the best moment a candidate gave for a call
    N_("morning"),
    N_("afternoon"),
    N_("evening"),
    # ad-platform pushes
    N_("sent"),
    N_("refused"),
    N_("partial"),
    N_("dry run"),
    # spend-import figures that may be missing
    N_("impressions"),
    N_("clicks"),
)

CHASSIS_TEXTS: tuple[str, ...] = (
    # error titles and details of the web chassis (koers.web), shown on the error page
    N_("Bad request"),
    N_("Not found"),
    N_("Not Found"),
    N_("Not authenticated"),
    N_("Forbidden"),
    N_("Conflict"),
    N_("Method Not Allowed"),
    N_("Content Too Large"),
    N_("Invalid request"),
    N_("Internal error"),
    N_("Something went wrong on our side."),
)

FORM_MESSAGES: tuple[str, ...] = (
    # the campaign form's cross-field rules, as catalog.inputs.field_errors shows them
    N_("Must not be below the minimum hours."),
    N_("Must not be below the minimum salary."),
    N_("The campaign cannot end before it starts."),
    N_("Must lie between 2000-01-01 and 2199-12-31."),  # koers.instants' days
    N_("Cannot be more than the weekly budget."),
    N_("This address is taken; choose another."),
    N_("This person is already a member."),
    # the follow-up messages form (leads.contact refuses with these)
    N_("Write a message; it may use {voornaam} and {vacature}."),
    N_("Choose a time zone such as Europe/Amsterdam."),
)

AUDIENCE_WORDS: tuple[str, ...] = (
    # structured audience choices (catalog.audience) and their headings; the provinces
    # and platforms are names, the same in both languages
    N_("For"),
    N_("Where"),
    N_("Channels"),
    N_("Not set"),
    N_("Students and side jobs"),
    N_("Starters (first job)"),
    N_("Experienced professionals"),
    N_("Career switchers"),
    N_("Returners to work"),
    N_("50 and over"),
    N_("All of the Netherlands"),
    N_("Belgium (Flanders)"),
)
