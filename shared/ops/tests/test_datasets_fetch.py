"""`ftm data fetch` against local git repositories (file://): the pinned commit, only the paths
read, the counts checked before writing, and clear errors naming the source."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ftm_ops.cli import main
from ftm_ops.datasets import arrow, git, maec, ncbi
from ftm_ops.datasets.fetch import fetch
from ftm_ops.datasets.registry import DATASETS
from ftm_ops.datasets.source import Dataset, DatasetError

pytestmark = pytest.mark.unit

CORPUS = (
    "1|t|Gene one.\n1|a|Causes Wilson disease.\n"
    "1\t17\t31\tWilson disease\tSpecificDisease\tD006527\n"
)


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    _git("add", "-A", cwd=repo)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message, cwd=repo)
    return _git("rev-parse", "HEAD", cwd=repo)


@pytest.fixture
def ncbi_repo(tmp_path: Path) -> tuple[Path, str]:
    """`<tmp>/repos/spyysalo/ncbi-disease`: the pinned commit, then a later one that changes it."""
    repo = tmp_path / "repos" / "spyysalo" / "ncbi-disease"
    repo.mkdir(parents=True)
    _git("init", "-q", cwd=repo)
    files = {name: CORPUS if split == "train" else "" for split, name in ncbi.SPLIT_FILES.items()}
    files |= {"original-data/LICENSE": "PUBLIC DOMAIN NOTICE\n", "big/media.bin": "x" * 1000}
    pinned = _commit(repo, files, "release")
    _commit(repo, {ncbi.SPLIT_FILES["train"]: "", "README.md": "later"}, "later")
    return repo, pinned


def _pinned(commit: str, **expected: int) -> Dataset:
    source = dataclasses.replace(ncbi.SOURCE, commit=commit, expected=expected)
    return dataclasses.replace(ncbi.DATASET, source=source)


def test_checkout_takes_the_pinned_commit_and_only_the_listed_paths(
    ncbi_repo: tuple[Path, str], tmp_path: Path
) -> None:
    repo, pinned = ncbi_repo
    # Patterns as the real sources use them (MAEC: `/MAEC_Dataset/2017*/text.txt`).
    paths = ("/original-data/LICENSE", "/original-data/tr*/*_corpus.txt")
    source = dataclasses.replace(_pinned(pinned).source, paths=paths)
    into = git.checkout(source, f"file://{repo}", tmp_path / "checkout")
    assert (into / ncbi.SPLIT_FILES["train"]).read_text(encoding="utf-8") == CORPUS
    assert (into / "original-data" / "LICENSE").is_file()
    assert not (into / ncbi.SPLIT_FILES["test"]).exists()
    assert not (into / "big").exists() and not (into / "README.md").exists()


def test_fetch_writes_the_normalised_file_when_the_counts_match(
    ncbi_repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, pinned = ncbi_repo
    monkeypatch.setenv("FTM_DATA_GIT_URL", f"file://{repo.parent.parent}")
    done = fetch(_pinned(pinned, rows=1, mentions=1), tmp_path / "data")
    assert done.files == [tmp_path / "data" / ncbi.OUTPUT]
    [row] = pq.read_table(done.files[0]).to_pylist()
    assert row["text"] == "Gene one. Causes Wilson disease."
    assert row["entities"][0]["text"] == row["text"][17:31] == "Wilson disease"


def test_counts_that_differ_from_the_release_write_nothing(
    ncbi_repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, pinned = ncbi_repo
    monkeypatch.setenv("FTM_DATA_GIT_URL", f"file://{repo.parent.parent}")
    with pytest.raises(DatasetError, match=r"ncbi: .*rows 1 \(expected 792\).*Nothing was written"):
        fetch(_pinned(pinned, rows=792, mentions=1), tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_a_failed_download_names_the_source_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTM_DATA_GIT_URL", f"file://{tmp_path / 'nothing-here'}")
    with pytest.raises(DatasetError) as failed:
        fetch(ncbi.DATASET, tmp_path / "data")
    message = str(failed.value)
    assert "could not download ncbi (NCBI disease corpus)" in message
    assert f"file://{tmp_path / 'nothing-here'}/spyysalo/ncbi-disease" in message
    assert ncbi.SOURCE.commit in message
    assert "ftm data fetch --dataset ncbi --checkout" in message


def test_ftm_data_fetch_writes_the_files_and_their_licences(
    ncbi_repo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, pinned = ncbi_repo
    monkeypatch.setenv("FTM_DATA_GIT_URL", f"file://{repo.parent.parent}")
    monkeypatch.setitem(DATASETS, "ncbi", _pinned(pinned, rows=1, mentions=1))
    target = tmp_path / "data"

    result = CliRunner().invoke(main, ["data", "fetch", "--dataset", "ncbi", "--to", str(target)])

    assert result.exit_code == 0, result.output
    assert "1 rows, 1 mentions (as expected)" in result.output
    assert pq.read_table(target / ncbi.OUTPUT).num_rows == 1
    notice = (target / "medical" / "NOTICE.md").read_text(encoding="utf-8")
    assert "`ncbi_disease.parquet`" in notice and "Public domain" in notice
    assert (
        (target / "medical" / "LICENSE.ncbi.txt")
        .read_text(encoding="utf-8")
        .startswith("PUBLIC DOMAIN NOTICE")
    )


def test_ftm_data_fetch_failure_is_one_error_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTM_DATA_GIT_URL", f"file://{tmp_path / 'nothing-here'}")
    result = CliRunner().invoke(main, ["data", "fetch", "--dataset", "ncbi", "--to", str(tmp_path)])
    assert result.exit_code == 2
    assert "error: could not download ncbi" in result.output


def test_ftm_data_fetch_reads_a_local_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "checkout"
    for split, name in ncbi.SPLIT_FILES.items():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(CORPUS if split == "test" else "", encoding="utf-8")
    monkeypatch.setitem(DATASETS, "ncbi", _pinned(ncbi.SOURCE.commit, rows=1, mentions=1))
    args = [
        "data",
        "fetch",
        "--dataset",
        "ncbi",
        "--checkout",
        str(checkout),
        "--to",
        str(tmp_path / "d"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert pq.read_table(tmp_path / "d" / ncbi.OUTPUT)["split"].to_pylist() == ["test"]
    both = CliRunner().invoke(main, ["data", "fetch", "--checkout", str(checkout)])
    assert both.exit_code == 2 and "exactly one --dataset" in both.output


# --- MAEC over a range of quarters -----------------------------------------------------------

# Calls across four years, by folder name: (sentences, speakers or None for no label file).
MAEC_CALLS: dict[str, tuple[list[str], list[str] | None]] = {
    "20141230_OLD": (["Before the data."], None),
    "20150225_AAA": (["Welcome.", "Revenue rose."], ["Person0", "Person1"]),
    "20151105_BBB": (["Margins held."], None),
    "20160510_AAA": (["Tariffs weigh."], ["Person0"]),
    "20170117_AAA": (["A good quarter.", "Costs fell."], ["Person1", "Person0"]),
    "20170404_BBB": (["Guidance is unchanged."], None),
    "20170415_CCC": (["New plant."], ["Person0"]),
    "20171020_AAA": (["Hurricanes hit."], None),
    "20180615_BBB": (["Last call."], ["Person2"]),
}


def _maec_tree(calls: dict[str, tuple[list[str], list[str] | None]]) -> dict[str, str]:
    files = {"LICENSE": "CC BY-SA 4.0\n"}
    for call, (sentences, speakers) in calls.items():
        files[f"MAEC_Dataset/{call}/text.txt"] = "\n".join(sentences) + "\n"
        files[f"MAEC_Dataset/{call}/features.csv"] = "audio,features\n"
        if speakers is not None:
            rows = "".join(f"{who},{said}\n" for who, said in zip(speakers, sentences, strict=True))
            files[f"MAEC_Dataset_Person_Label/{call}/text.csv"] = "Person,Sentence\n" + rows
    return files


@pytest.fixture
def maec_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The MAEC repository at a pinned commit, with 2017 H1's release counts those of this tree
    (4 rows, 3 calls, 3 firms), served as FTM_DATA_GIT_URL."""
    repo = tmp_path / "repos" / maec.SOURCE.repository
    repo.mkdir(parents=True)
    _git("init", "-q", cwd=repo)
    pinned = _commit(repo, _maec_tree(MAEC_CALLS), "release")
    _commit(repo, _maec_tree({"20170120_LATER": (["Added later."], None)}), "later")
    monkeypatch.setenv("FTM_DATA_GIT_URL", f"file://{tmp_path / 'repos'}")
    monkeypatch.setattr(maec, "SOURCE", dataclasses.replace(maec.SOURCE, commit=pinned))
    monkeypatch.setattr(maec, "H1_2017", {"rows": 4, "calls": 3, "firms": 3})
    monkeypatch.setitem(DATASETS, "maec", maec.dataset(*maec.DEFAULT_RANGE))
    return repo


