"""The user's text files (labelled CSVs, exports, rules), read one way by every command: UTF-8, a byte-order mark
allowed, and a file that is not UTF-8 named in one line (which byte, where, and the fix) instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

# utf-8-sig: spreadsheet tools write a byte-order mark when they save "CSV UTF-8"; it is dropped, not read as text.
ENCODING = "utf-8-sig"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class NotUtf8Error(ValueError):
    """The file is not UTF-8 text: bad input (exit 1) that no rerun fixes, only saving the file as UTF-8."""

    def __init__(self, path: Path, offset: int, line: int, byte: int, utf16: bool = False) -> None:
        hint = ": it looks like UTF-16" if utf16 else ""
        super().__init__(
            f"{path} is not UTF-8 text (byte 0x{byte:02x} at offset {offset}, line {line}{hint}); save it as UTF-8"
        )
        self.path, self.offset, self.line, self.byte = path, offset, line, byte


def not_a_file(path: Path) -> str | None:
    """Why `path` cannot be read as a file, or None when it can."""
    if path.is_dir():
        return f"{path} is a directory, not a file"
    if not path.is_file():
        return f"{path}: no such file"
    return None


def first_bad_byte(path: Path) -> NotUtf8Error | None:
    """The error for the file's first byte that is not UTF-8 (its offset from the start of the file, 0-based, and
    its line), or None when the whole file is UTF-8. Line by line: a newline byte never occurs inside a UTF-8
    sequence, so each line decodes on its own and the offset is exact."""
    offset = 0
    with path.open("rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                utf16 = offset == 0 and line.startswith(_UTF16_BOMS)
                return NotUtf8Error(path, offset + exc.start, line_no, line[exc.start], utf16)
            offset += len(line)
    return None


@contextmanager
def open_utf8(path: Path, *, newline: str | None = None) -> Iterator[TextIO]:
    """`path` opened as UTF-8 text (a leading byte-order mark dropped). Reading a byte that is not UTF-8 raises
    NotUtf8Error, found again in the file's bytes: the decoder's own position is within a buffered chunk."""
    with path.open(newline=newline, encoding=ENCODING) as handle:
        try:
            yield handle
        except UnicodeDecodeError:
            error = first_bad_byte(path)
            if error is None:  # every byte of the file is UTF-8: the error came from something else
                raise
            raise error from None


def read_utf8(path: Path) -> str:
    """The whole file as UTF-8 text (see open_utf8)."""
    with open_utf8(path) as handle:
        return handle.read()
