"""`reduce-worker run` end to end: real map-worker output, the moto server, the real LLM."""

from __future__ import annotations

import asyncio
import itertools
import re
from functools import partial

import pyarrow as pa
import pytest

from ftm_local.cloud import LocalCloud
from ftm_local.published import mapped_run
from ftm_local.testing import run_module
from ftm_shared import layout, runs, schemas
from ftm_shared.config import load_settings
from ftm_shared.llm import StructuredOutputError
from ftm_shared.llm.accept import AnswerRejectedError
from ftm_shared.plan import Plan
from ftm_shared.runs import ShardProgress
from ftm_shared.storage import ObjectStore
from reduce_worker import runner
from reduce_worker.config import ReduceWorkerSettings
from reduce_worker.naming import ThemeLabel
from reduce_worker.outputs import RUN_ID_METADATA
from reduce_worker.runner import ReduceRun

pytestmark = pytest.mark.integration

reduce_worker = partial(run_module, "reduce_worker")
# Tighter than the default (0.7, without the common direction): fewer themes of the fixture
# keep the LLM time short.
THRESHOLD = "0.5"


def put_fixture(
    store: ObjectStore, rows: pa.Table, settings: dict[str, object] | None = None
) -> Plan:
    """A mapped run of the real firm topics, in two shards."""
    return mapped_run(store, "2017Q1", [rows.slice(0, 30), rows.slice(30)], settings=settings)


