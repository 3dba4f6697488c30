"""The command line: ``her2gc evaluate | kb | model | annotate | fhir | cohort | serve | audit``.

Each command imports what it needs when it runs, so ``her2gc --help`` and a single
evaluation do not pay for the model engine or the sequencing readers. Errors of the
Her2gcError family become one line on stderr and their exit code (2 for bad input); no
traceback reaches the user.
"""

from __future__ import annotations

import sys

import typer

from her2gc.cli.evaluate import evaluate
from her2gc.cli.fhir import fhir_app
from her2gc.cli.invocation import Invocation
from her2gc.cli.kb import kb_app
from her2gc.cli.model import model_app
from her2gc.cli.sequencing import annotate_command
from her2gc.cohort.cli import cohort_app
from her2gc.errors import Her2gcError
from her2gc.service.cli import audit_app, serve_command

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="HER2 decision support for gastric / GEJ adenocarcinoma."
)
app.command()(evaluate)
app.add_typer(kb_app, name="kb")
app.add_typer(model_app, name="model")
app.command("annotate")(annotate_command)
app.add_typer(fhir_app, name="fhir")
app.command("serve")(serve_command)
app.add_typer(cohort_app, name="cohort")
app.add_typer(audit_app, name="audit")


# Typer >= 0.29 carries its own copy of click, whose usage errors are TyperExceptions; the
# separate click package is not imported (it would cost every command 20 ms of start-up).
_ABORTS: tuple[type[Exception], ...] = (typer.Abort,)
_USAGE_ERRORS: tuple[type[Exception], ...] = (typer.TyperException,)


def _usage_line(exc: Exception) -> str:
    """A usage mistake (unknown option, missing argument) as one line that says where to look."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", None) or "her2gc"
    return f"her2gc: error: {message} (see '{command} --help')"


def main(argv: list[str] | None = None, *, owns_process: bool = False) -> int:
    """Entry point: run the app, turning errors into one line and an exit code
    (``owns_process``: started by the console script, see :class:`Invocation`)."""
    try:
        result = app(args=argv, prog_name="her2gc", standalone_mode=False, obj=Invocation(owns_process))
    except Her2gcError as exc:
        sys.stderr.write(f"her2gc: error: {exc.one_line()}\n")
        return exc.exit_code
    except _ABORTS:
        sys.stderr.write("her2gc: aborted\n")
        return 130
    except _USAGE_ERRORS as exc:
        if str(exc):  # an empty message: no arguments, and the help has been shown instead
            sys.stderr.write(_usage_line(exc) + "\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        sys.stderr.write("her2gc: error: the input is too large for this machine's memory\n")
        return 2
    except Exception as exc:
        sys.stderr.write(
            f"her2gc: internal error ({type(exc).__name__}: {exc}); please report it with the input that caused it\n"
        )
        return 3
    # Without standalone mode, click catches an exit requested inside a command
    # (typer.Exit, --help) and hands its code back as the return value.
    return result if isinstance(result, int) else 0
