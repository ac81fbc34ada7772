"""The projection of a quarter's hours and GPU cost (`ftm_ops.quarter.projection`)."""

from __future__ import annotations

import pytest

from ftm_ops.quarter.projection import (
    ProjectionSettings,
    approved,
    crossover,
    describe,
    project,
    table,
    vcpus_to_keep_up,
)

pytestmark = pytest.mark.unit

# Round numbers: 1,000 firms, 5 topics each, one request per topic, 2 s a request, 4 s of CPU
# per firm, shards of 100 firms on 8 vCPUs, Batch room for 80 vCPUs, no start-up.
SETTINGS = ProjectionSettings(
    projection_firms=1000,
    topics_per_firm=5,
    requests_per_topic=1,
    vllm_request_latency_s=2,
    cpu_s_per_firm=4,
    map_shard_firms=100,
    llm_max_concurrent=10,
    vllm_concurrency_per_instance=20,
    batch_max_vcpus=80,
    map_job_vcpus=8,
    startup_minutes=0,
    worker_startup_s=0,
    gpu_hourly_usd=1.0,
)


def test_naming_time_falls_in_proportion_to_the_fleet() -> None:
    one, two = project(SETTINGS, 1), project(SETTINGS, 2)
    # 5,000 requests x 2 s / 20 in flight = 500 s; twice the fleet, twice the shards, half that.
    assert (one.shards_in_flight, one.requests_in_flight) == (2, 20)
    assert one.naming_h == pytest.approx(500 / 3600)
    assert two.naming_h == pytest.approx(one.naming_h / 2)
    assert one.cpu_h == pytest.approx(1000 * 4 / (2 * 8) / 3600)
    assert one.limit == "naming (GPUs)"
    assert one.gpu_hours == pytest.approx(one.hours) and two.gpu_hours == pytest.approx(
        2 * two.hours
    )


def test_more_gpus_stop_helping_where_batch_runs_no_more_shards() -> None:
    five = project(SETTINGS, 5)  # 10 shards fit the fleet, Batch fits 10 map jobs
    eight = project(SETTINGS, 8)
    assert five.shards_in_flight == eight.shards_in_flight == 10
    assert eight.naming_h == pytest.approx(five.naming_h)
    assert eight.limit.startswith("naming, shards in flight held by")
    assert crossover(SETTINGS) == 6
    assert eight.cost_usd > five.cost_usd


def test_cpu_becomes_the_limit_when_a_firm_costs_more_cpu_than_naming() -> None:
    heavy = SETTINGS.model_copy(update={"cpu_s_per_firm": 100.0})
    assert project(heavy, 1).limit == "embedding + topics (CPUs)"
    assert crossover(heavy) == 1


def test_worker_start_up_is_paid_once_per_wave_of_shard_jobs_not_per_firm() -> None:
    started = SETTINGS.model_copy(update={"worker_startup_s": 36.0})
    one = project(started, 1)  # 10 shards, 2 in flight: 5 waves
    assert one.cpu_h == pytest.approx(project(SETTINGS, 1).cpu_h + 5 * 36 / 3600)
    more_firms = project(started, 1, firms=2000)  # twice the firms, twice the shards
    assert more_firms.cpu_h == pytest.approx(2 * one.cpu_h)


def test_batch_vcpus_that_keep_the_gpus_busy() -> None:
    # One GPU: 20 slots / 10 per shard = 2 jobs of 8 vCPUs; naming 20 / (2 s x 5) = 2 firms/s
    # needs 8 CPU-s/s at 4 CPU-s a firm, fewer than the 16 that fill the slots.
    assert vcpus_to_keep_up(SETTINGS, 1) == 16
    heavy = SETTINGS.model_copy(update={"cpu_s_per_firm": 40.0})
    assert vcpus_to_keep_up(heavy, 1) == 80 and vcpus_to_keep_up(heavy, 2) == 160


def test_the_table_has_a_row_per_fleet() -> None:
    rows = table(SETTINGS, (1, 4)).splitlines()
    assert rows[0].startswith("| GPUs |") and len(rows) == 4
    assert rows[2].startswith("| 1 | 2/10 | 20 |") and rows[2].endswith("| 16 |")


def test_above_the_limit_the_run_asks_before_anything_scales_up() -> None:
    asked: list[str] = []
    lines: list[str] = []
    cheap = SETTINGS.model_copy(update={"cost_confirm_above_usd": 1000.0})
    assert approved(cheap, 1000, lines.append, lambda q: asked.append(q) or False)
    assert not asked and "projected: 1000 firms in 10 shard(s)" in lines[0]
    dear = SETTINGS.model_copy(update={"cost_confirm_above_usd": 0.01})
    assert not approved(dear, 1000, lines.append, lambda q: asked.append(q) or False)
    assert "above COST_CONFIRM_ABOVE_USD ($0.01)" in asked[0]
    assert approved(dear, 1000, lines.append, lambda _q: True)
    assert describe(project(SETTINGS, 1), 1000).endswith(f"~${project(SETTINGS, 1).cost_usd:.2f}")
