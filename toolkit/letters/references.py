"""The campaign reference of a letter ("16D-2026-JD"): put in the e-mail's subject, found again in replies.

A reply whose threading headers were lost (a case officer who writes a new e-mail, a registry that
forwards the letter) usually keeps the reference from the subject, so `toolkit replies` can still tie it
to the letter it answers.
"""

from __future__ import annotations

import re

PREFIX = "16D"
# Recipient ids are lower-case letters, digits and hyphens; a mail program may change the case.
REFERENCE = re.compile(rf"\b{PREFIX}-(\d{{4}})-([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\b", re.IGNORECASE)


def letter_reference(year: int, recipient_id: str) -> str:
    return f"{PREFIX}-{year}-{recipient_id.upper()}"


def with_reference(subject: str, reference: str) -> str:
    """The e-mail subject with the reference after it: "… (ref. 16D-2026-JD)"."""
    return f"{subject} (ref. {reference})"


def find_references(text: str) -> list[tuple[int, str]]:
    """Every (year, recipient id) referred to in a subject, in order."""
    return [(int(year), recipient.lower()) for year, recipient in REFERENCE.findall(text or "")]
