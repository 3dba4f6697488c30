"""``her2gc kb``: validate the knowledge base and show its entries."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any

import typer

from her2gc.cli.compare import compare_app
from her2gc.errors import Her2gcError, UnknownEntityError

kb_app = typer.Typer(no_args_is_help=True, help="Inspect and validate the knowledge base.")
kb_app.add_typer(compare_app, name="compare")


@kb_app.command("check")
def kb_check() -> None:
    """Validate the knowledge base: schemas, cross-references, eligibility against trials and approvals, the clinical map."""
    from her2gc.kb.checks import dangling_references, eligibility_problems
    from her2gc.kb.loader import load_kb_from
    from her2gc.kb.yamlio import DATA_DIR

    kb = _load_checked(DATA_DIR, load_kb_from)
    problems = [f"dangling: {p}" for p in dangling_references(kb)] + [
        f"eligibility: {p}" for p in eligibility_problems(kb)
    ]
    problems += _clinical_map_problems(kb.sources)
    for kind, count in sorted(kb.counts.items()):
        typer.echo(f"{kind:18} {count}")
    typer.echo(f"version            {kb.version}")
    typer.echo(f"sha256             {kb.sha256}")
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1)
    typer.echo("ok: knowledge base valid")


def _clinical_map_problems(sources: Collection[str]) -> list[str]:
    """The cohort runner's clinical map (``clinical_map.yaml``): its schema and its sources."""
    from her2gc.kb.schema_cohort import load_clinical_map

    try:
        load_clinical_map(known_sources=sources)
    except Her2gcError as exc:
        return [f"clinical map: {exc.one_line()}"]
    return []


def _load_checked(data_dir: Path, loader):  # type: ignore[no-untyped-def]
    """Load for ``kb check``: a schema or reference error is exit 1 with its message."""
    try:
        return loader(data_dir)
    except Her2gcError as exc:
        typer.echo(f"invalid: {exc.one_line()}", err=True)
        raise typer.Exit(1) from None


@kb_app.command("show")
def kb_show(
    kind: Annotated[
        str,
        typer.Argument(help="trial | drug | regimen | mechanism | ncrna | source | approval | recommendation | gene"),
    ],
    entry_id: Annotated[str, typer.Argument(metavar="ID")],
    output_format: Annotated[str, typer.Option("--format", help="yaml | json")] = "yaml",
) -> None:
    """Show one knowledge-base entry."""
    import yaml

    from her2gc.kb.loader import load_kb

    kb = load_kb()
    try:
        entry = kb.entry(kind.strip().lower(), entry_id)
    except KeyError as exc:
        raise UnknownEntityError(str(exc.args[0])) from None
    dumped = entry.model_dump(mode="json", exclude_none=True, by_alias=True)
    # Identity first, provenance last: the order a reviewer reads an entry in.
    data: dict[str, object] = {key: dumped[key] for key in ("id", "symbol") if key in dumped}
    data |= {key: value for key, value in dumped.items() if key not in data and key != "sources"}
    if "sources" in dumped:
        data["sources"] = dumped["sources"]
    if output_format == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.dump(_as_printed(data), Dumper=_printed_dumper(), sort_keys=False, allow_unicode=True)
    sys.stdout.write(text)


class _Printed(str):
    """A number to be written exactly as the source prints it (``0.70``, ``11``)."""


def _as_printed(value: Any) -> Any:
    """Trial figures as their sources print them: ``value`` from ``printed``, the CI from ``ci_printed``."""
    if isinstance(value, list):
        return [_as_printed(item) for item in value]
    if not isinstance(value, dict):
        return value
    shown = {key: _as_printed(item) for key, item in value.items() if key not in ("printed", "ci_printed")}
    if "printed" in value and "value" in value:
        shown["value"] = _Printed(value["printed"])
    if "ci_printed" in value and "ci_low" in value and "ci_high" in value:
        low, _, high = str(value["ci_printed"]).partition("-")
        shown["ci_low"], shown["ci_high"] = _Printed(low), _Printed(high)
    return shown


def _printed_dumper() -> Any:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(_Printed, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:float", str(data)))
    return Dumper
