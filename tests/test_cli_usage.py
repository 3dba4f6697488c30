"""Mistakes in the command line itself: exit code 2 and one line that points to the help;
an exit asked for inside a command keeps its code."""

from __future__ import annotations

from pathlib import Path

import pytest

from her2gc.cli import main
from her2gc.kb import checks

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "her2_positive_second_line.yaml"


@pytest.mark.parametrize(
    ("argv", "fragment", "command"),
    [
        (["evaluate", str(EXAMPLE), "-f", "json"], "No such option: -f", "her2gc evaluate"),
        (["evaluate"], "Missing argument", "her2gc evaluate"),
        (["prescribe"], "No such command 'prescribe'", "her2gc"),
        (["kb", "show", "trial"], "Missing argument", "her2gc kb show"),
        (["model", "screen", "--no-such-flag"], "No such option: --no-such-flag", "her2gc model screen"),
    ],
)
def test_usage_mistake_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str, command: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert fragment in err and f"see '{command} --help'" in err
    assert "internal error" not in err


def test_no_arguments_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    captured = capsys.readouterr()
    assert "Usage" in captured.out and "evaluate" in captured.out
    assert "error" not in captured.err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--help"]) == 0
    assert "--format" in capsys.readouterr().out


def test_kb_check_failure_keeps_exit_code_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(checks, "dangling_references", lambda kb: ["trial X cites unknown source s999"])
    assert main(["kb", "check"]) == 1
    assert "trial X cites unknown source s999" in capsys.readouterr().err


def test_kb_check_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "check"]) == 0
    assert "ok: knowledge base valid" in capsys.readouterr().out
