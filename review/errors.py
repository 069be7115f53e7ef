"""Errors the domain raises; each message is written for the person who caused it."""


class ReviewError(Exception):
    """Base of every error a user can cause; its message says what is wrong and where."""


class NotFound(ReviewError):
    """A named thing (district, cycle, item, file) does not exist."""


class PermissionDenied(ReviewError):
    """The signed-in user may not do this."""


class InvalidInput(ReviewError):
    """Input (a form, a file, an argument) is not acceptable as it stands."""


class RubricError(ReviewError):
    """A rubric file is malformed, or a published version was changed."""


class IncompleteSubmission(ReviewError):
    """A self-evaluation cannot be submitted yet; `missing` lists what is left."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("The self-evaluation cannot be submitted yet: " + "; ".join(missing) + ".")


class ConflictError(ReviewError):
    """Someone saved the same record first; `current` holds what they saved."""

    def __init__(self, message: str, current: dict[str, object]) -> None:
        self.current = current
        super().__init__(message)


class Busy(ReviewError):
    """The database stayed locked by other people's saves through every retry."""

    def __init__(self) -> None:
        super().__init__(
            "The review database is busy with other people's saves right now. Nothing was "
            "saved, and your text is still in the form: try again in a moment."
        )
