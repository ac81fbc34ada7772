from __future__ import annotations

import pytest

from ftm_shared.config import SettingsError
from model_tester.config import ModelTesterSettings
from model_tester.remote import docker_command, remote_image

pytestmark = pytest.mark.unit
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ftm/model-tester:test"


def test_one_settings_class_holds_the_remote_box_too() -> None:
    settings = ModelTesterSettings(s3_bucket="bucket", remote_image=IMAGE)
    assert remote_image(settings) == IMAGE
    command = docker_command(settings, ["test", "--sample-index", "0"])
    assert command.endswith(f"--entrypoint python {IMAGE} -m model_tester test --sample-index 0")


def test_the_remote_image_is_named_when_a_remote_command_needs_it() -> None:
    settings = ModelTesterSettings(s3_bucket="bucket")  # enough for every local command
    with pytest.raises(SettingsError, match="REMOTE_IMAGE: missing — The model-tester image"):
        remote_image(settings)
