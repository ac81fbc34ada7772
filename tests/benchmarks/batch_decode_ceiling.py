"""How much a batching LLM server could gain on this CPU: llama.cpp forward-pass throughput for
B tokens at once (logits for each, as B sequences decoding together need) vs one at a time.

    uv run python tests/benchmarks/batch_decode_ceiling.py
"""

from __future__ import annotations

import time

from llama_cpp import Llama

from ftm_ops.local.llm_server import CONTEXT_TOKENS
from ftm_shared.models import local_llm_gguf

PROMPT = "Name this topic of an earnings call. Keywords: revenue, margin, growth. " * 20
TOKENS_PER_SIZE = 320


def tokens_per_second(llm: Llama, prompt: list[int], batch: int) -> float:
    llm.reset()  # type: ignore[no-untyped-call]
    llm.eval(prompt)
    steps = TOKENS_PER_SIZE // batch
    started = time.perf_counter()
    for _ in range(steps):
        llm.eval(prompt[:batch])
    return steps * batch / (time.perf_counter() - started)


def main() -> None:
    llm = Llama(
        model_path=str(local_llm_gguf()),
        n_ctx=CONTEXT_TOKENS,
        n_threads=2,
        logits_all=True,
        verbose=False,
    )
    prompt = llm.tokenize(PROMPT.encode())[:300]
    tokens_per_second(llm, prompt, 1)  # warm-up
    one = tokens_per_second(llm, prompt, 1)
    print(f"B=1: {one:.1f} tokens/s")
    for batch in (2, 4, 8, 16):
        rate = tokens_per_second(llm, prompt, batch)
        print(f"B={batch}: {rate:.1f} tokens/s ({rate / one:.2f}x)")


if __name__ == "__main__":
    main()
