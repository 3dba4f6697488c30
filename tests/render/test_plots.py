"""Golden checks of the plots' content (points, shaded lines, marked nodes), not pixels.

Every expectation comes from the case file it is drawn from (quoted in ``basis``) or
from the contract of the picture (one shaded span per line of therapy, one marker per
timepoint, in date order), never from a run of the code.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from svg_helpers import (
    all_text,
    by_id,
    classes,
    fills,
    has_id,
    ids,
    ids_starting,
    marker_positions,
    node_groups,
    parse,
    text_origin,
    texts,
)

import her2gc
from her2gc.render.plots import ctdna_trend_svg, network_svg, treatment_timeline_svg
from her2gc.render.plots_svg import OKABE_ITO, SVG_NS

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = Path(__file__).resolve().parent / "cases" / "earlier_example.yaml"
CASES = Path(__file__).parent / "cases"
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz 'dot' is not installed (apt-get install graphviz)"
)


@pytest.fixture(scope="module")
def evaluated(kb):
    cache = {}

    def get(path: Path):
        if path not in cache:
            case = her2gc.read_case(path, kb)
            cache[path] = (case, her2gc.evaluate(case, kb))
        return cache[path]

    return get


@pytest.fixture(scope="module")
def model():
    from support import her2_model

    return her2_model().model


# --- ctDNA trend ------------------------------------------------------------------


def test_example_copy_number_points_follow_the_dates(evaluated):
    basis = "ctdna: {date: 2025-02-01, erbb2_copy_number: 8.2}, {date: 2025-05-01, erbb2_copy_number: 3.1}"
    root = parse(ctdna_trend_svg(*evaluated(EXAMPLE)))
    points = marker_positions(by_id(root, "her2gc-ctdna-ctdna-erbb2-copy-number"))
    assert len(points) == 2, basis
    (x1, y1), (x2, y2) = points
    assert x1 < x2, "the 2025-02-01 point lies left of the 2025-05-01 one"
    assert y1 < y2, "8.2 is drawn higher than 3.1 (SVG y grows downwards)"
    values = texts(by_id(root, "her2gc-ctdna-panel-copy-number"))
    assert "8.2" in values and "3.1" in values


def test_example_plasma_alteration_is_a_vaf_point(evaluated):
    basis = "{gene: PIK3CA, kind: mut, protein_change: p.H1047R, vaf: 0.21, source: plasma, date: 2025-09-10}"
    root = parse(ctdna_trend_svg(*evaluated(EXAMPLE)))
    assert len(marker_positions(by_id(root, "her2gc-ctdna-ctdna-vaf-pik3ca-p-h1047r"))) == 1, basis
    assert "PIK3CA p.H1047R" in all_text(by_id(root, "her2gc-ctdna-panel-vaf")), basis


def test_example_lines_of_therapy_are_shaded_and_labelled(evaluated):
    basis = "treatment_history: line 1 2025-02-01 to 2025-09-01, stop_reason: progression; current_therapy: T-DXd"
    root = parse(ctdna_trend_svg(*evaluated(EXAMPLE)))
    for panel in ("band", "copy-number", "vaf"):
        shaded = ids_starting(root, "her2gc-ctdna-therapy-")
        assert f"her2gc-ctdna-therapy-line-1-{panel}" in shaded, basis
        assert f"her2gc-ctdna-therapy-current-therapy-{panel}" in shaded, basis
        assert has_id(root, f"her2gc-ctdna-progression-line-1-{panel}"), "line 1 stopped for progression"
    assert len(ids_starting(root, "her2gc-ctdna-therapy-label-")) == 2, "one label per line"
    label = all_text(by_id(root, "her2gc-ctdna-therapy-label-line-1")).replace("\u00a0", " ")
    assert label.startswith("Line 1 · PR"), basis
    assert "start is not recorded" in all_text(by_id(root, "her2gc-ctdna-plot-notes")), "current_therapy has no date"


def test_three_lines_points_progression_rings_and_shading(evaluated):
    path = CASES / "three_lines_plasma.yaml"
    case, report = evaluated(path)
    root = parse(ctdna_trend_svg(case, report))
    copy_number = marker_positions(by_id(root, "her2gc-ctdna-ctdna-erbb2-copy-number"))
    assert len(copy_number) == 4, "four ctdna timepoints with erbb2_copy_number"
    assert [x for x, _ in copy_number] == sorted(x for x, _ in copy_number), "x follows the dates"
    rings = marker_positions(by_id(root, "her2gc-ctdna-ctdna-erbb2-copy-number-at-progression"))
    assert [x for x, _ in rings] == [x for x, _ in copy_number[2:]], "timing: progression on 2024-12-12 and 2025-07-01"
    tp53 = marker_positions(by_id(root, "her2gc-ctdna-ctdna-vaf-tp53-p-r175h"))
    assert len(tp53) == 4, "TP53 p.R175H (once spelled R175H) at all four timepoints: one series"
    assert len(marker_positions(by_id(root, "her2gc-ctdna-ctdna-vaf-kras-p-g12d"))) == 1, (
        "KRAS p.G12D in ctdna[3].variants and as a plasma alteration of the same date: one point"
    )
    for line in (1, 2, 3):
        assert has_id(root, f"her2gc-ctdna-therapy-line-{line}-copy-number")
    assert not ids_starting(root, "her2gc-ctdna-therapy-current"), "line 3 (no end) is the current therapy"
    progressions = ids_starting(root, "her2gc-ctdna-progression-")
    assert sorted({p.rsplit("-", 1)[0] for p in progressions if p.endswith("-vaf")}) == [
        "her2gc-ctdna-progression-line-1",
        "her2gc-ctdna-progression-line-2",
    ], "lines 1 and 2 stopped for progression; line 3 is running"


def test_vaf_only_case_draws_one_panel_and_says_what_is_missing(evaluated):
    root = parse(ctdna_trend_svg(*evaluated(CASES / "crowded_events.yaml")))
    assert not has_id(root, "her2gc-ctdna-panel-copy-number"), "no timepoint has erbb2_copy_number"
    assert len(marker_positions(by_id(root, "her2gc-ctdna-ctdna-vaf-pik3ca-p-e545k"))) == 3
    assert "line 1 (no start date)" in all_text(by_id(root, "her2gc-ctdna-plot-notes"))


def test_no_plasma_data_no_trend_and_nothing_dated_no_timeline(evaluated):
    case, report = evaluated(CASES / "nothing_dated.yaml")
    assert ctdna_trend_svg(case, report) is None
    assert treatment_timeline_svg(case, report) is None


# --- treatment timeline -----------------------------------------------------------------


def test_example_timeline_marks(evaluated):
    root = parse(treatment_timeline_svg(*evaluated(EXAMPLE)))
    assert has_id(root, "her2gc-timeline-line-bar-line-1") and has_id(root, "her2gc-timeline-line-bar-current-therapy")
    assert "trastuzumab + capecitabine + oxaliplatin" in all_text(by_id(root, "her2gc-timeline-line-drugs-line-1"))
    assert "best response PR" in all_text(by_id(root, "her2gc-timeline-line-label-line-1")), "best_response: PR"
    assert has_id(root, "her2gc-timeline-line-progression-line-1"), "stop_reason: progression"
    event = all_text(by_id(root, "her2gc-timeline-adverse-event-1-label"))
    assert "ILD/pneumonitis G1" in event and "trastuzumab deruxtecan" in event, "{drug: T-DXd, event: ild, grade: 1}"
    assert has_id(root, "her2gc-timeline-adverse-event-1-duration"), "resolved: 2025-10-20"
    assert "IHC 2+ · ISH ratio 2.4" in all_text(by_id(root, "her2gc-timeline-her2-test-1-label"))
    ticks = [marker_positions(by_id(root, f"her2gc-timeline-ctdna-{i}"))[0][0] for i in (1, 2, 3)]
    assert ticks == sorted(ticks), "ctDNA 2025-02-01, 2025-05-01 and the plasma alteration of 2025-09-10"
    assert not has_id(root, "her2gc-timeline-ctdna-4")


def test_crowded_labels_are_stacked_not_overlapping(evaluated):
    basis = "adverse events on 2025-03-20, 2025-03-22 and 2025-03-25: labels wider than the days between them"
    root = parse(treatment_timeline_svg(*evaluated(CASES / "crowded_events.yaml")))
    tops = [
        min(
            text_origin(t)[1] for t in by_id(root, f"her2gc-timeline-adverse-event-{i}-label").iter(f"{{{SVG_NS}}}text")
        )
        for i in (1, 2, 3)
    ]
    assert len(set(tops)) == 3, basis
    assert "line 1 (no start date)" in all_text(by_id(root, "her2gc-timeline-plot-notes"))
    assert has_id(root, "her2gc-timeline-ctdna-3-at-progression"), "ctdna[2] has timing: progression"
    assert "stopped: toxicity" in all_text(by_id(root, "her2gc-timeline-line-label-line-2")), "stop_reason: toxicity"


def test_levels_keep_labels_apart_and_leaders_clear():
    from her2gc.render.plots_labels import label_levels as _levels

    # marks at 0, 20, 40 with labels running right from them, and a label near the right
    # edge ending at its mark (120) that reaches back over the mark at 40
    boxes = [(0.0, 50.0), (20.0, 70.0), (40.0, 90.0), (30.0, 120.0)]
    anchors = [0.0, 20.0, 40.0, 120.0]
    levels = _levels(boxes, anchors, pad=0.0)
    for i, j in itertools.combinations(range(len(boxes)), 2):
        if levels[i] == levels[j]:
            assert boxes[i][1] < boxes[j][0] or boxes[j][1] < boxes[i][0], (i, j)
        for upper, lower in ((i, j), (j, i)):
            if levels[upper] > levels[lower]:
                a, b = boxes[lower]
                assert not a <= anchors[upper] <= b, f"leader of {upper} crosses label {lower}"
    assert levels[0] > levels[1] > levels[2], "earlier labels above later ones: their leaders pass left of them"


@given(
    st.lists(
        st.tuples(st.integers(0, 300), st.integers(5, 120), st.booleans()),
        min_size=1,
        max_size=12,
        unique_by=lambda t: t[0],
    )
)
@settings(max_examples=200, deadline=None)
def test_levels_property(labels):
    """Any marks (distinct dates), labels running right from the mark or, near the edge, ending at it."""
    from her2gc.render.plots_labels import label_levels as _levels

    labels = sorted(labels)
    anchors = [3.0 * x for x, _, _ in labels]
    boxes = [(a - w, a) if to_left else (a, a + w) for a, (_, w, to_left) in zip(anchors, labels, strict=False)]
    levels = _levels(boxes, anchors, pad=2.0)
    for i, j in itertools.combinations(range(len(boxes)), 2):
        if levels[i] == levels[j]:
            assert boxes[i][1] + 2.0 < boxes[j][0] or boxes[j][1] + 2.0 < boxes[i][0]
    if not any(to_left for _, _, to_left in labels):
        for upper, lower in itertools.permutations(range(len(boxes)), 2):
            if levels[upper] > levels[lower]:
                assert not boxes[lower][0] - 1 <= anchors[upper] <= boxes[lower][1] + 1


# --- network picture ----------------------------------------------------------------


@needs_dot
def test_example_network_marks_alterations_and_targets(evaluated, model, kb):
    case, report = evaluated(EXAMPLE)
    picture = network_svg(report, case, model=model, annotations=kb.model)
    assert picture.svg is not None, picture.message
    root = parse(picture.svg)
    nodes = node_groups(root)
    basis = "alterations: MET amp (tissue), PIK3CA p.H1047R (plasma); ISH ratio 2.4 (ERBB2 amplified in the model)"
    for node in ("MET_alt", "PIK3CA_alt", "ERBB2"):
        assert {"altered", "altered-on"} <= classes(nodes[node]), basis
        assert OKABE_ITO["orange"].lower() in fills(nodes[node]), basis
    # T-DXd (model.yaml: mAb_HER2_dIV and ADC_TOP1i) and ramucirumab (VEGFR2) are offered options
    for node in ("ADC_TOP1i", "mAb_HER2_dIV", "VEGFR2"):
        assert "drug-target" in classes(nodes[node])
        assert OKABE_ITO["sky_blue"].lower() in fills(nodes[node])
    assert "altered" not in classes(nodes["RAS"]) and "drug-target" not in classes(nodes["RAS"])
    altered_legend = all_text(next(g for g in root.iter() if "legend-altered-on" in classes(g)))
    assert all(name in altered_legend for name in ("MET_alt", "PIK3CA_alt", "ERBB2"))
    target_legend = all_text(next(g for g in root.iter() if "legend-drug-target" in classes(g)))
    # T-DXd is offered (ranked last: the ILD event counts as an ILD history, a demoting contraindication)
    assert re.search(r"trastuzumab deruxtecan \(option \d+\): mAb_HER2_dIV, ADC_TOP1i", target_legend), target_legend
    assert "paclitaxel" in all_text(root), "paclitaxel is offered and is not in the model's panel: said, not dropped"
    assert not any("\\n" in line for line in texts(root)), "no literal \\n in labels"
    assert texts(nodes["ADC_TOP1i"]) == ["ADC_TOP1i", "trastuzumab deruxtecan"]


@needs_dot
def test_loss_is_switched_off_and_unmapped_alterations_are_named(evaluated, model, kb):
    case, report = evaluated(CASES / "nothing_dated.yaml")
    picture = network_svg(report, case, model=model, annotations=kb.model)
    root = parse(picture.svg)
    assert "altered-off" in classes(node_groups(root)["PTEN"]), "PTEN loss switches PTEN off"
    assert "CLDN18 amp" in picture.marks.not_in_model
    assert "CLDN18 amp" in all_text(root)


@needs_dot
def test_patient_scope_is_a_part_and_model_scope_all(evaluated, model, kb):
    case, report = evaluated(EXAMPLE)
    patient = network_svg(report, case, model=model, annotations=kb.model)
    whole = network_svg(report, case, model=model, annotations=kb.model, scope="model")
    assert set(patient.marks.altered) | set(patient.marks.targets) <= set(patient.shown_nodes)
    assert len(patient.shown_nodes) < len(whole.shown_nodes) == len(model.nodes) == len(node_groups(parse(whole.svg)))


def test_without_graphviz_there_is_a_reason(evaluated, model, kb, monkeypatch):
    import her2gc.network.draw as draw_module  # noqa: F401 (the module, for monkeypatching)

    monkeypatch.setattr(sys.modules["her2gc.network.draw"].shutil, "which", lambda _name: None)
    case, report = evaluated(EXAMPLE)
    picture = network_svg(report, case, model=model, annotations=kb.model)
    assert picture.svg is None
    assert "Graphviz" in (picture.message or "")
    assert "MET_alt" in picture.marks.altered, "the marks are still known to the caller"


# --- every plot -------------------------------------------------------------------


def _all_plots(evaluated, model, kb, path: Path) -> dict[str, str]:
    case, report = evaluated(path)
    plots = {"ctdna": ctdna_trend_svg(case, report), "timeline": treatment_timeline_svg(case, report)}
    if shutil.which("dot"):
        plots["network"] = network_svg(report, case, model=model, annotations=kb.model).svg
    return {name: svg for name, svg in plots.items() if svg is not None}


@pytest.mark.parametrize(
    "path", [EXAMPLE, CASES / "three_lines_plasma.yaml", CASES / "crowded_events.yaml"], ids=lambda p: p.stem
)
def test_self_contained_accessible_and_safe_to_inline_together(evaluated, model, kb, path):
    plots = _all_plots(evaluated, model, kb, path)
    seen: list[str] = []
    for name, svg in plots.items():
        assert not svg.startswith("<?xml") and "<!DOCTYPE" not in svg and "<!--" not in svg
        assert "<script" not in svg and "<image" not in svg and "<metadata" not in svg
        root = parse(svg)
        assert root.get("role") == "img"
        title_id, desc_id = (root.get("aria-labelledby") or "").split()
        assert all_text(by_id(root, title_id)) == "" and (by_id(root, title_id).text or "").strip()
        assert (by_id(root, desc_id).text or "").strip()
        prefix = root.get("id")
        assert all(i.startswith(prefix) for i in ids(root)), name
        for element in root.iter():
            for key, value in element.attrib.items():
                if key.endswith("href"):
                    assert value.startswith("#"), f"{name}: external reference {value}"
                assert "url(" not in value or "url(#" in value
        fonts = [e for e in root.iter() if (e.get("id") or "").startswith(f"{prefix}-DejaVu")]
        assert not fonts, "no embedded glyphs (svg.fonttype none)"
        seen += ids(root)
    assert len(seen) == len(set(seen)), "ids unique across the plots of one report"


def test_text_is_large_enough_and_series_colours_are_colour_blind_safe(evaluated):
    import re

    svg = ctdna_trend_svg(*evaluated(CASES / "three_lines_plasma.yaml"))
    sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg)]
    assert sizes and min(sizes) >= 9
    root = parse(svg)
    safe = {c.lower() for c in OKABE_ITO.values()}
    for series in ("ctdna-erbb2-copy-number", "ctdna-vaf-tp53-p-r175h", "ctdna-vaf-kras-p-g12d"):
        styles = " ".join(e.get("style", "") for e in by_id(root, f"her2gc-ctdna-{series}").iter())
        colours = set(re.findall(r"stroke: (#[0-9a-f]{6})", styles))
        assert colours and colours <= safe, series


def test_same_inputs_same_bytes(evaluated, model, kb):
    first = _all_plots(evaluated, model, kb, CASES / "three_lines_plasma.yaml")
    second = _all_plots(evaluated, model, kb, CASES / "three_lines_plasma.yaml")
    assert first == second


def test_same_bytes_in_another_process(evaluated):
    svg = ctdna_trend_svg(*evaluated(EXAMPLE))
    script = (
        "import sys, her2gc; from her2gc.render.plots import ctdna_trend_svg; "
        f"c = her2gc.read_case({str(EXAMPLE)!r}); sys.stdout.write(ctdna_trend_svg(c, her2gc.evaluate(c, her2gc.load_kb())))"
    )
    env = {"PYTHONPATH": str(REPO / "src"), "PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}
    import os

    env = {**os.environ, **env}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True, timeout=120
    )
    assert out.stdout == svg


def test_importing_the_plots_does_not_import_matplotlib_or_the_network():
    script = "import sys, her2gc.render.plots; print('matplotlib' in sys.modules, 'her2gc.network' in sys.modules)"
    import os

    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    assert out.stdout.split() == ["False", "False"]


@needs_dot
def test_model_drawing_labels_break_lines_instead_of_showing_backslash_n(model):
    from her2gc.network.draw import dot_svg, to_dot

    svg = dot_svg(to_dot(model, {"MET_alt": 1}, {"mAb_HER2_dIV": ["trastuzumab"]}))
    lines = texts(parse(svg))
    assert "(altered: on)" in lines and "[trastuzumab]" in lines
    assert not any("\\n" in line for line in lines)
