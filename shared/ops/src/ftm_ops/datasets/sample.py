"""The sample committed in the repository (`shared/sample-data`), cut from the full sets: enough
for `make smoke` (MAEC 2017Q1 and 2017Q2), the tests and the model-tester demo, under 2 MB.

Each cut keeps whole firms, calls or abstracts and the source's row order, and takes the first
ones by the order the tools use (`ftm ingest --firms N` keeps the first N firm ids), so a run
on the sample sees the same firms, calls and examples as the same run on the full sets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ftm_ops.datasets import arrow, bc5cdr, earnings21, glaucoma, maec, ncbi
from ftm_ops.datasets.notices import write_notices

FIRMS_PER_QUARTER = 50
EARNINGS21_CALLS = 4
ABSTRACTS_PER_SPLIT = {"train": 40, "dev": 10, "test": 25}
SUBSET = (
    f"a sample: the first {FIRMS_PER_QUARTER} firms of each quarter (MAEC), "
    f"{EARNINGS21_CALLS} calls (Earnings-21), the first {ABSTRACTS_PER_SPLIT['train']}/"
    f"{ABSTRACTS_PER_SPLIT['dev']}/{ABSTRACTS_PER_SPLIT['test']} train/dev/test abstracts "
    "(BC5CDR, NCBI), all glaucoma segments; `ftm data fetch` builds the full files."
)


def first_firms(sentences: pa.Table) -> pa.Table:
    """All sentences of the first firms by id, in each quarter."""
    keep = pa.array([False] * sentences.num_rows)
    for quarter in pc.unique(sentences["quarter"]).to_pylist():
        in_quarter = pc.equal(sentences["quarter"], quarter)
        firms = sorted(pc.unique(sentences.filter(in_quarter)["firm_id"]).to_pylist())
        chosen = pc.is_in(sentences["firm_id"], pa.array(firms[:FIRMS_PER_QUARTER]))
        keep = pc.or_(keep, pc.and_(in_quarter, chosen))
    return sentences.filter(keep)


def first_calls(turns: pa.Table) -> pa.Table:
    calls = pc.unique(turns["call_id"]).to_pylist()[:EARNINGS21_CALLS]
    return turns.filter(pc.is_in(turns["call_id"], pa.array(calls)))


def first_abstracts(abstracts: pa.Table) -> pa.Table:
    seen = dict.fromkeys(ABSTRACTS_PER_SPLIT, 0)
    keep = []
    for split in abstracts["split"].to_pylist():
        keep.append(seen[split] < ABSTRACTS_PER_SPLIT[split])
        seen[split] += 1
    return abstracts.filter(pa.array(keep))


def everything(table: pa.Table) -> pa.Table:
    return table


CUTS: dict[str, Callable[[pa.Table], pa.Table]] = {
    maec.OUTPUT: first_firms,
    earnings21.OUTPUT: first_calls,
    bc5cdr.OUTPUT: first_abstracts,
    ncbi.OUTPUT: first_abstracts,
    # All segments: the demo adapter then trains and scores as it does on the full sets.
    glaucoma.SEGMENTS_OUTPUT: everything,
}


def cut_sample(full: Path, target: Path) -> dict[str, int]:
    """Write the sample of every file to `target` with its notices; rows per file."""
    rows = {}
    for relative, cut in CUTS.items():
        sample = cut(pq.read_table(full / relative))
        arrow.write(sample, target / relative)
        rows[relative] = sample.num_rows
    write_notices(target, SUBSET)
    return rows
