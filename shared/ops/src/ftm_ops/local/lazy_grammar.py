"""llama-cpp-python's server with lazy grammar sampling: `python -m ftm_ops.local.lazy_grammar`.

llama-cpp-python puts the JSON-schema grammar first in its sampler chain, so every generated
token checks all 262k tokens of Gemma's vocabulary against the grammar: about 40 ms a token on
this CPU, against 11 ms for the model itself. llama.cpp's own server samples first and checks
only the chosen token; the whole vocabulary is masked only when that token is rejected (a few
percent of tokens). Greedy answers are identical either way, since the unmasked argmax is the
masked argmax whenever the grammar accepts it. This module brings that order to
llama-cpp-python and registers the local prompt format (`completion_format`), then runs its
server unchanged.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import Llama
from llama_cpp._internals import LlamaContext, LlamaModel, LlamaSampler
from llama_cpp.llama_grammar import LlamaGrammar

from ftm_ops.local import completion_format  # noqa: F401 (registers the server's prompt format)


class LazyGrammarSampler:
    """Stands in for llama-cpp-python's `LlamaSampler` where a request carries a grammar."""

    def __init__(self, chain: LlamaSampler, model: LlamaModel, grammar: LlamaGrammar) -> None:
        self.chain = chain
        self.grammar = llama_cpp.llama_sampler_init_grammar(
            model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        self.n_vocab = model.n_vocab()
        self._candidates = (llama_cpp.llama_token_data * self.n_vocab)()
        self._view = np.ctypeslib.as_array(self._candidates)
        self._ids = np.arange(self.n_vocab, dtype=np.int32)
        self._one = (llama_cpp.llama_token_data * 1)()
        self.tokens = 0
        self.masked = 0

    def sample(self, ctx: LlamaContext, idx: int = -1) -> int:
        logits = np.ctypeslib.as_array(
            llama_cpp.llama_get_logits_ith(ctx.ctx, idx), shape=(self.n_vocab,)
        )
        self.tokens += 1
        token = self._pick(logits, masked=False)
        if not self._allowed(token):
            self.masked += 1
            token = self._pick(logits, masked=True)
        llama_cpp.llama_sampler_accept(self.grammar, token)
        self.chain.accept(token)
        return token

    def _pick(self, logits: np.ndarray, *, masked: bool) -> int:
        # The chain sorts and truncates the candidates in place: refill them every time.
        self._view["id"] = self._ids
        self._view["logit"] = logits
        self._view["p"] = 0.0
        candidates = llama_cpp.llama_token_data_array(self._candidates, self.n_vocab, -1, False)
        if masked:
            llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(candidates))
        llama_cpp.llama_sampler_apply(self.chain.sampler, ctypes.byref(candidates))
        return int(candidates.data[candidates.selected].id)

    def _allowed(self, token: int) -> bool:
        self._one[0] = llama_cpp.llama_token_data(token, 0.0, 0.0)
        single = llama_cpp.llama_token_data_array(self._one, 1, -1, False)
        llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(single))
        return not math.isinf(self._one[0].logit)

    def close(self) -> None:
        # The chain frees itself when collected, as in llama-cpp-python; the grammar is ours.
        if self.grammar is not None:
            llama_cpp.llama_sampler_free(self.grammar)
            self.grammar = None

    def __del__(self) -> None:
        self.close()


_grammar_first = Llama._init_sampler


def _init_sampler(self: Llama, **kwargs: Any) -> LlamaSampler | LazyGrammarSampler:
    grammar: LlamaGrammar | None = kwargs.pop("grammar", None)
    chain: LlamaSampler = _grammar_first(self, **kwargs)
    if grammar is None:
        return chain
    return LazyGrammarSampler(chain, self._model, grammar)


def install() -> None:
    """Make every `Llama` in this process sample grammars lazily."""
    Llama._init_sampler = _init_sampler  # type: ignore[assignment,method-assign]


def main() -> None:
    from llama_cpp.server.__main__ import main as serve

    install()
    serve()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
