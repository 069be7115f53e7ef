"""How large each kind of imported file may be: bytes, rows, and the length of a cell.

Stated in the README ("Limits on imported files"). A file over a limit is refused before it is
stored, with the row (and column) where it went over; nothing of it is kept.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String, Table

from review.errors import InvalidInput
from review.problems import escaped

MB = 1_000_000
# The page's upload limit; `.streamlit/config.toml` `maxUploadSize` says the same to the browser.
UPLOAD_MB = 25


class FileLimits(BaseModel):
    """The limits of one kind of file, as one way of importing it takes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str  # how a message names the file: "index results file"
    max_bytes: int = Field(gt=0)
    max_rows: int = Field(gt=0)  # rows of data, the header not counted

    def check_size(self, size: int, file_name: str) -> None:
        """Refuse a file larger than `max_bytes` before reading it.

        Raises:
            InvalidInput: naming the file, its size and the limit.
        """
        if size > self.max_bytes:
            raise InvalidInput(
                f"{escaped(file_name, limit=200)}: {size / MB:,.1f} MB is more than the "
                f"{self.max_bytes / MB:,.0f} MB an {self.kind} may be; nothing was imported"
            )

    def too_many_rows(self) -> str:
        """The message for the first row past `max_rows`."""
        return f"more than {self.max_rows:,} rows of data: an {self.kind} may hold no more"


# Ten CORE-sized districts over three years are about 3.2 million rows; a network half as large
# again still fits. The size limit only stops a file that could not be that data.
INDEX_FILE = FileLimits(kind="index results file", max_bytes=2_000 * MB, max_rows=4_000_000)
INDEX_UPLOAD = INDEX_FILE.model_copy(
    update={"kind": "uploaded index results file", "max_bytes": UPLOAD_MB * MB}
)
# A network has tens of districts: thousands of rows is a wrong file, not a large network.
DISTRICTS_UPLOAD = FileLimits(
    kind="uploaded districts file", max_bytes=UPLOAD_MB * MB, max_rows=5_000
)
TRIADS_UPLOAD = FileLimits(kind="uploaded triads file", max_bytes=UPLOAD_MB * MB, max_rows=5_000)
# A rubric has tens of items: a workbook with thousands of rows is not one the app wrote.
OFFLINE_WORKBOOK = FileLimits(kind="offline workbook", max_bytes=UPLOAD_MB * MB, max_rows=1_000)


def column_lengths(table: Table, columns: dict[str, str]) -> dict[str, int]:
    """The longest text each file column may hold: its database column's length.

    Args:
        table: the table the file's rows are stored in.
        columns: file column -> database column, for the text columns to check.
    """
    lengths = {}
    for name, stored in columns.items():
        kind = table.c[stored].type
        if isinstance(kind, String) and kind.length:
            lengths[name] = kind.length
    return lengths
