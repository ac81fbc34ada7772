from __future__ import annotations

import pytest

from ftm_shared.llm.support import call_words, defines_name, restates_name, unsupported_words
from ftm_shared.text import stems

pytestmark = pytest.mark.unit

SOURCES = ["Labor costs rose as we carried more staff in our distribution centers."]


def test_stems_join_inflections_and_split_hyphenated_words() -> None:
    assert stems("carried carry") == ["carri", "carri"]
    assert stems("cloud-based sustainability sustainable") == [
        "cloud",
        "base",
        "sustain",
        "sustain",
    ]
    assert stems("the company's") == ["the", "compani"]


def test_common_call_language_holds_paraphrase_words_and_not_priors() -> None:
    common = call_words()
    assert {"describ", "driver", "impact", "financi", "compani"} <= common
    assert not {"pandem", "insolv", "satur"} & common


def test_a_word_neither_the_sources_nor_call_language_use_is_unsupported() -> None:
    text = "Staffing costs rose in the midst of a pandemic, the firms describe."
    assert unsupported_words(text, SOURCES) == ["pandemic"]
    assert unsupported_words("The company carries more staff.", SOURCES) == []


def test_a_source_supports_a_rare_word() -> None:
    assert unsupported_words("Insolvency risk", ["The insolvent subsidiary"]) == []


@pytest.mark.parametrize(
    ("name", "summary", "defining"),
    [
        ("Net income", "Net income is the net income of the company after expenses.", True),
        ("Tax rate", "Tax rate is a measure of how much tax a company pays.", True),
        ("Image manager", "Image manager refers to a cloud service.", True),
        ("Store efficiency", "Store efficiency is improving as stores are remodelled.", False),
        ("Tax rate", "The tax rate is expected at 35% next year.", False),
    ],
)
def test_a_summary_defining_its_name_is_found(name: str, summary: str, defining: bool) -> None:
    assert defines_name(name, summary) is defining


@pytest.mark.parametrize(
    ("name", "summary", "restates"),
    [
        ("The end of this quarter's quarter", "The end of this quarter's quarter.", True),
        ("Tax rates", "Tax rate.", True),
        ("Tax rates", "Firms expect lower tax rates next year.", False),
    ],
)
def test_a_summary_saying_only_its_name_is_found(name: str, summary: str, restates: bool) -> None:
    assert restates_name(name, summary) is restates
