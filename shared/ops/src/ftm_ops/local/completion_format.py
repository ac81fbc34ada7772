"""The local server's prompt format: the messages' text as is, for the model to continue.

Gemma 3 270M from the PyPI package is a base model and its GGUF has no chat template. Wrapped
in Gemma's chat turns (`...<start_of_turn>model\n`), it took the turn's last word for the
answer: a third of the topics of a 25-firm smoke run were named "Model". Our prompts end with
worked examples and an open `Answer:`, which a base model continues as the examples do.
Instruction-tuned servers (vLLM in the cloud) apply their own chat template instead.
"""

from __future__ import annotations

from typing import Any

from llama_cpp import llama_types
from llama_cpp.llama_chat_format import ChatFormatterResponse, register_chat_format

from ftm_ops.local.llm_server import CHAT_FORMAT


def continue_text(
    messages: list[llama_types.ChatCompletionRequestMessage], **_kwargs: Any
) -> ChatFormatterResponse:
    return ChatFormatterResponse(
        prompt="\n\n".join(str(message.get("content") or "") for message in messages)
    )


register_chat_format(CHAT_FORMAT)(continue_text)
