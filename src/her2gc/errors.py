"""The one exception family of her2gc.

Every error a user can cause is a :class:`Her2gcError`; the command line turns it
into exit code 2 and a single line on stderr, never a traceback.
"""

from __future__ import annotations


class Her2gcError(Exception):
    """Base of every error her2gc raises on purpose."""

    exit_code: int = 2

    max_chars = 300

    def one_line(self) -> str:
        """The message as one line of at most ``max_chars`` characters, as the command line prints it
        (a long value in a message is cut with an ellipsis, never repeated whole)."""
        text = " ".join(str(self).split())
        return text if len(text) <= self.max_chars else text[: self.max_chars - 1] + "…"


class InputError(Her2gcError):
    """Bad user input: a case, a sequencing file, a model file, an option.

    The message names the file and the field path or line, and the bad value.
    """


class UnknownEntityError(InputError):
    """An unknown gene, drug, regimen, trial or other knowledge-base id."""


class KnowledgeBaseError(Her2gcError):
    """The knowledge base itself is invalid (a schema error or a dangling id)."""

    exit_code = 1


class ComputationLimitError(Her2gcError):
    """A requested computation exceeds the documented size or time limits."""
