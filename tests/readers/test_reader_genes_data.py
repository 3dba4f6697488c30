"""genes.yaml, hotspots.yaml and the source ids they cite."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import yaml

from her2gc.kb.yamlio import DATA_DIR
from her2gc.readers import read_maf
from support import genomics, kb

SUPPRESSORS = {"PTEN", "CDKN2A", "TP53", "SMAD4", "APC", "ARID1A", "CDH1", "RB1", "NF1", "STK11", "ATM"}


def _source_ids() -> set[str]:
    ids: set[str] = set()
    for path in DATA_DIR.glob("sources*.yaml"):
        ids.update(entry["id"] for entry in yaml.safe_load(path.read_text()) or [])
    return ids


def test_genes_are_unique_and_sourced() -> None:
    genes = [g.model_dump(mode="json") for g in kb().genes.values()]
    spellings = Counter(s.upper() for g in genes for s in [g["symbol"], *g["aliases"]])
    assert [s for s, n in spellings.items() if n > 1] == []
    sources = _source_ids()
    for gene in genes:
        assert set(gene["sources"]) <= sources, gene["symbol"]
        for build in ("grch37", "grch38"):
            span = gene.get(build)
            assert span is None or 0 < span["start"] < span["end"], (gene["symbol"], build)
    spanned = {g["symbol"] for g in genes if g.get("grch37") and g.get("grch38")}
    assert {"ERBB2", "MET", "EGFR", "FGFR2", "CCNE1", "CDK6", "KRAS", "PTEN", "PIK3CA", "CDKN2A"} <= spanned
    roles = {g["symbol"]: g["role"] for g in genes}
    assert all(roles[s] == "tumour_suppressor" for s in SUPPRESSORS)
    assert roles["ERBB2"] == roles["MET"] == roles["PIK3CA"] == "oncogene"


def test_hotspot_genes_are_known_and_sourced() -> None:
    known = {g["symbol"] for g in [g.model_dump(mode="json") for g in kb().genes.values()]}
    sources = _source_ids()
    for entry in yaml.safe_load((DATA_DIR / "hotspots.yaml").read_text()):
        assert entry["gene"] in known
        assert set(entry["sources"]) <= sources, entry["gene"]


def test_grch37_spans_contain_every_tcga_mutation_of_the_gene(tcga: Path) -> None:
    """Every TCGA STAD (GRCh37) mutation of a knowledge-base gene lies inside its genes.yaml span."""
    import pyarrow.csv as pcsv

    table = pcsv.read_csv(
        tcga / "data_mutations.txt.gz",
        parse_options=pcsv.ParseOptions(delimiter="\t"),
        convert_options=pcsv.ConvertOptions(
            include_columns=["Hugo_Symbol", "Chromosome", "Start_Position", "End_Position"],
            column_types={"Chromosome": "string"},
        ),
    )
    from her2gc.readers.result import normalise_genes

    genes = normalise_genes(table.column("Hugo_Symbol"), genomics())
    checked = 0
    for span in genomics().gene_spans("GRCh37"):
        rows = table.filter(pc.equal(genes, span.symbol))
        if rows.num_rows == 0:
            continue
        checked += 1
        assert set(rows.column("Chromosome").to_pylist()) == {span.chrom}, span.symbol
        assert pc.min(rows.column("Start_Position")).as_py() >= span.start, span.symbol
        assert pc.max(rows.column("End_Position")).as_py() <= span.end, span.symbol
    assert checked >= 70  # nearly every gene is mutated somewhere in 393 tumours


def test_old_symbols_of_firehose_maf_are_normalised(tcga: Path) -> None:
    result = read_maf(tcga / "data_mutations.txt.gz", genomics())
    genes = set(pc.unique(result.table.column("gene")).to_pylist())
    assert "KMT2D" in genes and "MLL2" not in genes  # HGNC previous symbol
