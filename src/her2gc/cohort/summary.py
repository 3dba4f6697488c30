"""``summary.html``: the cohort at a glance, one self-contained file (inline SVG and CSS).

Read from a run's folder (``patients.parquet``, ``cohort.duckdb``, ``run.json``), so
``her2gc cohort summary OUTDIR`` can redraw it at any time. Sections: HER2 status and
CSCO tiers; options offered by decision line; an oncoprint of resistance mechanisms
among ERBB2-amplified tumours (tissue NGS amplification, or ISH amplified); the
co-alteration table; ctDNA patterns; Kaplan-Meier curves of every end point the
clinical data has, split by HER2 status, ERBB2 amplification, the engine's flags and
each flagged mechanism with enough patients. Same inputs, same bytes.
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from her2gc.cohort import plots
from her2gc.cohort.checkpoint import write_atomic
from her2gc.cohort.executors import available_cores
from her2gc.cohort.figures import Figures
from her2gc.cohort.survival import Comparison, compare
from her2gc.errors import InputError

ONCOPRINT_ROWS = 15
COALTERATION_ROWS = 20
HER2_ORDER = ("positive", "equivocal", "negative", "unknown")
TIER_ORDER = ("high", "medium", "low", "none", "unknown")
CSS = """
body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px auto;max-width:1180px;color:#222;line-height:1.4}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;border-bottom:2px solid #1f6fb2;padding-bottom:3px;margin-top:34px}
h3{font-size:14px;margin:18px 0 4px} .meta{color:#555;font-size:13px} .grid{display:flex;flex-wrap:wrap;gap:18px}
.grid>div{flex:1 1 480px} svg{max-width:100%;height:auto} table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left} th{background:#eef3f8} td.n{text-align:right}
.note{color:#555;font-size:12px} .counts td{font-size:13px}
"""


def _load(outdir: Path, run: dict[str, Any] | None) -> tuple[dict[str, Any], Any]:
    import duckdb

    run_path, database = outdir / "run.json", outdir / "cohort.duckdb"
    if run is None:
        if not run_path.is_file():
            raise InputError(f"{outdir}: not the folder of a completed cohort run (no run.json)")
        run = json.loads(run_path.read_text(encoding="utf-8"))
    if not database.is_file():
        raise InputError(f"{outdir}: cohort.duckdb missing")
    return run, duckdb.connect(str(database), read_only=True)


def _rows(con: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in con.execute(sql).fetchall()]


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=n' if i in numeric else ''}>{html.escape(_cell(v))}</td>" for i, v in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _ordered(counts: dict[str, int], order: Sequence[str]) -> dict[str, int]:
    return {k: counts[k] for k in [*order, *sorted(set(counts) - set(order))] if k in counts}


def _her2_section(con: Any, figures: Figures) -> str:
    binary = dict(_rows(con, "SELECT her2_binary, count(*) FROM patients WHERE error IS NULL GROUP BY 1"))
    tiers = dict(_rows(con, "SELECT csco_tier, count(*) FROM patients WHERE error IS NULL GROUP BY 1"))
    if not binary:
        return "<h2>HER2</h2><p class=note>No patient was evaluated.</p>"
    colours = {"positive": "#c2404a", "equivocal": "#d9822b", "negative": "#1f6fb2", "unknown": "#999999"}
    left = figures.draw(plots.bars, _ordered(binary, HER2_ORDER), "HER2 status (binary)", colours=colours)
    right = figures.draw(plots.bars, _ordered(tiers, TIER_ORDER), "CSCO 2025 HER2 tier")
    return f"<h2>HER2</h2><div class=grid><div>{left}</div><div>{right}</div></div>"


def _options_section(con: Any, figures: Figures) -> str:
    decided = dict(_rows(con, "SELECT decision_line, count(*) FROM patients WHERE error IS NULL GROUP BY 1"))
    offered = _rows(
        con, "SELECT decision_line, regimen_id, count(DISTINCT seq) FROM options WHERE offered GROUP BY 1, 2"
    )
    if not offered:
        return "<h2>Options offered by line</h2><p class=note>No option was offered.</p>"
    shares: dict[int, dict[str, float]] = {}
    for line, regimen, count in sorted(offered, key=lambda r: (r[0], -r[2], r[1])):
        if len(shares.setdefault(line, {})) < 12:
            shares[line][regimen] = count / decided[line]
    figure = figures.draw(
        plots.options_by_line, shares, "Regimens offered (any rank), the most frequent twelve per line"
    )
    top = _rows(
        con,
        "SELECT decision_line, top_regimen_id, count(*) n FROM patients WHERE error IS NULL GROUP BY 1, 2 ORDER BY 1, n DESC, 2",
    )
    rows = [(line, regimen or "(none offered)", n, f"{100 * n / decided[line]:.0f}%") for line, regimen, n in top]
    table = _table(["decision line", "first-ranked regimen", "patients", "share"], rows, numeric=(2, 3))
    lines = ", ".join(f"line {k}: {v:,}" for k, v in sorted(decided.items()))
    return f"<h2>Options offered by line</h2><p class=note>Patients decided at {lines}.</p>{figure}<h3>First-ranked option</h3>{table}"


def amplified(table: str = "") -> str:
    """SQL condition: an evaluated ERBB2-amplified tumour (tissue NGS amplification, or ISH amplified)."""
    p = f"{table}." if table else ""
    return f"{p}error IS NULL AND ({p}erbb2_ngs_amplified OR {p}ish = 'amplified')"


def _oncoprint_section(con: Any, figures: Figures) -> str:
    tumours = _rows(con, f"SELECT seq FROM patients WHERE {amplified()}")
    title = "<h2>Resistance mechanisms among ERBB2-amplified tumours</h2>"
    if not tumours:
        return title + "<p class=note>No ERBB2-amplified tumour (tissue NGS or ISH) in this cohort.</p>"
    found = _rows(
        con,
        f"SELECT m.seq, m.mechanism_id, m.class FROM mechanisms m JOIN patients p USING (seq) WHERE {amplified('p')}",
    )
    classes = {mechanism: klass for _, mechanism, klass in found}
    frequency = Counter(mechanism for _, mechanism, _ in found)
    top = [m for m, _ in sorted(frequency.items(), key=lambda kv: (-kv[1], kv[0]))[:ONCOPRINT_ROWS]]
    if not top:
        return (
            title
            + f"<p class=note>None of the {len(tumours):,} ERBB2-amplified tumours has a resistance mechanism in the knowledge base.</p>"
        )
    by_patient: dict[int, set[str]] = {seq: set() for (seq,) in tumours}
    for seq, mechanism, _ in found:
        by_patient[seq].add(mechanism)
    patterns = Counter(tuple(m in found_here for m in top) for found_here in by_patient.values())
    ordered = sorted(patterns.items(), key=lambda kv: (tuple(not p for p in kv[0]), -kv[1]))
    figure = figures.draw(
        plots.oncoprint,
        top,
        classes,
        ordered,
        len(tumours),
        f"Mechanisms found by the engine in {len(tumours):,} ERBB2-amplified tumours",
    )
    none = patterns.get(tuple(False for _ in top), 0)
    return (
        title
        + figure
        + f"<p class=note>{none:,} of {len(tumours):,} tumours have none of the mechanisms shown. Colours: mechanism class.</p>"
    )


def fisher_exact_p(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact test of the 2x2 table [[a, b], [c, d]]: the total probability
    of the tables with the same margins that are no more likely than the observed one
    (Fisher 1922; the convention of R's fisher.test and SciPy, relative tolerance 1e-7)."""
    row, column, total = a + b, a + c, a + b + c + d
    low, high = max(0, column - (total - row)), min(row, column)

    def log_probability(x: int) -> float:
        return (
            math.lgamma(row + 1)
            - math.lgamma(x + 1)
            - math.lgamma(row - x + 1)
            + math.lgamma(total - row + 1)
            - math.lgamma(column - x + 1)
            - math.lgamma(total - row - column + x + 1)
            - math.lgamma(total + 1)
            + math.lgamma(column + 1)
            + math.lgamma(total - column + 1)
        )

    observed = log_probability(a)
    p_value = sum(math.exp(lp) for lp in (log_probability(x) for x in range(low, high + 1)) if lp <= observed + 1e-7)
    return min(1.0, p_value)


def _coalteration_section(con: Any) -> str:
    title = "<h2>Co-alterations with ERBB2 amplification</h2>"
    totals = dict(_rows(con, f"SELECT ({amplified()}) AS amp, count(*) FROM patients WHERE error IS NULL GROUP BY 1"))
    amp_total, other_total = totals.get(True, 0), totals.get(False, 0)
    if not amp_total:
        return title + "<p class=note>No ERBB2-amplified tumour in this cohort.</p>"
    counts = _rows(
        con,
        f"""SELECT a.gene || ' ' || a.kind AS alteration, ({amplified("p")}) AS amp,
                   count(DISTINCT a.seq) FROM alterations a JOIN patients p USING (seq)
            WHERE p.error IS NULL AND NOT (a.gene = 'ERBB2' AND a.kind = 'amp') GROUP BY 1, 2""",
    )
    table: dict[str, list[int]] = {}
    for alteration, amp, n in counts:
        table.setdefault(alteration, [0, 0])[0 if amp else 1] += n
    ranked = sorted(table.items(), key=lambda kv: (-kv[1][0], kv[0]))[:COALTERATION_ROWS]
    if not ranked:
        return (
            title
            + f"<p class=note>The {amp_total:,} ERBB2-amplified tumours have no other knowledge-base alteration in the data (no sequencing files, or none found).</p>"
        )
    rows = []
    for alteration, (in_amp, in_other) in ranked:
        p_value = fisher_exact_p(in_amp, amp_total - in_amp, in_other, other_total - in_other) if other_total else None
        rows.append(
            (
                alteration,
                in_amp,
                f"{100 * in_amp / amp_total:.0f}%",
                in_other,
                f"{100 * in_other / other_total:.0f}%" if other_total else "",
                p_value,
            )
        )
    header = [
        "alteration",
        f"ERBB2-amplified (n={amp_total:,})",
        "%",
        f"not amplified (n={other_total:,})",
        "%",
        "Fisher p (two-sided)",
    ]
    return (
        title
        + _table(header, rows, numeric=(1, 2, 3, 4, 5))
        + "<p class=note>Knowledge-base genes only; p values unadjusted for the number of rows.</p>"
    )


def _ctdna_section(con: Any, figures: Figures) -> str:
    patterns = dict(_rows(con, "SELECT ctdna_pattern, count(*) FROM patients WHERE error IS NULL GROUP BY 1"))
    informative = {k: v for k, v in patterns.items() if k != "insufficient_data"}
    title = "<h2>ctDNA patterns</h2>"
    note = f"<p class=note>{patterns.get('insufficient_data', 0):,} patient(s) without enough ctDNA timepoints for a pattern.</p>"
    if not informative:
        return title + note
    order = ("rising", "stable", "falling", "emergent_alterations")
    return title + figures.draw(plots.bars, _ordered(informative, order), "ERBB2 ctDNA pattern") + note


def endpoints_of(columns: Sequence[str]) -> list[str]:
    return [
        c.removesuffix("_months")
        for c in columns
        if c.endswith("_months") and f"{c.removesuffix('_months')}_event" in columns
    ]


def comparisons(con: Any, labels: dict[str, str]) -> list[Comparison]:
    """Every end point by every split with enough patients, in a fixed order."""
    return list(each_comparison(con, labels))


def each_comparison(con: Any, labels: dict[str, str]) -> Iterator[Comparison]:
    """:func:`comparisons`, one at a time (so that each can be drawn while the next is estimated)."""
    columns = [
        r[0]
        for r in _rows(
            con,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'patients' ORDER BY ordinal_position",
        )
    ]
    mechanisms = _rows(con, "SELECT seq, mechanism_id FROM mechanisms")
    by_seq: dict[int, set[str]] = {}
    for seq, mechanism in mechanisms:
        by_seq.setdefault(seq, set()).add(mechanism)
    for endpoint in endpoints_of(columns):
        rows = _rows(
            con,
            f"SELECT seq, {endpoint}_months, {endpoint}_event, her2_binary, erbb2_ngs_amplified, ngs_discordant, loss_after_therapy, ihc_score, ish "
            "FROM patients WHERE error IS NULL ORDER BY seq",
        )
        months, events = [r[1] for r in rows], [r[2] for r in rows]
        label = labels.get(endpoint, endpoint)

        splits: list[tuple[str, list[str | None], Sequence[str]]] = [
            ("HER2 status", [r[3] for r in rows], HER2_ORDER),
            (
                "ERBB2 amplification (tissue NGS)",
                ["amplified" if r[4] else "not amplified" for r in rows],
                ("amplified", "not amplified"),
            ),
            ("NGS-discordance flag", ["flagged" if r[5] else "not flagged" for r in rows], ("flagged", "not flagged")),
            ("HER2 loss after therapy", ["loss" if r[6] else "no loss" for r in rows], ("loss", "no loss")),
            (
                "HER2 IHC 3+ vs IHC 2+ / ISH-amplified",
                [_ihc_group(r[7], r[8]) for r in rows],
                ("IHC 3+", "IHC 2+ / ISH-amplified"),
            ),
        ]
        for mechanism in sorted({m for found_here in by_seq.values() for m in found_here}):
            groups: list[str | None] = ["present" if mechanism in by_seq.get(r[0], set()) else "absent" for r in rows]
            splits.append((f"mechanism {mechanism}", groups, ("present", "absent")))
        for split, groups, order in splits:
            result = compare(endpoint, label, split, months, events, groups, order)
            if result is not None:
                yield result


def _ihc_group(score: str | None, ish: str | None) -> str | None:
    if score == "3+":
        return "IHC 3+"
    return "IHC 2+ / ISH-amplified" if score == "2+" and ish == "amplified" else None


def _survival_section(con: Any, labels: dict[str, str], figures: Figures) -> str:
    title = "<h2>Survival and time on therapy</h2>"
    found = [(comparison, figures.draw(plots.kaplan_meier, comparison)) for comparison in each_comparison(con, labels)]
    if not found:
        return (
            title
            + "<p class=note>The clinical data has no survival or time-on-therapy column with enough patients per group.</p>"
        )
    parts = [
        title,
        "<p class=note>Kaplan-Meier estimates and log-rank tests; nothing fitted. Splits shown when at least two groups have 5 or more patients.</p>",
    ]
    for comparison, figure in found:
        rows = [
            (c.label, c.n, c.events, "not reached" if c.median is None else f"{c.median:g}", _ci(c.median_ci))
            for c in comparison.curves
        ]
        parts.append(f"<h3>{html.escape(comparison.endpoint_label)} by {html.escape(comparison.split)}</h3>")
        parts.append(figure)
        parts.append(_table(["group", "patients", "events", "median (months)", "95% CI"], rows, numeric=(1, 2, 3)))
    return "".join(parts)


def _ci(interval: tuple[float | None, float | None]) -> str:
    low, high = interval
    return f"{'' if low is None else f'{low:g}'} - {'NR' if high is None else f'{high:g}'}"


def _header(run: dict[str, Any]) -> str:
    counts = run.get("counts", {})
    rows = [
        ("patients read", counts.get("read")),
        ("evaluated", counts.get("evaluated")),
        ("failed (error column)", counts.get("failed")),
    ]
    reasons = list(run.get("failure_reasons", {}).items())[:10]
    failures = _table(["why (most frequent)", "patients"], reasons, numeric=(1,)) if reasons else ""
    meta = (
        f"Input: {html.escape(str(run.get('input', {}).get('path', '')))} ({html.escape(str(run.get('input', {}).get('kind', '')))}) · "
        f"knowledge base {html.escape(str(run.get('kb', {}).get('version', '')))} (sha256 {html.escape(str(run.get('kb', {}).get('sha256', ''))[:12])}) · "
        f"her2gc {html.escape(str(run.get('package_version', '')))} · region {html.escape(str(run.get('options', {}).get('region') or 'from the cases'))}"
    )
    unmapped = run.get("unmapped_columns", [])
    unmapped_note = (
        f"<p class=note>Clinical columns not mapped to case fields ({len(unmapped)}): {html.escape(', '.join(unmapped))}</p>"
        if unmapped
        else ""
    )
    return f"<h1>Cohort summary</h1><p class=meta>{meta}</p><div class=counts>{_table(['', 'n'], rows, numeric=(1,))}</div>{failures}{unmapped_note}"


def render_summary(outdir: Path, run: dict[str, Any] | None = None) -> str:
    """The page's HTML for the run in ``outdir`` (``run``: its run.json, when not yet written).

    The figures are drawn by worker processes, forked before the database is opened,
    while the page is assembled (:mod:`her2gc.cohort.figures`)."""
    with Figures(min(available_cores(), 2)) as figures:
        run, con = _load(outdir, run)
        try:
            labels = _endpoint_labels(run)
            body = "".join(
                [
                    _header(run),
                    _her2_section(con, figures),
                    _options_section(con, figures),
                    _oncoprint_section(con, figures),
                    _coalteration_section(con),
                    _ctdna_section(con, figures),
                    _survival_section(con, labels, figures),
                ]
            )
        finally:
            con.close()
        body = figures.fill(body)
    foot = "<p class=note>Decision support only: the treating team decides. Model predictions are the lowest evidence tier.</p>"
    return f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>her2gc cohort summary</title><style>{CSS}</style></head><body>{body}{foot}</body></html>\n"


def _endpoint_labels(run: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = run.get("endpoints", {})
    return labels


def write_summary(outdir: Path, target: Path, run: dict[str, Any] | None = None) -> None:
    """Write ``summary.html`` for the run in ``outdir`` to ``target`` (atomically)."""
    write_atomic(target, render_summary(outdir, run).encode("utf-8"))
