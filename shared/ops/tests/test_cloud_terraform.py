"""Where `ftm cloud deploy` and the terraform tests look for a local AWS provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftm_ops.cloud.terraform import AWS_PROVIDER, find_plugin_dir, platform_dir_name


def plugin_dir_with_provider(root: Path) -> Path:
    binary = root / AWS_PROVIDER / "5.100.0" / platform_dir_name() / "terraform-provider-aws_v5"
    binary.parent.mkdir(parents=True)
    binary.write_bytes(b"")
    return root


@pytest.mark.unit
def test_the_first_candidate_holding_the_provider_is_used(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    other_platform = tmp_path / "other"
    (other_platform / AWS_PROVIDER / "5.100.0" / "plan9_mips").mkdir(parents=True)
    holding = plugin_dir_with_provider(tmp_path / "holding")
    candidates = (str(tmp_path / "absent"), str(empty), str(other_platform), str(holding))
    assert find_plugin_dir(None, candidates) == holding


@pytest.mark.unit
def test_a_configured_directory_wins_and_none_found_means_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holding = plugin_dir_with_provider(tmp_path / "holding")
    configured = tmp_path / "configured"
    assert find_plugin_dir(configured, (str(holding),)) == configured
    monkeypatch.delenv("FTM_TEST_UNSET_ROOT", raising=False)
    assert find_plugin_dir(None, ("${FTM_TEST_UNSET_ROOT}/plugins", "relative/plugins")) is None


@pytest.mark.unit
def test_candidates_expand_the_home_directory_and_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    in_data_home = plugin_dir_with_provider(tmp_path / "data" / "terraform" / "plugins")
    assert find_plugin_dir(None) == in_data_home
    in_home = plugin_dir_with_provider(tmp_path / ".terraform.d" / "plugins")
    assert find_plugin_dir(None) == in_home
