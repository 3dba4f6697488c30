"""``her2gc model``: predictions, screens, drawings and exports of the logical model.

Errors are raised as the Her2gcError family and become one line on stderr with exit
code 2. The knowledge base is loaded once per command and its model built from it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from her2gc.errors import InputError

if TYPE_CHECKING:
    from her2gc.kb.base import KnowledgeBase
    from her2gc.model import AnnotatedModel

model_app = typer.Typer(no_args_is_help=True, help="Mechanistic (logical) model: hypotheses, the lowest evidence tier.")

_FORMATS = ("text", "json")


def _check_format(output_format: str) -> None:
    if output_format not in _FORMATS:
        raise InputError(f"--format: '{output_format}' is not one of {', '.join(_FORMATS)}")


def parse_alteration(text: str) -> tuple[str, str]:
    """``GENE:KIND`` (e.g. ``MET:amp``, ``ERBB2:p95``) -> (gene, kind)."""
    gene, sep, kind = text.rpartition(":")
    if not sep or not gene.strip() or not kind.strip():
        raise InputError(f"--alteration: {text!r} is not GENE:KIND (e.g. MET:amp, PTEN:loss, ERBB2:p95)")
    return gene.strip(), kind.strip()


def _kb_and_model() -> tuple[KnowledgeBase, AnnotatedModel]:
    from her2gc.kb.loader import load_kb
    from her2gc.model import annotated_model
    from her2gc.runtime import Runtime

    kb = load_kb()
    return kb, annotated_model(kb, Runtime())


def _case_profile(
    case_file: Path, kb: KnowledgeBase, model: AnnotatedModel
) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """(mapped alterations, alterations the model does not represent, current drugs) of a case.

    The tumour's HER2 status counts as an alteration (ERBB2 amplified or over-expressed),
    exactly as in the report's model section.
    """
    from her2gc.her2 import assess_her2
    from her2gc.model import her2_profile
    from her2gc.readers.case_file import read_case

    case = read_case(case_file, kb)
    her2 = assess_her2(case, kb.her2_rules, kb.ranking)
    profile = sorted({(a.gene, a.kind) for a in case.alterations} | set(her2_profile(her2)))
    mapped = [alteration for alteration in profile if model.maps_alteration(*alteration)]
    skipped = [f"{gene}:{kind}" for gene, kind in profile if (gene, kind) not in mapped]
    drugs = list(case.current_therapy.drugs) if case.current_therapy else []
    return mapped, skipped, drugs


def _emit(data: dict[str, object], text: str, output_format: str) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n" if output_format == "json" else text)


@model_app.command()
def predict(
    alteration: Annotated[list[str] | None, typer.Option("--alteration", "-a", help="GENE:KIND, repeatable")] = None,
    drug: Annotated[list[str] | None, typer.Option("--drug", "-d", help="drug (INN), repeatable")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text | json")] = "text",
) -> None:
    """Predict the response of one alteration profile to one drug set."""
    _check_format(output_format)
    _, model = _kb_and_model()
    prediction = model.predict([parse_alteration(a) for a in alteration or []], drug or [])
    text = (
        f"model hypothesis (lowest evidence tier): {prediction.response}\n"
        f"  drugs: {', '.join(prediction.drugs) or 'none'}; alterations: {', '.join(prediction.alterations) or 'none'}\n"
        f"  proliferation off in {prediction.proliferation_off_fraction:.0%} of {prediction.attractor_count} attractor(s); "
        f"apoptosis on in {prediction.apoptosis_fraction:.0%}; score {prediction.score:.3f}\n"
        + "".join(f"  caution: {c}\n" for c in prediction.cautions)
    )
    _emit(prediction.model_dump(mode="json"), text, output_format)


def _screen_text(rows: list[dict[str, object]], header: str) -> str:
    lines = [header, f"{'rank':>4}  {'score':>6}  {'synergy':>7}  response   drugs"]
    for rank, row in enumerate(rows, start=1):
        synergy = row.get("synergy")
        shown = f"{synergy:+.3f}" if isinstance(synergy, float) else "-"
        lines.append(f"{rank:>4}  {row['score']:>6.3f}  {shown:>7}  {row['response']:<9}  {' + '.join(row['drugs'])}")  # type: ignore[arg-type]
    return "\n".join(lines) + "\n"


@model_app.command()
def screen(
    case_file: Annotated[Path | None, typer.Argument(metavar="CASE", help="case file (JSON/YAML, may be .gz)")] = None,
    max_drugs: Annotated[int, typer.Option("--max-drugs", help="largest combination size")] = 2,
    bnet: Annotated[Path | None, typer.Option("--bnet", help="screen this .bnet model instead")] = None,
    drug_panel: Annotated[Path | None, typer.Option("--drug-panel", help="DrugLogics drug panel (with --bnet)")] = None,
    outputs: Annotated[Path | None, typer.Option("--outputs", help="DrugLogics model outputs (with --bnet)")] = None,
    free_inputs: Annotated[
        bool, typer.Option("--free-inputs", help="treat nodes used but never defined as inputs")
    ] = False,
    top: Annotated[int | None, typer.Option("--top", help="show only the best N rows")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text | json")] = "text",
) -> None:
    """Rank single drugs and combinations for a case, or for any model with DrugLogics files."""
    from her2gc.network import screen_bnet

    _check_format(output_format)
    extra: dict[str, object] = {}
    if bnet is not None:
        if case_file is not None or drug_panel is None or outputs is None:
            raise InputError("--bnet needs --drug-panel and --outputs, and no CASE")
        kb, model = _kb_and_model()
        results = screen_bnet(
            bnet, drug_panel, outputs, model.annotations.screen, max_drugs=max_drugs, free_inputs=free_inputs
        )
        header = f"screen of {bnet} (model hypotheses)"
    elif case_file is not None:
        kb, model = _kb_and_model()
        from her2gc.model import allowed_set

        mapped, skipped, _ = _case_profile(case_file, kb, model)
        # A case's screen offers what a clinician could give: no two drugs of one target or class.
        results = [
            r
            for r in model.screen_profile(mapped, max_drugs=max_drugs)
            if allowed_set(r.drugs, kb, model.annotations.screen)
        ]
        extra = {
            "alterations": [f"{g}:{k}" for g, k in mapped],
            "not_in_model": skipped,
            "evidence_tier": "model_prediction",
            "label": "model hypothesis",
        }
        header = f"screen of {case_file} on the HER2 gastric model (model hypotheses, lowest evidence tier)"
    else:
        raise InputError("give a CASE file, or --bnet MODEL --drug-panel PANEL --outputs OUTPUTS")
    rows = [result.as_contract() for result in results[: top if top is not None else None]]
    _emit({"results": rows, **extra}, _screen_text(rows, header), output_format)


@model_app.command()
def draw(
    case_file: Annotated[
        Path | None, typer.Argument(metavar="CASE", help="case file whose alterations are marked")
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="SVG file to write")] = Path("model.svg"),
    alteration: Annotated[list[str] | None, typer.Option("--alteration", "-a", help="GENE:KIND, repeatable")] = None,
    drug: Annotated[
        list[str] | None, typer.Option("--drug", "-d", help="drug whose targets are marked, repeatable")
    ] = None,
) -> None:
    """Draw the HER2 model (SVG, Graphviz) with altered nodes and drug targets marked."""
    from her2gc.network.draw import draw as run_draw

    kb, model = _kb_and_model()
    alterations = [parse_alteration(a) for a in alteration or []]
    drugs = list(drug or [])
    if case_file is not None:
        mapped, _, current = _case_profile(case_file, kb, model)
        alterations.extend(mapped)
        drugs.extend(d for d in current if d in model.panel)
    altered = model.alteration_perturbations(alterations) if alterations else {}
    targets = model.drug_targets(drugs) if drugs else {}
    path = run_draw(model.model, altered, targets, output, readouts=tuple(model.annotations.readouts.weights))
    sys.stdout.write(f"wrote {path}\n")


@model_app.command("export-sbml")
def export_sbml(
    output: Annotated[Path, typer.Option("-o", "--output", help="SBML-qual file to write")] = Path("her2_gastric.sbml"),
    bnet: Annotated[Path | None, typer.Option("--bnet", help="export this .bnet model instead")] = None,
) -> None:
    """Export the HER2 model (or any .bnet model) to SBML-qual for GINsim / Cell Collective."""
    from her2gc.network import load_bnet, to_sbml_qual

    if bnet is not None:
        path = to_sbml_qual(load_bnet(bnet), output)
    else:
        _, model = _kb_and_model()
        path = to_sbml_qual(model.model, output, initial=model.annotations.initial_state)
    sys.stdout.write(f"wrote {path}\n")
