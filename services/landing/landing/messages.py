"""Dutch texts shown to candidates, by code. The i18n issue replaces this module with
Babel message catalogues; the codes stay."""

from __future__ import annotations

FIELD_ERRORS = {
    "name_required": "Vul je naam in.",
    "name_too_long": "Deze naam is te lang.",
    "phone_invalid": "Dit telefoonnummer klopt niet. Bijvoorbeeld: 06 12345678.",
    "email_invalid": "Dit e-mailadres klopt niet. Bijvoorbeeld: naam@voorbeeld.nl.",
    "contact_required": "Vul een telefoonnummer of e-mailadres in, zodat we je kunnen bereiken.",
    "phone_required_for_channel": "Vul je telefoonnummer in als we je zo mogen benaderen.",
    "email_required_for_channel": "Vul je e-mailadres in als we je per e-mail mogen benaderen.",
    "channel_required": "Kies hoe we contact met je mogen opnemen.",
    "best_moment_invalid": "Kies ochtend, middag of avond.",
    "consent_required": "Zonder je toestemming kunnen we je gegevens niet bewaren.",
    "answer_required": "Kies een antwoord.",
}

CONTACT_CHANNELS = {
    "whatsapp": "WhatsApp",
    "phone": "Telefoon",
    "email": "E-mail",
    "linkedin": "LinkedIn",
}

BEST_MOMENTS = {
    "morning": "Ochtend",
    "afternoon": "Middag",
    "evening": "Avond",
}

NEXT_STEP = {
    "whatsapp": "{employer} stuurt je een WhatsApp-bericht op het nummer dat je gaf.",
    "phone": "{employer} belt je op het nummer dat je gaf.",
    "email": "{employer} mailt je op het adres dat je gaf.",
    "linkedin": "{employer} zoekt je op via LinkedIn en stuurt je daar een bericht.",
}

FORM_TITLES = {
    "lead": "Laat je gegevens achter",
    "apply": "Solliciteren",
}

ENTRY_LABELS = {
    "quiz": "Doe de quiz: past deze baan bij jou?",
    "lead": "Laat je gegevens achter, wij bellen of appen je",
    "apply": "Direct solliciteren",
}
