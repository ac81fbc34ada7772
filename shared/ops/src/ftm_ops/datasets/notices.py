"""Licence and attribution beside the files: one NOTICE.md per folder naming, for each file,
its source, licence, citation and changes, plus any licence text a source asks to reproduce."""

from __future__ import annotations

from pathlib import Path

from ftm_ops.datasets.registry import DATASETS
from ftm_ops.datasets.source import Source

NOTICE = "NOTICE.md"


def _entry(source: Source, files: list[str], subset: str | None) -> str:
    lines = [
        f"## {', '.join(f'`{name}`' for name in files)}",
        "",
        f"- Data set: {source.title}",
        f"- Source: https://github.com/{source.repository} at commit `{source.commit}`",
        f"- Licence: {source.licence} ({source.licence_url})",
        f"- Cite: {source.citation}",
        "- Changes: normalised to Parquet (the columns `ftm data fetch` writes): "
        f"{source.changes}.",
    ]
    if subset:
        lines.append(f"- Subset: {subset}")
    if source.licence_text:
        lines.append(f"- Licence text, as the source states it: `LICENSE.{source.name}.txt`")
    return "\n".join(lines)


def _groups() -> list[str]:
    return sorted({o.split("/")[0] for d in DATASETS.values() for o in d.source.outputs})


def write_notices(folder: Path, subset: str | None = None) -> list[Path]:
    """(Re)write the notices of every known file present under `folder`; `subset` says which
    part of the rows the files hold, when not all."""
    written = []
    for group in _groups():
        entries = []
        for source in (dataset.source for dataset in DATASETS.values()):
            outputs = [o for o in source.outputs if o.startswith(f"{group}/")]
            files = [p.name for o in outputs for p in sorted(folder.glob(o)) if p.is_file()]
            if not files:
                continue
            entries.append(_entry(source, files, subset))
            if source.licence_text:
                licence = folder / group / f"LICENSE.{source.name}.txt"
                licence.write_text(source.licence_text, encoding="utf-8")
                written.append(licence)
        if entries:
            notice = folder / group / NOTICE
            heading = f"# Sources and licences of the files in `{group}/`"
            notice.write_text("\n\n".join([heading, *entries]) + "\n", encoding="utf-8")
            written.append(notice)
    return written
