"""The sample committed in `shared/sample-data`: what `ftm data sample` cuts, small, with the
normalised files' schemas, and every file's licence beside it."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ftm_ops.datasets import arrow, bc5cdr, earnings21, glaucoma, maec, ncbi
from ftm_ops.datasets.sample import CUTS, FIRMS_PER_QUARTER, cut_sample
from ftm_shared.data import bundled_sample

pytestmark = pytest.mark.unit

MAX_BYTES = 2 * 1024 * 1024
SCHEMAS = {
    maec.OUTPUT: arrow.MAEC_SENTENCES,
    earnings21.OUTPUT: arrow.EARNINGS21_TURNS,
    bc5cdr.OUTPUT: arrow.BC5CDR_ABSTRACTS,
    ncbi.OUTPUT: arrow.ABSTRACTS,
    glaucoma.SEGMENTS_OUTPUT: arrow.GLAUCOMA_SEGMENTS,
}


@pytest.fixture(scope="module")
def sample() -> Path:
    found = bundled_sample()
    assert found is not None, "the repository's shared/sample-data is missing"
    return found


def test_the_sample_is_what_ftm_data_sample_cuts(sample: Path, tmp_path: Path) -> None:
    # Cutting is idempotent, so cutting the committed sample again must give it back unchanged.
    rows = cut_sample(sample, tmp_path)
    for relative in CUTS:
        assert pq.read_table(tmp_path / relative).equals(pq.read_table(sample / relative))
        assert rows[relative] > 0
    for notice in tmp_path.rglob("*.md"):
        assert notice.read_text() == (sample / notice.relative_to(tmp_path)).read_text()


def test_the_sample_is_small_and_has_the_normalised_schemas(sample: Path) -> None:
    assert sum(p.stat().st_size for p in sample.rglob("*") if p.is_file()) <= MAX_BYTES
    for relative, schema in SCHEMAS.items():
        assert pq.read_schema(sample / relative).remove_metadata().equals(schema), relative


def test_both_quarters_have_enough_firms_for_the_smoke_run(sample: Path) -> None:
    sentences = pq.read_table(sample / maec.OUTPUT, columns=["quarter", "firm_id"]).to_pylist()
    for quarter in ("2017Q1", "2017Q2"):
        firms = {row["firm_id"] for row in sentences if row["quarter"] == quarter}
        assert len(firms) == FIRMS_PER_QUARTER, quarter


def test_the_same_firms_hold_calls_in_both_quarters(sample: Path) -> None:
    # A panel over 2017Q1..2017Q2 (themes and exposure that follow a firm) runs from a fresh
    # clone only if the sample keeps firms with a call in each quarter.
    sentences = pq.read_table(sample / maec.OUTPUT, columns=["quarter", "firm_id"]).to_pylist()
    q1, q2 = ({r["firm_id"] for r in sentences if r["quarter"] == q} for q in ("2017Q1", "2017Q2"))
    assert len(q1 & q2) >= 8


def test_every_file_has_its_licence_and_attribution_beside_it(sample: Path) -> None:
    for group in ("earnings_calls", "medical"):
        notice = (sample / group / "NOTICE.md").read_text(encoding="utf-8")
        for parquet in (sample / group).glob("*.parquet"):
            assert f"`{parquet.name}`" in notice, parquet
    earnings = (sample / "earnings_calls" / "NOTICE.md").read_text(encoding="utf-8")
    assert earnings.count("CC BY-SA 4.0") == 2 and "Changes:" in earnings
    bsd = (sample / "medical" / "LICENSE.glaucoma.txt").read_text(encoding="utf-8")
    assert bsd.startswith("BSD 3-Clause License\n\nCopyright (c) 2022, jche253")
