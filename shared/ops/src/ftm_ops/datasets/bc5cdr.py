"""BioCreative V CDR: BioC XML, one `<document>` per PubMed abstract with title and abstract
`<passage>`s (document offsets), `<annotation>`s (type, MeSH id, location) and document-level
chemical-induced-disease `<relation>`s."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from ftm_ops.datasets import arrow
from ftm_ops.datasets.source import Dataset, DatasetError, Source, Tables, read_text

OUTPUT = "medical/bc5cdr.parquet"
FOLDER = "CDR_Data/CDR.Corpus.v010516"
SPLIT_FILES = {
    "train": "CDR_TrainingSet.BioC.xml",
    "dev": "CDR_DevelopmentSet.BioC.xml",
    "test": "CDR_TestSet.BioC.xml",
}
# The parts of a composite mention, which the PubTator release leaves out too.
PART_OF_COMPOSITE = "IndividualMention"

SOURCE = Source(
    name="bc5cdr",
    title="BioCreative V CDR corpus (chemicals, diseases, chemical-induced-disease relations)",
    repository="cryptoradon/biomedRelExt",
    # The initial commit: later ones replace the BioC files with Git LFS pointers.
    commit="c3f40f6f28da6c2f227f487bd3c46a78215a2b2f",
    paths=("/CDR_Data/README.txt", *(f"/{FOLDER}/{name}" for name in SPLIT_FILES.values())),
    outputs=(OUTPUT,),
    licence="Public domain (NCBI PUBLIC DOMAIN NOTICE: a United States Government Work)",
    licence_url="https://www.ncbi.nlm.nih.gov/home/about/policies/",
    citation=(
        "Wei et al.: Assessing the state of the art in biomedical relation extraction: overview "
        "of the BioCreative V chemical-disease relation (CDR) task. Database 2016. "
        "Li et al.: BioCreative V CDR task corpus: a resource for chemical disease relation "
        "extraction. Database 2016."
    ),
    changes="title and abstract joined with one space; annotations as character spans",
    expected={"rows": 1_500, "mentions": 28_785, "relations": 3_116},
)


def _infons(element: ET.Element) -> dict[str, str]:
    return {infon.get("key", ""): infon.text or "" for infon in element.findall("infon")}


def _mention(annotation: ET.Element) -> dict[str, Any] | None:
    infons = _infons(annotation)
    if infons.get("CompositeRole") == PART_OF_COMPOSITE:
        return None
    locations = [
        (int(loc.get("offset", "0")), int(loc.get("length", "0")))
        for loc in annotation.findall("location")
    ]
    start = min(offset for offset, _ in locations)
    end = max(offset + length for offset, length in locations)
    return arrow.entity(
        start, end, infons.get("type", ""), annotation.findtext("text") or "", infons.get("MESH")
    )


def _document(document: ET.Element, split: str) -> dict[str, Any]:
    text, title, mentions = "", None, []
    for passage in document.findall("passage"):
        offset = int(passage.findtext("offset") or "0")
        passage_text = passage.findtext("text") or ""
        # Offsets are into the whole document: passages sit where their offset puts them.
        text = text.ljust(offset) + passage_text
        title = passage_text if title is None else title
        mentions += [m for a in passage.findall("annotation") if (m := _mention(a)) is not None]
    relations = [
        {
            "type": infons.get("relation"),
            "chemical": infons.get("Chemical"),
            "disease": infons.get("Disease"),
        }
        for infons in map(_infons, document.findall("relation"))
    ]
    return {
        "doc_id": document.findtext("id"),
        "split": split,
        "title": title or "",
        "text": text,
        "entities": sorted(mentions, key=lambda m: (m["start"], m["end"])),
        "relations": relations,
    }


def normalise(checkout: Path) -> Tables:
    rows = []
    for split, name in SPLIT_FILES.items():
        path = checkout / FOLDER / name
        try:
            # A pinned public release; ElementTree resolves no external entities.
            collection = ET.fromstring(read_text(path))  # noqa: S314
        except ET.ParseError as error:
            raise DatasetError(f"{path} is not valid BioC XML: {error}") from None
        rows += [_document(document, split) for document in collection.iter("document")]
    return {OUTPUT: arrow.table(rows, arrow.BC5CDR_ABSTRACTS)}


def counts(tables: Tables) -> dict[str, int]:
    abstracts = tables[OUTPUT]
    return {
        "rows": abstracts.num_rows,
        "mentions": sum(len(m) for m in abstracts["entities"].to_pylist()),
        "relations": sum(len(r) for r in abstracts["relations"].to_pylist()),
    }


DATASET = Dataset(SOURCE, normalise, counts)