def _fetch_maec(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["data", "fetch", "maec", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("first", "last", "name"),
    [
        ("2015Q1", "2018Q4", "2015_2018"),
        ("2017Q1", "2017Q4", "2017"),
        ("2017Q1", "2017Q2", "2017h1"),
        ("2017Q3", "2017Q4", "2017h2"),
        ("2016Q3", "2017Q2", "2016Q3_2017Q2"),
        ("2017Q2", "2017Q3", "2017Q2_2017Q3"),
        ("2017Q3", "2017Q3", "2017Q3"),
    ],
)
def test_a_range_names_its_file(first: str, last: str, name: str) -> None:
    assert maec.output_name(first, last) == f"earnings_calls/maec_{name}_sentences.parquet"


def test_the_default_build_is_2017_h1_as_before() -> None:
    source = maec.DATASET.source
    assert maec.OUTPUT == "earnings_calls/maec_2017h1_sentences.parquet"
    assert source.paths == (
        "/LICENSE",
        "/MAEC_Dataset/2017*/text.txt",
        "/MAEC_Dataset_Person_Label/2017*/text.csv",
    )
    assert source.expected == {"rows": 78_846, "calls": 645, "firms": 535}


def test_a_range_reads_only_the_years_it_needs() -> None:
    paths = maec.dataset("2016Q3", "2018Q4").source.paths
    assert [p for p in paths if p.startswith("/MAEC_Dataset/")] == [
        f"/MAEC_Dataset/{year}*/text.txt" for year in (2016, 2017, 2018)
    ]
    assert maec.dataset("2016Q3", "2018Q4").source.commit == maec.SOURCE.commit


def test_ftm_data_fetch_builds_every_quarter_of_the_span(maec_repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "data"

    code, output = _fetch_maec("--from", "2015Q1", "--to", "2018Q4", "--into", str(target))

    assert code == 0, output
    span = pq.read_table(target / "earnings_calls" / "maec_2015_2018_sentences.parquet")
    assert span.schema.remove_metadata().equals(arrow.MAEC_SENTENCES)
    calls = {(r["call_id"], r["quarter"], r["firm_id"]) for r in span.to_pylist()}
    assert calls == {
        ("20150225_AAA", "2015Q1", "AAA"),
        ("20151105_BBB", "2015Q4", "BBB"),
        ("20160510_AAA", "2016Q2", "AAA"),
        ("20170117_AAA", "2017Q1", "AAA"),
        ("20170404_BBB", "2017Q2", "BBB"),
        ("20170415_CCC", "2017Q2", "CCC"),
        ("20171020_AAA", "2017Q4", "AAA"),
        ("20180615_BBB", "2018Q2", "BBB"),
    }
    assert ("Person1", "Revenue rose.") in {(r["speaker"], r["text"]) for r in span.to_pylist()}
    assert "10 rows, 8 calls, 3 firms; 4 rows in 2017 H1, 3 calls in 2017 H1, " in output
    assert "3 firms in 2017 H1 (as expected)" in output
    assert "calls per quarter: 2015Q1 1, 2015Q4 1, 2016Q2 1, 2017Q1 1, 2017Q2 2, " in output
    assert "no calls in 2015Q2, 2015Q3, 2016Q1, 2016Q3, 2016Q4, 2017Q3, 2018Q1, 2018Q3, 2018Q4" in (
        output
    )
    # The span's 2017 H1 rows are what the default build writes, from the same commit.
    code, output = _fetch_maec("--to", str(target))
    assert code == 0, output
    h1 = pq.read_table(target / maec.OUTPUT)
    span_h1 = span.filter(pc.is_in(span["quarter"], pa.array(["2017Q1", "2017Q2"])))
    assert h1.num_rows == 4 and span_h1.equals(h1)
    notice = (target / "earnings_calls" / "NOTICE.md").read_text(encoding="utf-8")
    assert "## `maec_2015_2018_sentences.parquet`, `maec_2017h1_sentences.parquet`" in notice


@pytest.fixture
def maec_checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    for name, text in _maec_tree(MAEC_CALLS).items():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(text, encoding="utf-8")
    return checkout


def test_a_range_keeps_only_its_quarters(maec_checkout: Path, tmp_path: Path) -> None:
    target = tmp_path / "data"
    args = ["--checkout", str(maec_checkout), "--into", str(target)]

    code, output = _fetch_maec(*args, "--from", "2015Q4", "--to", "2016Q4")

    assert code == 0, output
    span = pq.read_table(target / "earnings_calls" / "maec_2015Q4_2016Q4_sentences.parquet")
    assert sorted(set(span["call_id"].to_pylist())) == ["20151105_BBB", "20160510_AAA"]
    assert "2 rows, 2 calls, 2 firms (not checked: the release's counts" in output
    assert "calls per quarter: 2015Q4 1, 2016Q2 1\n" in output
    assert "no calls in 2016Q1, 2016Q3, 2016Q4" in output
    assert [p.name for p in (target / "earnings_calls").glob("*.parquet")] == [
        "maec_2015Q4_2016Q4_sentences.parquet"
    ]


def test_a_span_whose_2017_h1_differs_from_the_release_writes_nothing(
    maec_checkout: Path, tmp_path: Path
) -> None:
    (maec_checkout / "MAEC_Dataset" / "20170404_BBB" / "text.txt").write_text("One.\nTwo.\n")
    args = ["--checkout", str(maec_checkout), "--into", str(tmp_path / "data")]

    code, output = _fetch_maec(*args, "--from", "2015Q1", "--to", "2018Q4")

    assert code == 2
    assert "rows in 2017 H1 5 (expected 78,846)" in output and "Nothing was written" in output
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--from", "2018Q1", "--to", "2017Q1"], "quarter range 2018Q1..2017Q1 runs backwards"),
        (["--from", "2015Q1"], "--from 2015Q1 starts a quarter range: end it with --to"),
        (["--from", "2015Q1", "--to", "2018Q5"], "--from 2015Q1 starts a quarter range"),
        (["--from", "2015q1", "--to", "2018Q4"], "quarter must look like 2017Q1"),
        (["--to", "2018Q4"], "--to 2018Q4 ends a quarter range: give its first quarter too"),
        (["--from", "2015Q1", "--to", "2018Q4", "--dataset", "ncbi"], "fetch maec with them"),
    ],
)
def test_a_bad_range_is_one_error_line(args: list[str], error: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["data", "fetch", *args, "--into", str(tmp_path / "d")])
    assert result.exit_code == 2
    [line] = result.output.splitlines()
    assert line.startswith("error: ") and error in line, line
    assert not (tmp_path / "d").exists()


def test_the_data_folder_is_given_once(tmp_path: Path) -> None:
    args = ["--to", str(tmp_path / "a"), "--into", str(tmp_path / "b")]
    code, output = _fetch_maec(*args)
    assert code == 2 and "give the data folder once" in output
