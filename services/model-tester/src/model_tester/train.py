"""A short LoRA fine-tune that teaches a base model the extraction answer format.

The recipe verified on this 2-core machine for Gemma 3 270M: 55 steps of batch 8, sequences
up to 128 tokens, loss only on the answer's tokens. Gemma's 262k-token vocabulary makes full
logits huge, so the output layer runs only at the positions the loss reads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ftm_shared.errors import InputError
from ftm_shared.progress import Progress
from model_tester.adapters import METADATA_FILE
from model_tester.base_model import LoadedModel
from model_tester.medical_data import Example, Task
from model_tester.prompts import PROMPT_VERSION, build_prompt, render_answer
from model_tester.provenance import git_commit, library_versions

log = logging.getLogger(__name__)
IGNORE = -100
ADAPTERS_DIR = "adapters"


@dataclass(frozen=True)
class Recipe:
    steps: int = 55
    batch_size: int = 8
    max_length: int = 128
    learning_rate: float = 5e-4
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    seed: int = 13


@dataclass(frozen=True)
class TrainResult:
    folder: Path
    losses: list[float]
    seconds: float
    examples_used: int
    examples_too_long: int
    cached: bool = field(default=False)


def recipe_key(recipe: Recipe, base_model: str, task: Task, examples: list[Example]) -> str:
    """Names a trained adapter by everything that shapes it: same key, same adapter."""
    digest = hashlib.sha256()
    digest.update(json.dumps([asdict(recipe), base_model, task.name, PROMPT_VERSION]).encode())
    for example in examples:
        digest.update(json.dumps([example.text, [asdict(e) for e in example.entities]]).encode())
    return digest.hexdigest()[:16]


def cached_adapter_dir(cache_dir: Path, key: str) -> Path:
    return cache_dir / ADAPTERS_DIR / key


def encode(
    tokenizer: Any, task: Task, examples: list[Example], max_length: int
) -> tuple[list[tuple[list[int], list[int]]], int]:
    """(input ids, labels) per example that fits `max_length` whole; and how many did not."""
    encoded, too_long = [], 0
    for example in examples:
        prompt = tokenizer(build_prompt(task, example.text)).input_ids
        answer = tokenizer(render_answer(example.entities), add_special_tokens=False).input_ids
        if len(prompt) + len(answer) > max_length:
            # A cut answer would teach the model to stop mid-list; such examples are left out.
            too_long += 1
            continue
        encoded.append((prompt + answer, [IGNORE] * len(prompt) + answer))
    return encoded, too_long


def _batch(rows: list[tuple[list[int], list[int]]], pad_id: int) -> tuple[Any, Any, Any]:
    import torch

    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, (row_ids, row_labels) in enumerate(rows):
        ids[row, : len(row_ids)] = torch.tensor(row_ids)
        labels[row, : len(row_labels)] = torch.tensor(row_labels)
        mask[row, : len(row_ids)] = 1
    return ids, labels, mask


def answer_loss(causal_lm: Any, ids: Any, labels: Any, mask: Any) -> Any:
    """Cross-entropy over answer tokens, running the output layer only at those positions."""
    import torch

    decoder = getattr(causal_lm, causal_lm.base_model_prefix)
    hidden = decoder(input_ids=ids, attention_mask=mask).last_hidden_state
    # Position t predicts token t+1.
    targets = labels[:, 1:]
    wanted = targets != IGNORE
    logits = causal_lm.get_output_embeddings()(hidden[:, :-1][wanted])
    softcap = getattr(causal_lm.config, "final_logit_softcapping", None)
    if softcap:
        logits = torch.tanh(logits / softcap) * softcap
    return torch.nn.functional.cross_entropy(logits.float(), targets[wanted])


def train_adapter(
    loaded: LoadedModel, task: Task, examples: list[Example], recipe: Recipe, output: Path
) -> TrainResult:
    """Fine-tune a fresh LoRA adapter on `examples` and save it (PEFT files) in `output`."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(recipe.seed)
    encoded, too_long = encode(loaded.tokenizer, task, examples, recipe.max_length)
    if not encoded:
        raise InputError(f"no training example fits {recipe.max_length} tokens")
    config = LoraConfig(
        r=recipe.rank,
        lora_alpha=recipe.alpha,
        lora_dropout=recipe.dropout,
        target_modules=list(recipe.target_modules),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(loaded.model, config)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=recipe.learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 1.0 - step / max(1, recipe.steps)
    )
    order = random.Random(recipe.seed)  # noqa: S311 (a reproducible shuffle, not a secret)
    pool: list[tuple[list[int], list[int]]] = []
    losses: list[float] = []
    progress = Progress("training steps", recipe.steps, log, every_s=20.0)
    started = time.perf_counter()
    for _step in range(recipe.steps):
        if len(pool) < recipe.batch_size:
            refill = list(encoded)
            order.shuffle(refill)
            pool.extend(refill)
        rows, pool = pool[: recipe.batch_size], pool[recipe.batch_size :]
        ids, labels, mask = (
            t.to(loaded.device) for t in _batch(rows, loaded.tokenizer.pad_token_id)
        )
        loss = answer_loss(model.get_base_model(), ids, labels, mask)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        progress.advance(note=f"loss {losses[-1]:.3f}")
    seconds = time.perf_counter() - started
    model.eval()
    model.save_pretrained(str(output))
    write_metadata(output, loaded, task, recipe, losses, seconds, len(encoded))
    # Detach the LoRA layers again: the caller's base model stays a base model.
    model.unload()
    return TrainResult(output, losses, seconds, len(encoded), too_long)


def write_metadata(
    folder: Path,
    loaded: LoadedModel,
    task: Task,
    recipe: Recipe,
    losses: list[float],
    seconds: float,
    examples_used: int,
) -> None:
    payload = {
        "base_model": loaded.name,
        "vocab_size": int(loaded.model.get_input_embeddings().num_embeddings),
        "task": task.name,
        "labels": list(task.label_set),
        "prompt_version": PROMPT_VERSION,
        "recipe": asdict(recipe),
        "train_examples": examples_used,
        "loss_first": round(losses[0], 4),
        "loss_last": round(losses[-1], 4),
        "train_seconds": round(seconds, 1),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": library_versions(),
        "git_commit": git_commit(),
    }
    (folder / METADATA_FILE).write_text(json.dumps(payload, indent=2), encoding="utf-8")


def train_cached(
    loaded: LoadedModel, task: Task, examples: list[Example], recipe: Recipe, cache_dir: Path
) -> TrainResult:
    """Train once per (recipe, base model, task, data); later calls return the cached adapter."""
    target = cached_adapter_dir(cache_dir, recipe_key(recipe, loaded.name, task, examples))
    if (target / METADATA_FILE).is_file():
        saved = json.loads((target / METADATA_FILE).read_text(encoding="utf-8"))
        log.info("using the cached adapter %s", target)
        return TrainResult(
            target, [saved["loss_first"], saved["loss_last"]], 0.0, saved["train_examples"], 0,
            cached=True,
        )  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        result = train_adapter(loaded, task, examples, recipe, staging)
        staging.replace(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return TrainResult(
        target, result.losses, result.seconds, result.examples_used, result.examples_too_long
    )
