class IdConverter:
    """A database id in a URL: digits that fit a 64-bit integer column.

    Django's ``int`` converter takes any length, and an id past 2**63 makes SQLite
    raise OverflowError (a 500); such a URL is simply not found (R20).
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
