"""OHSU glaucoma clinic notes: `Deidentified_Notes/<note_id>.txt`, and annotated segments of
them in `Annotations/Combined_annotations.jsonl` (doccano lines: `text` and `labels` as
`[start, end, label]`). The source masked the ids, so a segment's note is found by matching its
text (whitespace-insensitive) in the notes, in the order the segments come."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ftm_ops.datasets import arrow
from ftm_ops.datasets.source import Dataset, DatasetError, Source, Tables, read_text

NOTES_OUTPUT = "medical/glaucoma_notes.parquet"
SEGMENTS_OUTPUT = "medical/glaucoma_med_segments.parquet"
NOTES = "Deidentified_Notes"
ANNOTATIONS = "Annotations/Combined_annotations.jsonl"
# De-identification masked the ids (`"id": *****`) and, in a few lines, the character after a
# backslash (`\*`, an invalid JSON escape); dropping that backslash keeps lengths and offsets.
MASKED_ID = re.compile(r'^\{\s*"id"\s*:\s*[^,]*,')
MASKED_ESCAPE = re.compile(r"(?<!\\)\\\*")

LICENCE_TEXT = """\
BSD 3-Clause License

Copyright (c) 2022, jche253
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

SOURCE = Source(
    name="glaucoma",
    title="Glaucoma clinic notes with medication annotations (Casey Eye Institute, OHSU)",
    repository="jche253/Glaucoma_Med_Dataset",
    commit="15e67ea86ed0678425ec0948032f3fe9f77f30db",
    paths=("/LICENSE", f"/{NOTES}/*.txt", f"/{ANNOTATIONS}"),
    outputs=(NOTES_OUTPUT, SEGMENTS_OUTPUT),
    licence="BSD 3-Clause License, Copyright (c) 2022, jche253",
    licence_url="https://opensource.org/license/bsd-3-clause",
    citation="jche253/Glaucoma_Med_Dataset on GitHub (de-identified outpatient notes, 2019-2020).",
    changes=(
        "segments numbered by their line in the annotation file; each segment's note inferred "
        "by text matching; repaired masked JSON escapes"
    ),
    expected={"notes": 480, "segments": 5_520, "spans": 6_535},
    licence_text=LICENCE_TEXT,
)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def read_segments(path: Path) -> list[dict[str, Any]]:
    segments = []
    for number, line in enumerate(read_text(path).split("\n")):
        if not line.strip():
            continue
        repaired = MASKED_ESCAPE.sub("*", MASKED_ID.sub("{", line, count=1))
        try:
            record = json.loads(repaired)
        except json.JSONDecodeError as error:
            raise DatasetError(
                f"{path} line {number + 1}: not JSON even repaired: {error}"
            ) from None
        text = record["text"]
        spans = sorted((int(s), int(e), label) for s, e, label in record.get("labels", []))
        segments.append(
            {
                "seg_id": f"seg{number:05d}",
                "text": text,
                "entities": [arrow.entity(s, e, label, text[s:e]) for s, e, label in spans],
            }
        )
    return segments


def resolve_notes(texts: list[str], notes: dict[str, str]) -> list[str | None]:
    """Each segment's note: the note it continues (found after the previous segment), else the
    only note holding its text, else (for text several notes hold) the next segment's note."""
    keys = {note_id: _squash(text) for note_id, text in notes.items()}
    squashed = [_squash(text) for text in texts]
    holders = [{n for n, key in keys.items() if s in key} if s else set() for s in squashed]
    found: list[str | None] = []
    current, position = None, 0
    for index, text in enumerate(squashed):
        at = keys[current].find(text, position) if current is not None and text else -1
        if at < 0:
            candidates = holders[index]
            if len(candidates) != 1:
                upcoming = next((h for h in holders[index + 1 :] if len(h) == 1), set())
                candidates = candidates & upcoming
            current = next(iter(candidates), None)
            at = keys[current].find(text) if current is not None else 0
        found.append(current)
        position = at + len(text)
    return found


def _groups(note_ids: list[str | None]) -> list[str]:
    """The note id, or `unresolved:<previous note>|<next note>` to keep neighbours together."""
    groups, previous = [], ""
    for index, note_id in enumerate(note_ids):
        if note_id is not None:
            groups.append(note_id)
            previous = note_id
            continue
        following = next((n for n in note_ids[index + 1 :] if n is not None), "")
        groups.append(f"unresolved:{previous}|{following}")
    return groups


def normalise(checkout: Path) -> Tables:
    folder = checkout / NOTES
    if not folder.is_dir():
        raise DatasetError(f"{folder} is missing from the checkout")
    notes = {path.stem: read_text(path).rstrip("\r\n") for path in sorted(folder.glob("*.txt"))}
    segments = read_segments(checkout / ANNOTATIONS)
    note_ids = resolve_notes([segment["text"] for segment in segments], notes)
    for segment, note_id, group in zip(segments, note_ids, _groups(note_ids), strict=True):
        segment.update(note_id=note_id, group_id=group)
    note_rows = [{"note_id": note_id, "text": text} for note_id, text in notes.items()]
    return {
        NOTES_OUTPUT: arrow.table(note_rows, arrow.GLAUCOMA_NOTES),
        SEGMENTS_OUTPUT: arrow.table(segments, arrow.GLAUCOMA_SEGMENTS),
    }


def counts(tables: Tables) -> dict[str, int]:
    segments = tables[SEGMENTS_OUTPUT]
    return {
        "notes": tables[NOTES_OUTPUT].num_rows,
        "segments": segments.num_rows,
        "spans": sum(len(spans) for spans in segments["entities"].to_pylist()),
    }


DATASET = Dataset(SOURCE, normalise, counts)
