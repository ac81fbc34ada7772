from __future__ import annotations

import pytest

from ftm_shared.config import SettingsError, read_settings
from map_worker.config import MapWorkerSettings, NamingTuning, TopicTuning

pytestmark = pytest.mark.unit


@pytest.fixture
def required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_BUCKET", "bucket")
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("LLM_MODEL", "model")


def test_tuning_is_read_from_the_environment(
    required: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NAMING_TEMPERATURES", "[0.1, 0.5]")
    monkeypatch.setenv("TOPIC_MIN_SENTENCES", "30")
    settings = read_settings(MapWorkerSettings)
    assert settings.naming_temperatures == (0.1, 0.5)
    assert settings.topic_min_sentences == 30
    # The settings are the tuning the topic and naming code take.
    assert isinstance(settings, TopicTuning) and isinstance(settings, NamingTuning)


def test_a_bad_tuning_value_is_named(required: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOPIC_MIN_SIZE", "1")
    monkeypatch.setenv("NAMING_TEMPERATURES", "[]")
    with pytest.raises(SettingsError) as error:
        read_settings(MapWorkerSettings)
    message = str(error.value)
    assert "TOPIC_MIN_SIZE: Input should be greater than or equal to 2" in message
    assert "NAMING_TEMPERATURES: " in message
