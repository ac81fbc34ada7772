"""Read a quarter's raw transcripts back from the store and describe them."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow.compute as pc

from ftm_shared import layout, schemas
from ftm_shared.storage import ObjectNotFoundError, ObjectStore


@dataclass(frozen=True)
class RawSummary:
    quarter: str
    objects: list[str]
    n_rows: int
    n_calls: int
    n_firms: int
    docs_per_firm_min: int
    docs_per_firm_median: float
    docs_per_firm_max: int
    first_call: str | None
    last_call: str | None
    firms_with_name: int
    rows_with_speaker: int

    def lines(self) -> list[str]:
        return [
            f"quarter {self.quarter}: {len(self.objects)} object(s) under "
            f"{layout.raw_transcripts_prefix(self.quarter)}",
            f"  rows {self.n_rows:,}   calls {self.n_calls}   firms {self.n_firms}",
            f"  documents per firm: min {self.docs_per_firm_min}, median "
            f"{self.docs_per_firm_median:.0f}, max {self.docs_per_firm_max}",
            f"  call dates: {self.first_call or 'unknown'} .. {self.last_call or 'unknown'}",
            f"  firms with a name: {self.firms_with_name}/{self.n_firms}   "
            f"rows with a speaker: {self.rows_with_speaker:,}/{self.n_rows:,}",
        ]


def summarise_raw(store: ObjectStore, quarter: str) -> RawSummary:
    prefix = layout.raw_transcripts_prefix(quarter)
    objects = store.parquet_keys(prefix)
    if not objects:
        raise ObjectNotFoundError(store.uri(prefix) + " (run `ftm ingest` first)")
    table = store.read_parquet_prefix(prefix, schemas.RAW_TRANSCRIPTS)
    per_firm = table.group_by("firm_id").aggregate([("text", "count")])["text_count"]
    dates = table["earnings_call_date"]
    named = table.group_by("firm_id").aggregate([("firm_name", "count")])["firm_name_count"]
    min_date, max_date = pc.min(dates).as_py(), pc.max(dates).as_py()
    return RawSummary(
        quarter=quarter,
        objects=objects,
        n_rows=table.num_rows,
        n_calls=pc.count_distinct(table["call_id"]).as_py(),
        n_firms=len(per_firm),
        docs_per_firm_min=pc.min(per_firm).as_py(),
        docs_per_firm_median=float(pc.approximate_median(per_firm).as_py()),
        docs_per_firm_max=pc.max(per_firm).as_py(),
        first_call=str(min_date) if min_date else None,
        last_call=str(max_date) if max_date else None,
        firms_with_name=int(pc.sum(pc.greater(named, 0)).as_py() or 0),
        rows_with_speaker=table.num_rows - table["speaker"].null_count,
    )
