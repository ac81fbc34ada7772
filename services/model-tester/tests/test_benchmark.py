from __future__ import annotations

import pytest

from model_tester.benchmark import BatchResult, BenchmarkReport, batch_sizes, render

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("max_batch", "sizes"), [(1, [1]), (2, [1, 2]), (8, [1, 2, 4, 8]), (6, [1, 2, 4, 6])]
)
def test_batch_sizes_double_up_to_the_largest(max_batch: int, sizes: list[int]) -> None:
    assert batch_sizes(max_batch) == sizes


def test_the_report_names_the_adapter_and_the_batching_gain() -> None:
    results = [
        BatchResult(1, 4, 0.5, 0.6, 8.0, 2.0),
        BatchResult(2, 4, 0.6, 0.7, 13.0, 3.0),
    ]
    text = render(BenchmarkReport("20261120-120000", "cpu", 4, 4, results))
    assert text.splitlines()[0] == "adapter 20261120-120000 on cpu, 4 prompts, 4 new tokens each"
    assert text.endswith("batched vs one-by-one: 1.5x examples/s")
