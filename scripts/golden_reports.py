"""Write the reports of every golden case and shipped example, to compare two versions.

    python scripts/golden_reports.py OUTDIR          # JSON, text and HTML of each case
    diff -r BEFORE AFTER                             # byte-identical when nothing changed

Used to check that a restructuring changes no report; it goes through the public API
and the renderers only, so it runs the same on both sides of such a change.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import her2gc

ROOT = Path(__file__).resolve().parent.parent


def _render_module():  # type: ignore[no-untyped-def]
    for name in ("her2gc.render", "her2gc.formats.render"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise SystemExit("no renderer module found")


def case_files() -> list[Path]:
    files = [p for p in sorted((ROOT / "tests" / "cases").rglob("*.yaml")) if not p.name.endswith(".expected.yaml")]
    return files + sorted((ROOT / "examples").rglob("*.yaml"))


def main(out_dir: str) -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kb = her2gc.load_kb()
    render = _render_module()
    written = 0
    for path in case_files():
        try:
            case = her2gc.read_case(path)
        except her2gc.InputError:
            continue  # fragments of cases (sequencing examples without tests) are not reports
        report = her2gc.evaluate(case, kb)
        stem = "__".join(path.relative_to(ROOT).with_suffix("").parts)
        (out / f"{stem}.json").write_text(
            json.dumps(report.to_json_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )
        (out / f"{stem}.txt").write_text(render.to_text(report))
        (out / f"{stem}.html").write_text(render.to_html(report))
        written += 1
    print(f"{written} reports written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
