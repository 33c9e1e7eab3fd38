"""Email addresses as the portal compares them (R29).

Two spellings that look alike must be one account and one throttle counter:
``fold_email`` applies NFKC (``ſ`` → ``s``, full-width letters → ASCII) and then
Unicode case folding. Local parts are refused unless ASCII (``ava.admın`` with a
dotless i is not ``ava.admin``, and a database's ``UPPER()`` would say it is), so a
folded address that passes ``is_acceptable_address`` compares safely with
``Lower("email")`` on SQLite and PostgreSQL alike.
"""

import unicodedata


def fold_email(value: str) -> str:
    return unicodedata.normalize("NFKC", (value or "").strip()).casefold()


def is_acceptable_address(value: str) -> bool:
    """True for a folded address whose local part is ASCII (and non-empty)."""
    local, at, domain = value.rpartition("@")
    return bool(at and local and domain) and local.isascii()
