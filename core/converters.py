import re

ID_SHAPE = re.compile(r"[0-9]{1,18}")


def is_id(value) -> bool:
    """True when ``value`` can be a database id: digits that fit a 64-bit column.

    URLs (IdConverter), forms and selectors ask this one question, so an id too
    long for the column is "not found" or "invalid", never a database error (R20).
    """
    return ID_SHAPE.fullmatch(str(value)) is not None


class IdConverter:
    """A database id in a URL: digits that fit a 64-bit integer column.

    Django's ``int`` converter takes any length, and an id past 2**63 makes SQLite
    raise OverflowError (a 500); such a URL is simply not found (R20).
    """

    regex = ID_SHAPE.pattern

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
