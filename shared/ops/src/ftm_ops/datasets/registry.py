"""Every data set `ftm data fetch` knows, by the name `--dataset` takes."""

from __future__ import annotations

from ftm_ops.datasets import bc5cdr, earnings21, glaucoma, maec, ncbi
from ftm_ops.datasets.source import Dataset

DATASETS: dict[str, Dataset] = {
    module.DATASET.source.name: module.DATASET
    for module in (maec, earnings21, bc5cdr, ncbi, glaucoma)
}
