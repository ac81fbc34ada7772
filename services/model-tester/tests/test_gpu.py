from __future__ import annotations

from pathlib import Path

import pytest
import torch

from model_tester.base_model import load_base_model
from model_tester.extraction import generate
from model_tester.medical_data import GLAUCOMA
from model_tester.prompts import build_prompt

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_auto_device_is_cuda_in_bf16_and_batches_match(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    loaded = load_base_model(str(tiny_model_dir), tmp_path, "auto")
    assert loaded.device == "cuda"
    assert next(loaded.model.parameters()).dtype == torch.bfloat16
    prompts = [build_prompt(GLAUCOMA, t) for t in ("Timolol qAM OU", "Cosopt BID OS")]
    batched = generate(loaded, prompts, batch_size=2, max_new_tokens=8)
    assert all(g.new_tokens >= 1 for g in batched)
