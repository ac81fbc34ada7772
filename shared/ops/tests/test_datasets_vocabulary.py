from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ftm_ops.datasets.vocabulary import SOURCE, call_texts, common_stems, vocabulary_file
from ftm_shared.config import local_paths
from ftm_shared.data import DataNotFoundError, data_location, earnings_call_file
from ftm_shared.llm.support import CALL_WORDS_FILE


@pytest.mark.unit
def test_common_stems_are_those_enough_calls_use() -> None:
    calls = ["Revenue grew.", "Revenues grow; a pandemic.", "Margin fell.", "revenue"]
    assert common_stems(calls, share=0.5) == ["revenu"]
    assert "pandem" in common_stems(calls, share=0.25)


@pytest.mark.unit
def test_only_the_chosen_years_calls_are_read(tmp_path: Path) -> None:
    path = tmp_path / "calls.parquet"
    pq.write_table(
        pa.table(
            {
                "call_id": ["a", "a", "b", "c"],
                "quarter": ["2015Q2", "2015Q2", "2016Q4", "2017Q1"],
                "text": ["Revenue grew.", "Margin fell.", "Costs rose.", "Held out."],
            }
        ),
        path,
    )
    assert call_texts(path) == ["Revenue grew. Margin fell.", "Costs rose."]


@pytest.mark.integration
def test_the_shipped_call_language_is_what_the_data_builds() -> None:
    try:
        source = earnings_call_file(SOURCE)
    except DataNotFoundError:
        # The bundled sample has no 2015-2016 calls; full data without them is a broken setup.
        if local_paths().ftm_require_data and not data_location().is_sample:
            raise
        pytest.skip(f"{SOURCE} is not here (the bundled sample): `ftm data fetch` builds it")
    assert CALL_WORDS_FILE.read_text(encoding="utf-8") == vocabulary_file(source), (
        "call_words.txt is stale: run `ftm data vocabulary`"
    )
