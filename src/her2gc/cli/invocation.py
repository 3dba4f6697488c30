"""How a command was started: by the ``her2gc`` console script, or by code calling ``main``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Invocation:
    """The command's process role, handed to every command as typer's context object.

    ``owns_process``: started by the console script, so the command may set the process up
    for its short life (move what it creates at start-up out of the collector's sight); code
    calling ``main`` (tests, embedding) keeps its process as it is.
    """

    owns_process: bool = False


def owns_process(context_object: Any) -> bool:
    """Whether the command runs in a process of its own (see :class:`Invocation`)."""
    return isinstance(context_object, Invocation) and context_object.owns_process
