"""The `ftm data fetch` normalisers on source trees in the real layouts: small hand-written ones
for each format's quirks, and trees written back from the bundled sample's rows, which must
normalise to exactly those rows."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ftm_ops.datasets import bc5cdr, earnings21, glaucoma, maec, ncbi
from ftm_ops.datasets.source import DatasetError
from ftm_shared.data import bundled_sample

pytestmark = pytest.mark.unit


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _sample_rows(relative: str) -> list[dict[str, Any]]:
    sample = bundled_sample()
    assert sample is not None, "the repository's shared/sample-data is missing"
    rows: list[dict[str, Any]] = pq.read_table(sample / relative).to_pylist()
    return rows


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return groups


# --- MAEC -----------------------------------------------------------------------------------


def _maec_labels(sentences: list[str], speakers: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Person", "Sentence"])
    writer.writerows(
        [speaker, sentence + "\n"] for speaker, sentence in zip(speakers, sentences, strict=True)
    )
    return out.getvalue()


def write_maec(root: Path, rows: list[dict[str, Any]]) -> None:
    for call_id, call in _by(rows, "call_id").items():
        texts = [row["text"] for row in call]
        _write(root / "MAEC_Dataset" / call_id / "text.txt", "\n".join(texts) + "\n")
        if call[0]["speaker"] is not None:
            labels = _maec_labels(texts, [row["speaker"] for row in call])
            _write(root / "MAEC_Dataset_Person_Label" / call_id / "text.csv", labels)


def test_maec_keeps_2017_h1_sentences_and_labels_that_line_up(tmp_path: Path) -> None:
    calls = tmp_path / "MAEC_Dataset"
    _write(calls / "20170117_CMA" / "text.txt", "Good morning, everyone\n\n  Turning to Slide 6 \n")
    _write(calls / "20170404_C" / "text.txt", "First.\nSecond.\n")
    _write(calls / "20161231_OLD" / "text.txt", "Too early.\n")
    _write(calls / "20170701_LATE" / "text.txt", "Too late.\n")
    labels = tmp_path / "MAEC_Dataset_Person_Label"
    _write(
        labels / "20170117_CMA" / "text.csv",
        _maec_labels(["Good morning, everyone", "Turning to Slide 6"], ["Person1", "Person0"]),
    )
    # A label file whose sentences differ is not used: speakers stay unknown.
    _write(labels / "20170404_C" / "text.csv", _maec_labels(["First.", "Other."], ["Person0"] * 2))

    rows = maec.DATASET.normalise(tmp_path)[maec.OUTPUT].to_pylist()

    assert [(r["call_id"], r["para_idx"], r["speaker"], r["text"]) for r in rows] == [
        ("20170117_CMA", 0, "Person1", "Good morning, everyone"),
        ("20170117_CMA", 1, "Person0", "Turning to Slide 6"),
        ("20170404_C", 0, None, "First."),
        ("20170404_C", 1, None, "Second."),
    ]
    assert {(r["firm_id"], r["call_date"], r["quarter"]) for r in rows} == {
        ("CMA", "2017-01-17", "2017Q1"),
        ("C", "2017-04-04", "2017Q2"),
    }


def test_maec_from_the_sample_rows_gives_the_sample_back(tmp_path: Path) -> None:
    rows = _sample_rows(maec.OUTPUT)
    write_maec(tmp_path, rows)
    tables = maec.DATASET.normalise(tmp_path)
    assert tables[maec.OUTPUT].to_pylist() == rows
    assert maec.DATASET.counts(tables) == {"rows": len(rows), "calls": 100, "firms": 84}


# --- Earnings-21 ----------------------------------------------------------------------------

NLP_HEADER = "token|speaker|ts|endTs|punctuation|case|tags|wer_tags"
METADATA_HEADER = "file_id,company_name,financial_quarter,sector\n"


def _tokens(turn: dict[str, Any]) -> list[str]:
    """The .nlp lines of one turn: a token ends where the word ends, or where a span ends."""
    text, lines, start = turn["text"], [], 0
    spans = [(e["start"], e["end"], e["label"]) for e in turn["entities"]]
    for word in text.split(" "):
        end = start + len(word)
        inside = [s_end for _, s_end, _ in spans if start < s_end <= end]
        stop = max(inside) if inside else start + len(word.rstrip(".,?!"))
        tags = [
            f"{number}:{label}"
            for number, (s, e, label) in enumerate(spans)
            if s < stop and e > start
        ]
        token = f"{text[start:stop]}|{turn['speaker_id']}|||{text[stop:end]}|LC|{tags!r}|[]"
        lines.append(token)
        start = end + 1
    return lines


def write_earnings21(root: Path, rows: list[dict[str, Any]]) -> None:
    folder = root / "earnings21"
    metadata = ["file_id,audio_length,sample_rate,company_name,financial_quarter,sector"]
    speakers = ["file_id,speaker_id,speaker_name"]
    for call_id, turns in _by(rows, "call_id").items():
        first = turns[0]
        metadata.append(
            f"{call_id},1.0,16000,{first['firm_name']},{first['fiscal_quarter']},{first['sector']}"
        )
        named = {t["speaker_id"]: t["speaker"] for t in turns}
        speakers += [f"{call_id},{i},{name}" for i, name in named.items()]
        tokens = [line for turn in turns for line in _tokens(turn)]
        _write(
            folder / "transcripts" / "nlp_references" / f"{call_id}.nlp",
            "\n".join([NLP_HEADER, *tokens]) + "\n",
        )
    _write(folder / "earnings21-file-metadata.csv", "\n".join(metadata) + "\n")
    _write(folder / "speaker-metadata.csv", "\n".join(speakers) + "\n")


def test_earnings21_turns_spans_and_fiscal_year(tmp_path: Path) -> None:
    folder = tmp_path / "earnings21"
    _write(
        folder / "earnings21-file-metadata.csv", METADATA_HEADER + "7,Monro Inc,3,Consumer Goods\n"
    )
    _write(folder / "speaker-metadata.csv", "file_id,speaker_id,speaker_name\n7,0,Operator\n")
    tokens = [
        "the|0||||LC|[]|[]", "third|0||||LC|[]|[]", "quarter|0||||LC|[]|[]",
        "Fiscal|0||||UC|[]|[]", "2020|0|||.|CA|['0:YEAR']|['1']",
        "we|1||||LC|['3:CONTRACTION']|[]", "will|1|||,|LC|['3:CONTRACTION']|[]",
        "press|1||||LC|[]|[]", "*|1||||LC|['9:FALLBACK']|[]", "0|1|||.|CA|['2:CARDINAL']|[]",
    ]  # fmt: skip
    _write(folder / "transcripts" / "nlp_references" / "7.nlp", "\n".join([NLP_HEADER, *tokens]))

    rows = earnings21.normalise(tmp_path)[earnings21.OUTPUT].to_pylist()

    assert [(r["para_idx"], r["speaker"], r["speaker_id"], r["text"]) for r in rows] == [
        (0, "Operator", 0, "the third quarter Fiscal 2020."),
        (1, "speaker_1", 1, "we will, press * 0."),
    ]
    assert [(e["label"], e["text"]) for e in rows[1]["entities"]] == [
        ("CONTRACTION", "we will"),
        ("FALLBACK", "*"),
        ("CARDINAL", "0"),
    ]
    assert rows[0]["entities"][0] | {"db_id": None} == {
        "start": 25, "end": 29, "label": "YEAR", "text": "2020", "db_id": None,
    }  # fmt: skip
    assert {(r["firm_id"], r["quarter"], r["fiscal_year"], r["sector"]) for r in rows} == {
        ("monro_inc", "2020Q3", 2020, "Consumer Goods")
    }


@pytest.mark.parametrize(
    ("opening", "quarter", "year"),
    [
        ("welcome to the third quarter fiscal 2020 call", 3, 2020),
        ("our Q2 2019 results", 2, 2019),
        ("fiscal 2021 first quarter results", 1, 2021),
        ("the second quarter of '20 was strong", 2, 2020),
        ("results for the quarter were strong in 2020", 2, None),
    ],
)
def test_fiscal_year_is_the_year_next_to_the_quarter(
    opening: str, quarter: int, year: int | None
) -> None:
    assert earnings21.fiscal_year(opening, quarter) == year


def test_earnings21_from_the_sample_rows_gives_the_sample_back(tmp_path: Path) -> None:
    rows = _sample_rows(earnings21.OUTPUT)
    write_earnings21(tmp_path, rows)
    assert earnings21.normalise(tmp_path)[earnings21.OUTPUT].to_pylist() == rows


def test_a_token_line_with_missing_fields_names_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "earnings21"
    _write(folder / "earnings21-file-metadata.csv", METADATA_HEADER + "7,X,1,Y\n")
    _write(folder / "speaker-metadata.csv", "file_id,speaker_id,speaker_name\n")
    _write(folder / "transcripts" / "nlp_references" / "7.nlp", f"{NLP_HEADER}\nok|0|\n")
    with pytest.raises(DatasetError, match=r"7\.nlp line 2: 3 fields, not 8"):
        earnings21.normalise(tmp_path)


# --- BC5CDR (BioC XML) ----------------------------------------------------------------------


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    child.text = text
    return child


def _annotation(passage: ET.Element, mention: dict[str, Any], role: str | None = None) -> None:
    annotation = _sub(passage, "annotation", id="0")
    if role:
        _sub(annotation, "infon", role, key="CompositeRole")
    _sub(annotation, "infon", mention["db_id"], key="MESH")
    _sub(annotation, "infon", mention["label"], key="type")
    length = str(mention["end"] - mention["start"])
    _sub(annotation, "location", offset=str(mention["start"]), length=length)
    _sub(annotation, "text", mention["text"])


def bioc(documents: list[dict[str, Any]], parts: dict[str, list[dict[str, Any]]]) -> str:
    collection = ET.Element("collection")
    _sub(collection, "source", "PubTator")
    for row in documents:
        document = _sub(collection, "document")
        _sub(document, "id", row["doc_id"])
        abstract_at = len(row["title"]) + 1
        for kind, offset, text in (
            ("title", 0, row["title"]),
            ("abstract", abstract_at, row["text"][abstract_at:]),
        ):
            passage = _sub(document, "passage")
            _sub(passage, "infon", kind, key="type")
            _sub(passage, "offset", str(offset))
            _sub(passage, "text", text)
            in_passage = [m for m in row["entities"] if (m["start"] >= abstract_at) == (offset > 0)]
            for mention in in_passage:
                _annotation(passage, mention)
                for part in parts.get(row["doc_id"], []) if mention is in_passage[0] else []:
                    _annotation(passage, part, "IndividualMention")
        for number, relation in enumerate(row["relations"]):
            element = _sub(document, "relation", id=f"R{number}")
            _sub(element, "infon", relation["type"], key="relation")
            _sub(element, "infon", relation["chemical"], key="Chemical")
            _sub(element, "infon", relation["disease"], key="Disease")
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(collection, encoding="unicode")


def write_bc5cdr(
    root: Path, rows: list[dict[str, Any]], parts: dict[str, Any] | None = None
) -> None:
    by_split = _by(rows, "split")
    for split, name in bc5cdr.SPLIT_FILES.items():
        _write(root / bc5cdr.FOLDER / name, bioc(by_split.get(split, []), parts or {}))


def test_bc5cdr_from_the_sample_rows_gives_the_sample_back_without_composite_parts(
    tmp_path: Path,
) -> None:
    rows = _sample_rows(bc5cdr.OUTPUT)
    first = rows[0]
    part = dict(first["entities"][0], text="part", db_id="D1")
    write_bc5cdr(tmp_path, rows, {first["doc_id"]: [part]})
    tables = bc5cdr.normalise(tmp_path)
    assert tables[bc5cdr.OUTPUT].to_pylist() == rows
    assert bc5cdr.counts(tables)["rows"] == len(rows)


def test_bioc_that_is_not_xml_names_the_file(tmp_path: Path) -> None:
    write_bc5cdr(tmp_path, [])
    _write(tmp_path / bc5cdr.FOLDER / bc5cdr.SPLIT_FILES["dev"], "<collection><document>")
    with pytest.raises(DatasetError, match=r"CDR_DevelopmentSet\.BioC\.xml is not valid BioC XML"):
        bc5cdr.normalise(tmp_path)


def test_a_git_lfs_pointer_instead_of_the_data_is_refused(tmp_path: Path) -> None:
    write_bc5cdr(tmp_path, [])
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:32d9\nsize 2666867\n"
    _write(tmp_path / bc5cdr.FOLDER / bc5cdr.SPLIT_FILES["test"], pointer)
    with pytest.raises(DatasetError, match="is a Git LFS pointer"):
        bc5cdr.normalise(tmp_path)


# --- NCBI disease (PubTator text) -----------------------------------------------------------


def pubtator(rows: list[dict[str, Any]]) -> str:
    blocks = []
    for row in rows:
        abstract = row["text"][len(row["title"]) + 1 :]
        lines = [f"{row['doc_id']}|t|{row['title']}", f"{row['doc_id']}|a|{abstract}"]
        lines += [
            f"{row['doc_id']}\t{m['start']}\t{m['end']}\t{m['text']}\t{m['label']}\t{m['db_id']}"
            for m in row["entities"]
        ]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def write_ncbi(root: Path, rows: list[dict[str, Any]]) -> None:
    by_split = _by(rows, "split")
    for split, name in ncbi.SPLIT_FILES.items():
        _write(root / name, pubtator(by_split.get(split, [])))


def test_ncbi_from_the_sample_rows_gives_the_sample_back_and_a_duplicate_once(
    tmp_path: Path,
) -> None:
    rows = _sample_rows(ncbi.OUTPUT)
    duplicate = dict(rows[0], split="test")  # the corpus holds one PMID twice
    write_ncbi(tmp_path, [*rows, duplicate])
    assert ncbi.normalise(tmp_path)[ncbi.OUTPUT].to_pylist() == rows


def test_a_pubtator_line_of_no_known_kind_names_file_and_line(tmp_path: Path) -> None:
    write_ncbi(tmp_path, [])
    _write(tmp_path / ncbi.SPLIT_FILES["train"], "1|t|Title\n1|a|Abstract\n1\t0\t5\tTitle\n")
    with pytest.raises(DatasetError, match=r"NCBItrainset_corpus\.txt line 3"):
        ncbi.normalise(tmp_path)


# --- Glaucoma notes (doccano JSONL with masked ids) -----------------------------------------


def test_glaucoma_segments_are_read_despite_the_masking(tmp_path: Path) -> None:
    note_a = "HPI: here for IOP check   Eye Meds:  Timolol qAM OU   Plan:  Continue"
    note_b = "Eye Meds:   Latanoprost qhs OU\nPlan:   cont drops"
    _write(tmp_path / "Deidentified_Notes" / "aaaa.txt", note_a + "\n")
    _write(tmp_path / "Deidentified_Notes" / "bbbb.txt", note_b)
    lines = [
        {"id": 1, "text": "HPI: here for IOP check", "labels": []},
        {"id": 2, "text": "Eye Meds:", "labels": [[0, 8, "DRUG USE"]]},
        {"id": 3, "text": "Timolol qAM OU", "labels": [[12, 14, "ROUTE"], [0, 7, "DRUG"]]},
        {"id": 4, "text": "Plan:", "labels": []},  # in both notes: the current one wins
        {"id": 5, "text": "Eye Meds:", "labels": []},  # in both: the next segment's note
        {"id": 6, "text": "Latanoprost qhs OU", "labels": [[0, 11, "***"]]},
        {"id": 7, "text": "Not in any note", "labels": []},
        {"id": 8, "text": "Plan:", "labels": []},  # no current note, no unique one after it
    ]
    raw = [json.dumps(line) for line in lines]
    raw[4] = raw[4].replace('"id": 5', '"id": *****')  # the source masked its ids
    raw[6] = raw[6].replace("any note", "any \\*ote")  # and a character after a backslash
    _write(tmp_path / glaucoma.ANNOTATIONS, "\n".join(raw) + "\n")

    tables = glaucoma.normalise(tmp_path)
    segments = tables[glaucoma.SEGMENTS_OUTPUT].to_pylist()

    assert [(s["seg_id"], s["note_id"], s["group_id"]) for s in segments] == [
        ("seg00000", "aaaa", "aaaa"),
        ("seg00001", "aaaa", "aaaa"),
        ("seg00002", "aaaa", "aaaa"),
        ("seg00003", "aaaa", "aaaa"),
        ("seg00004", "bbbb", "bbbb"),
        ("seg00005", "bbbb", "bbbb"),
        ("seg00006", None, "unresolved:bbbb|"),
        ("seg00007", None, "unresolved:bbbb|"),
    ]
    assert segments[6]["text"] == "Not in any *ote"
    assert [(e["label"], e["text"]) for e in segments[2]["entities"]] == [
        ("DRUG", "Timolol"),
        ("ROUTE", "OU"),
    ]
    assert tables[glaucoma.NOTES_OUTPUT].to_pylist() == [
        {"note_id": "aaaa", "text": note_a},
        {"note_id": "bbbb", "text": note_b},
    ]
    assert glaucoma.counts(tables) == {"notes": 2, "segments": 8, "spans": 4}


def test_glaucoma_sample_segments_keep_their_ids_text_and_spans(tmp_path: Path) -> None:
    rows = _sample_rows(glaucoma.SEGMENTS_OUTPUT)
    lines = ['{"id": *****, "text": "held out", "labels": []}'] * (int(rows[-1]["seg_id"][3:]) + 1)
    for row in rows:
        spans = [[e["start"], e["end"], e["label"]] for e in row["entities"]]
        lines[int(row["seg_id"][3:])] = json.dumps({"id": 1, "text": row["text"], "labels": spans})
    _write(tmp_path / glaucoma.ANNOTATIONS, "\n".join(lines) + "\n")
    _write(tmp_path / "Deidentified_Notes" / "note.txt", "held out")

    segments = {s["seg_id"]: s for s in glaucoma.read_segments(tmp_path / glaucoma.ANNOTATIONS)}

    for row in rows:
        assert (segments[row["seg_id"]]["text"], segments[row["seg_id"]]["entities"]) == (
            row["text"],
            row["entities"],
        )
