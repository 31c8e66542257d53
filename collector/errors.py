"""Errors that reach a person: always ``FILE:LINE: what is wrong``, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass

#: Exit status for bad input (a usage or data error), as argparse uses.
EXIT_BAD_INPUT = 2


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file, located to its line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class InputError(Exception):
    """Bad input. Carries every problem found so a person can fix them in one pass."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, file: str, line: int, message: str) -> InputError:
        return cls(Problem(file, line, message))
