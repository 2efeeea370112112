"""URL converters."""

from werkzeug.routing import IntegerConverter

# Ids are 64-bit signed integers in every supported database.
MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """An ``int`` converter that does not match numbers no row id can have.

    A larger number would reach the database and fail there (SQLite raises
    OverflowError); not matching it makes the URL a plain 404.
    """

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
