"""A checked paragraph table as the raw-transcripts contract (`schemas.RAW_TRANSCRIPTS`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from ftm_ops.ingest.checks import call_dates
from ftm_ops.ingest.source import Source
from ftm_shared import schemas


def to_contract(path: Path, frame: pd.DataFrame, metadata: pd.DataFrame) -> pa.Table:
    """Firm fields come from `metadata` (indexed by firm_id), the rest from `frame`."""
    known = metadata.reindex(frame["firm_id"])
    contract = pd.DataFrame(
        {
            "call_id": frame["call_id"].astype(str).to_numpy(),
            "firm_id": frame["firm_id"].astype(str).to_numpy(),
            "firm_name": known["firm_name"].to_numpy(),
            "permno": known["permno"].to_numpy(),
            "gvkey": known["gvkey"].to_numpy(),
            "earnings_call_date": call_dates(Source(path, path.stem, frame)).to_numpy(),
            "quarter": frame["quarter"].astype(str).to_numpy(),
            "para_idx": frame["para_idx"].astype("int32").to_numpy(),
            "speaker": frame["speaker"].to_numpy() if "speaker" in frame else None,
            "text": frame["text"].astype(str).to_numpy(),
        }
    ).sort_values(["firm_id", "call_id", "para_idx"], kind="stable")
    return pa.Table.from_pandas(contract, schema=schemas.RAW_TRANSCRIPTS, preserve_index=False)
