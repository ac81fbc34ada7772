"""What the logs say about one execution: vLLM's requests, and the jobs' waits on vLLM.

Both are CloudWatch Logs filters over the execution's time window, with quoted-phrase
patterns (the form both CloudWatch and moto understand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# vLLM's access log line: `... "POST /v1/chat/completions HTTP/1.1" 200 OK`.
CHAT_COMPLETIONS = "POST /v1/chat/completions"
# The LLM client's shared recovery wait (ftm_shared.llm.health): each of its lines has one.
RECOVERY_PHRASES = ("unhealthy, waiting", "recovered after", "did not recover")


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class LogWindow:
    """The log events of an execution: from its start to its stop."""

    logs: Any
    start: datetime
    stop: datetime

    def matching(self, group: str, phrase: str) -> list[dict[str, Any]]:
        pages = self.logs.get_paginator("filter_log_events").paginate(
            logGroupName=group,
            startTime=_millis(self.start),
            endTime=_millis(self.stop),
            filterPattern=f'"{phrase}"',
        )
        return [event for page in pages for event in page["events"]]

    def chat_completions(self, vllm_group: str) -> int:
        return len(self.matching(vllm_group, CHAT_COMPLETIONS))

    def recovery_lines(self, jobs_group: str) -> list[str]:
        """Every recovery-wait line of the jobs, in time order, each once."""
        events = {
            event["eventId"]: event
            for phrase in RECOVERY_PHRASES
            for event in self.matching(jobs_group, phrase)
        }
        ordered = sorted(events.values(), key=lambda event: (event["timestamp"], event["eventId"]))
        return [f"{event['logStreamName']}: {event['message'].rstrip()}" for event in ordered]