def test_themes_of_real_firm_topics_fit_the_contract(
    pipeline_env: LocalCloud,
    store: ObjectStore,
    real_firm_topics: pa.Table,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THEME_DISTANCE_THRESHOLD", THRESHOLD)
    plan = put_fixture(store, real_firm_topics)
    result = reduce_worker("run", "--quarter", "2017Q1", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr

    themes = store.read_parquet(layout.themes_key("2017Q1"))
    contributions = store.read_parquet(layout.theme_contributions_key("2017Q1"))
    assert themes.schema.equals(schemas.THEMES, check_metadata=False)
    assert contributions.schema.equals(schemas.THEME_CONTRIBUTIONS, check_metadata=False)
    run_id = themes.schema.metadata[RUN_ID_METADATA.encode()]
    assert run_id == plan.run_id.encode()
    assert contributions.schema.metadata[RUN_ID_METADATA.encode()] == run_id
    # The run's own pair, and the contract paths holding the run as the quarter's current one.
    assert store.read_parquet(layout.run_themes_key("2017Q1", plan.run_id)).equals(themes)
    published = store.read_parquet(layout.published_firm_topics_key("2017Q1"))
    assert published.num_rows == real_firm_topics.num_rows
    assert published.schema.metadata[RUN_ID_METADATA.encode()] == run_id
    assert runs.current_run(store, "2017Q1") == plan.run_id
    assert runs.read_manifest(store, "2017Q1", plan.run_id)["state"] == runs.REDUCED

    rows = themes.to_pandas()
    assert len(rows) >= 2  # 11 firms: two themes share two subject words
    assert rows.theme_id.map(re.compile(r"^theme_2017Q1_\d{3}$").match).all()
    assert rows.theme_id.tolist() == sorted(rows.theme_id)
    assert rows.n_topics.is_monotonic_decreasing and (rows.n_firms >= 2).all()
    # Natural language: words separated by spaces, not an underscore-joined keyword string.
    assert rows.description.str.split().str.len().ge(4).all()
    assert not rows.description.str.contains("_").any()
    assert rows.keywords.map(len).gt(0).all()

    members = contributions.to_pandas()
    per_theme = members.groupby("theme_id").agg(
        n_topics=("topic_id", "size"), n_firms=("firm_id", "nunique")
    )
    assert per_theme.to_dict("index") == rows.set_index("theme_id")[
        ["n_topics", "n_firms"]
    ].to_dict("index")
    assert not members.duplicated(["firm_id", "topic_id"]).any()
    fixture_keys = set(
        zip(
            real_firm_topics["firm_id"].to_pylist(),
            real_firm_topics["topic_id"].to_pylist(),
            strict=True,
        )
    )
    assert set(zip(members.firm_id, members.topic_id, strict=True)) <= fixture_keys
    assert members.similarity.between(0.5, 1.0001).all()

    report = store.read_json(layout.run_reduce_report_key("2017Q1", plan.run_id))
    assert report["status"] == "ok" and report["run_id"] == run_id.decode()
    counted = ("in_themes", "firm_specific", "filler", "unassigned")
    assert sum(report[part] for part in counted) == len(real_firm_topics)
    assert report["settings"]["theme_distance_threshold"] == float(THRESHOLD)
    assert f"themes          {len(rows)} ({len(members)} topics)" in result.stdout
    assert f"named: {len(rows)}/{len(rows)}" in result.stderr

    # The first quarter registered seeds the registry: one stable id per theme.
    assignments = store.read_parquet(layout.THEME_ASSIGNMENTS_KEY).to_pandas()
    assert sorted(assignments.theme_id) == sorted(rows.theme_id)
    assert set(assignments.decision) == {"seeded"} and set(assignments.run_id) == {plan.run_id}
    stable = store.read_parquet(layout.STABLE_THEMES_KEY).to_pandas()
    assert sorted(stable.name) == sorted(rows.name) and (stable.first_seen == "2017Q1").all()
    assert f"stable ids      {len(rows)} seeded; {len(rows)} stable theme(s)" in result.stdout

    again = reduce_worker("run", "--quarter", "2017Q1")
    assert again.returncode == 0, again.stderr
    assert "(reduced before: nothing recomputed)" in again.stdout
    assert store.read_parquet(layout.themes_key("2017Q1")).equals(themes)
    # Registered already: the registry is not written again.
    head = store.read_json(layout.REGISTRY_HEAD_KEY)
    assert head["version"] == 1
    anew = reduce_worker("register", "--quarter", "2017Q1", "--again")
    assert anew.returncode == 0, anew.stderr
    # Its own stable themes, matched again: each theme continues the one it created.
    assert f"{len(rows)} continued; {len(rows)} stable theme(s)" in anew.stdout, anew.stdout
    reassigned = store.read_parquet(layout.THEME_ASSIGNMENTS_KEY).to_pandas()
    assert dict(zip(reassigned.theme_id, reassigned.stable_theme_id, strict=True)) == dict(
        zip(assignments.theme_id, assignments.stable_theme_id, strict=True)
    )


def test_a_corrupt_part_is_named_and_nothing_is_written(
    pipeline_env: LocalCloud, store: ObjectStore, real_firm_topics: pa.Table
) -> None:
    plan = put_fixture(store, real_firm_topics)
    progress = ShardProgress.load(store, "2017Q1", plan.run_id, "00001")
    key = progress.next_part_key()
    store.put_bytes(key, b"PAR1 truncated")
    progress.parts.append(key)
    progress.save(store)
    result = reduce_worker("run", "--quarter", "2017Q1")
    assert result.returncode == 2
    assert f"{key} is not a readable Parquet" in result.stderr
    assert "Traceback" not in result.stderr
    assert not store.exists(layout.themes_key("2017Q1"))


def test_no_mapped_run_is_one_clear_error(pipeline_env: LocalCloud, store: ObjectStore) -> None:
    result = reduce_worker("run", "--quarter", "2017Q2")
    assert result.returncode == 2
    assert "quarter 2017Q2 has no run whose map finished" in result.stderr


def no_answer_for(keywords: list[str]) -> StructuredOutputError:
    return StructuredOutputError("invalid_json", 3, "ThemeLabel", '{"name": ', str(keywords))


def test_a_theme_the_llm_gives_no_answer_for_fails_the_run_and_keeps_the_old_outputs(
    pipeline_env: LocalCloud,
    store: ObjectStore,
    real_firm_topics: pa.Table,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = put_fixture(store, real_firm_topics)
    old = schemas.THEMES.empty_table()
    store.write_parquet(layout.themes_key("2017Q1"), old)

    async def fail_the_first(client, topics, keywords, per_prompt, contrast=(), fit=None):  # type: ignore[no-untyped-def]
        if list(keywords) == found.themes[0].keywords:
            raise no_answer_for(list(keywords))
        return ThemeLabel(name="A fine theme", description="Firms said similar things.")

    monkeypatch.setattr(runner, "name_theme", fail_the_first)
    settings = load_settings(ReduceWorkerSettings, theme_distance_threshold=0.5)
    run = ReduceRun(settings, "2017Q1", store)
    topics = runner.read_firm_topics(store, plan)
    found = runner.find_themes(topics, settings, "2017Q1")

    summary = asyncio.run(run.run())
    assert [f.theme_id for f in summary.failures] == ["theme_2017Q1_001"]
    assert summary.failures[0].error_type == "StructuredOutputError"
    assert summary.outputs == []
    assert store.read_parquet(layout.themes_key("2017Q1")).num_rows == 0
    assert not store.exists(layout.theme_contributions_key("2017Q1"))
    report = store.read_json(layout.run_reduce_report_key("2017Q1", plan.run_id))
    assert report["status"] == "failed"
    assert runs.read_manifest(store, "2017Q1", plan.run_id)["state"] == runs.REDUCE_FAILED
    assert "was not valid JSON" in report["failures"][0]["message"]


@pytest.mark.parametrize(
    ("plan_settings", "failure"),
    [
        pytest.param({}, AnswerRejectedError("the name fits theme 3 better"), id="rejected"),
        pytest.param({"keyword_fallback": True}, None, id="no-answer-fallback-allowed"),
    ],
)
def test_a_theme_no_answer_fits_is_named_by_its_keyword_phrases(
    pipeline_env: LocalCloud,
    store: ObjectStore,
    real_firm_topics: pa.Table,
    monkeypatch: pytest.MonkeyPatch,
    plan_settings: dict[str, bool],
    failure: Exception | None,
) -> None:
    plan = put_fixture(store, real_firm_topics, plan_settings)
    settings = load_settings(ReduceWorkerSettings, theme_distance_threshold=0.5)
    topics = runner.read_firm_topics(store, plan)
    first = runner.find_themes(topics, settings, "2017Q1").themes[0]

    async def fail_the_first(client, topics, keywords, per_prompt, contrast=(), fit=None):  # type: ignore[no-untyped-def]
        if list(keywords) == first.keywords:
            raise failure or no_answer_for(list(keywords))
        return ThemeLabel(name="A fine theme", description="Firms said similar things.")

    monkeypatch.setattr(runner, "name_theme", fail_the_first)
    summary = asyncio.run(ReduceRun(settings, "2017Q1", store).run())

    assert not summary.failures
    assert summary.fallbacks == [first.theme_id]
    themes = store.read_parquet(layout.themes_key("2017Q1")).to_pylist()
    by_method = {t["theme_id"]: t for t in themes if t["naming_method"] == "keyword_fallback"}
    assert list(by_method) == [first.theme_id]
    name = by_method[first.theme_id]["name"]
    assert name.split(",")[0].strip().lower() in {k.lower() for k in first.keywords}
    assert "named by its keywords" in by_method[first.theme_id]["description"]
    assert {t["naming_method"] for t in themes} == {"llm", "keyword_fallback"}
    report = store.read_json(layout.run_reduce_report_key("2017Q1", plan.run_id))
    assert report["status"] == "ok" and report["fallbacks"] == [first.theme_id]


def put_sentences(store: ObjectStore, plan: Plan, rows: pa.Table) -> dict[str, int]:
    """Sentence topics for the fixture's shards, as map writes them beside each part: each
    firm's topics' `n_docs` sentences, and one sentence in no topic (-2); return each firm's
    substantive sentence count."""
    substantive: dict[str, int] = {}
    place = itertools.count()  # a firm may span both shards: its sentences' places differ
    for shard in plan.shards:
        progress = ShardProgress.load(store, "2017Q1", plan.run_id, shard.shard)
        part = store.read_parquet(progress.parts[0]).to_pylist()
        sentences: list[dict[str, object]] = []
        for topic in [
            *part,
            *({"firm_id": t["firm_id"], "topic_id": -2, "n_docs": 1} for t in part),
        ]:
            for n in range(topic["n_docs"]):
                sentences.append(
                    {
                        "firm_id": topic["firm_id"],
                        "call_id": f"{topic['firm_id']}-call",
                        "quarter": "2017Q1",
                        "para_idx": next(place),
                        "sentence_idx": 0,
                        "topic_id": topic["topic_id"],
                        "text": f"Sentence {n} of topic {topic['topic_id']} about pricing.",
                    }
                )
                if topic["topic_id"] != -1:
                    substantive[topic["firm_id"]] = substantive.get(topic["firm_id"], 0) + 1
        table = pa.Table.from_pylist(sentences, schema=schemas.SENTENCE_TOPICS)
        store.write_parquet(progress.sentence_part_key(0), table)
    return substantive


def test_the_exposure_panel_is_written_and_published_with_the_themes(
    pipeline_env: LocalCloud,
    store: ObjectStore,
    real_firm_topics: pa.Table,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = put_fixture(store, real_firm_topics)
    substantive = put_sentences(store, plan, real_firm_topics)

    async def named(client, topics, keywords, per_prompt, contrast=(), fit=None):  # type: ignore[no-untyped-def]
        return ThemeLabel(name="A fine theme", description="Firms said similar things.")

    monkeypatch.setattr(runner, "name_theme", named)
    settings = load_settings(ReduceWorkerSettings, theme_distance_threshold=0.5)
    summary = asyncio.run(ReduceRun(settings, "2017Q1", store).run())
    assert not summary.failures
    panel = store.read_parquet(layout.exposure_key("2017Q1"))
    assert panel.schema.metadata[RUN_ID_METADATA.encode()] == plan.run_id.encode()
    assert store.read_parquet(layout.run_exposure_key("2017Q1", plan.run_id)).equals(panel)
    assert panel.schema.equals(schemas.FIRM_THEME_EXPOSURE, check_metadata=False)
    assert summary.exposure["rows"] == panel.num_rows > 0
    rows = panel.to_pandas()
    contributions = store.read_parquet(layout.theme_contributions_key("2017Q1")).to_pandas()
    assert set(rows.theme_id) <= set(contributions.theme_id)
    topics = real_firm_topics.to_pandas().set_index(["firm_id", "topic_id"])
    for row in rows.itertuples():
        members = contributions[
            (contributions.firm_id == row.firm_id) & (contributions.theme_id == row.theme_id)
        ]
        expected = sum(topics.loc[(row.firm_id, t), "n_docs"] for t in members.topic_id)
        assert row.n_sentences == expected
        assert row.exposure == pytest.approx(expected / substantive[row.firm_id])
    assert rows.groupby("call_id").exposure.sum().max() < 1  # each call has a -2 sentence
