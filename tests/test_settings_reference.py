"""docs/settings.md is generated from the settings classes by docs/settings_reference.py: the
page must be what the code gives now, and every setting must say what it is."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "docs" / "settings_reference.py"
OUR_PACKAGES = (
    "ftm_shared",
    "ftm_local",
    "ftm_ops",
    "map_worker",
    "reduce_worker",
    "model_tester",
    "vllm_server",
    "ftm_expectations",
)


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("settings_reference", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_the_settings_page_is_what_the_code_generates(reference: ModuleType) -> None:
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page == reference.render(), (
        "docs/settings.md differs from the settings classes: run `nox -s docs` "
        "(or `python docs/settings_reference.py`) and commit the page"
    )


def test_every_setting_has_a_description(reference: ModuleType) -> None:
    assert reference.missing_descriptions(reference.settings_classes()) == []


def test_a_setting_without_a_description_is_named(reference: ModuleType) -> None:
    class Undocumented(BaseSettings):
        said: int = Field(1, description="Says what it is")
        unsaid: int = 2

    assert reference.missing_descriptions([Undocumented]) == [
        f"{__name__}.{Undocumented.__qualname__}.unsaid"
    ]


def test_every_settings_class_of_ours_is_on_the_page(reference: ModuleType) -> None:
    """The generator finds the classes by reading the sources; every one that Python knows of
    (those it imported, and any other module of ours loaded in this process) is among them."""
    documented = set(reference.settings_classes())

    def subclasses(cls: type[BaseSettings]) -> list[type[BaseSettings]]:
        found: list[type[BaseSettings]] = []
        for sub in cls.__subclasses__():
            found += [sub, *subclasses(sub)]
        return found

    ours = {
        cls
        for cls in subclasses(BaseSettings)
        if cls.__module__.split(".")[0] in OUR_PACKAGES and cls.__module__ in sys.modules
    }
    assert ours, "no settings class of ours was imported"
    assert ours <= documented, sorted(c.__qualname__ for c in ours - documented)
    names = {cls.__qualname__ for cls in documented}
    assert {"FtmSettings", "MapWorkerSettings", "ReduceWorkerSettings", "GxSettings"} <= names
