"""User-facing errors: anything the user can fix (a bad path, field or hardware) raises these.

The CLI prints them as one line and exits with status 2; they never carry a traceback to the user.
"""

from __future__ import annotations


class HwsimError(Exception):
    """An error caused by user input (files, options, impossible hardware), not by a bug."""


class SpecError(HwsimError):
    """A problem in a YAML spec, located by file, line and field when they are known."""

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        field = f"field '{self.field}': " if self.field else ""
        return f"{where}{field}{self.message}"


class InfeasibleHardwareError(HwsimError):
    """The hardware cannot run the layer at all (e.g. no tile fits a buffer, zero bandwidth)."""
