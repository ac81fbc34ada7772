"""Each firm's call procedure: map writes it as the firm's topic -1 (the sentences it set
aside: operator lines, greetings, disclaimers, hand-offs, logistics). It is not a topic, so it
is never clustered into a theme; it is counted, per firm, in the reduce report."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reduce_worker.inputs import QuarterTopics

PROCEDURE_TOPIC_ID = -1


def set_aside(topics: QuarterTopics) -> tuple[QuarterTopics, pa.Table]:
    """The content topics (same order, their centroids) and the procedure rows apart."""
    procedural = pc.less(topics.rows["topic_id"], 0)
    mask = np.asarray(procedural.to_numpy(zero_copy_only=False), dtype=bool)
    content = QuarterTopics(topics.rows.filter(pc.invert(procedural)), topics.unit[~mask])
    return content, topics.rows.filter(procedural)


def procedure_counts(rows: pa.Table) -> dict[str, object]:
    """Sentences set aside, in total and per firm (firms with none are absent)."""
    by_firm = {
        str(firm): int(count)
        for firm, count in zip(rows["firm_id"].to_pylist(), rows["n_docs"].to_pylist(), strict=True)
    }
    return {"sentences": sum(by_firm.values()), "firms": len(by_firm), "by_firm": by_firm}
