class DomainError(Exception):
    """A business rule refused a change.

    ``code`` is stable (for code and tests); ``message`` is for people.
    """

    def __init__(self, code: str, message, **params):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.params = params

    def __str__(self):
        return str(self.message)
