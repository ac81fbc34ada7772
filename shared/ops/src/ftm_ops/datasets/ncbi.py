"""NCBI disease corpus: PubTator text, per abstract a `PMID|t|title` line, a `PMID|a|abstract`
line, then one tab-separated line per mention (PMID, start, end, text, label, concept ids)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ftm_ops.datasets import arrow
from ftm_ops.datasets.source import Dataset, DatasetError, Source, Tables, read_text

OUTPUT = "medical/ncbi_disease.parquet"
SPLIT_FILES = {
    "train": "original-data/train/NCBItrainset_corpus.txt",
    "dev": "original-data/devel/NCBIdevelopset_corpus.txt",
    "test": "original-data/test/NCBItestset_corpus.txt",
}
MENTION_FIELDS = 6

LICENCE_TEXT = """\
PUBLIC DOMAIN NOTICE

This work is a "United States Government Work" under the terms of the
United States Copyright Act. It was written as part of the authors'
official duties as a United States Government employee and thus cannot
be copyrighted within the United States. The data is freely available
to the public for use. The National Library of Medicine and the
U.S. Government have not placed any restriction on its use or
reproduction.

Although all reasonable efforts have been taken to ensure the accuracy
and reliability of the data and its source code, the NLM and the
U.S. Government do not and cannot warrant the performance or results
that may be obtained by using it. The NLM and the U.S. Government
disclaim all warranties, express or implied, including warranties of
performance, merchantability or fitness for any particular purpose.

Please cite the authors in any work or product based on this material:

An improved corpus of disease mentions in PubMed citations
http://aclweb.org/anthology-new/W/W12/W12-2411.pdf

NCBI Disease Corpus: A Resource for Disease Name Recognition and
Normalization http://www.ncbi.nlm.nih.gov/pubmed/24393765

Disease Name Normalization with Pairwise Learning to Rank
http://www.ncbi.nlm.nih.gov/pubmed/23969135
"""

SOURCE = Source(
    name="ncbi",
    title="NCBI disease corpus",
    repository="spyysalo/ncbi-disease",
    commit="5a266c6fc76fb2b5184cfa397ff0a5ecdb133aec",
    paths=("/original-data/LICENSE", *(f"/{path}" for path in SPLIT_FILES.values())),
    outputs=(OUTPUT,),
    licence="Public domain (NLM PUBLIC DOMAIN NOTICE: a United States Government Work)",
    licence_url="https://github.com/spyysalo/ncbi-disease/blob/master/original-data/LICENSE",
    citation=(
        "Doğan, Leaman, Lu: NCBI disease corpus: a resource for disease name recognition and "
        "concept normalization. J Biomed Inform 2014."
    ),
    changes="title and abstract joined with one space; a PMID present twice kept once",
    expected={"rows": 792, "mentions": 6_881},
    licence_text=LICENCE_TEXT,
)


def _documents(path: Path, split: str) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        head = line.split("|", 2)
        if len(head) == 3 and head[1] == "t":
            documents.append({"doc_id": head[0], "split": split, "title": head[2], "text": head[2]})
            documents[-1]["entities"] = []
        elif len(head) == 3 and head[1] == "a" and documents:
            documents[-1]["text"] += " " + head[2]
        else:
            fields = line.split("\t")
            if len(fields) != MENTION_FIELDS or not documents:
                raise DatasetError(f"{path} line {number}: not a title, abstract or mention line")
            _, start, end, text, label, db_id = fields
            documents[-1]["entities"].append(arrow.entity(int(start), int(end), label, text, db_id))
    for document in documents:
        document["entities"].sort(key=lambda m: (m["start"], m["end"]))
    return documents


def normalise(checkout: Path) -> Tables:
    rows, seen = [], set()
    for split, name in SPLIT_FILES.items():
        for document in _documents(checkout / name, split):
            if document["doc_id"] not in seen:
                seen.add(document["doc_id"])
                rows.append(document)
    return {OUTPUT: arrow.table(rows, arrow.ABSTRACTS)}


def counts(tables: Tables) -> dict[str, int]:
    abstracts = tables[OUTPUT]
    return {
        "rows": abstracts.num_rows,
        "mentions": sum(len(m) for m in abstracts["entities"].to_pylist()),
    }


DATASET = Dataset(SOURCE, normalise, counts)
