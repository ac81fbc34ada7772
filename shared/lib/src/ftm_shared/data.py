"""Where the provided data sets live: `FTM_DATA_DIR`, else `../shared/data` beside the project."""

from __future__ import annotations

import os
from pathlib import Path

SOURCES_HELP = """\
The earnings-call and medical data sets are not in this repository. Point FTM_DATA_DIR at a
folder laid out as earnings_calls/*.parquet and medical/*.parquet. The sources (public
repositories, with the commits used) are listed in the README's "Data" section:
  MAEC (CC BY-SA 4.0): github.com/Earnings-Call-Dataset, repository
    MAEC-A-Multimodal-Aligned-Earnings-Conference-Call-Dataset-for-Financial-Risk-Prediction
  Earnings-21 (CC BY-SA 4.0): revdotcom/speech-datasets (earnings21/)
  BC5CDR: the BioCreative V CDR corpus; NCBI disease: spyysalo/ncbi-disease;
  glaucoma medications: jche253/Glaucoma_Med_Dataset"""


class DataNotFoundError(FileNotFoundError):
    pass


def _candidates() -> list[Path]:
    # `../shared/data` seen from the project root, or from any folder inside the project.
    return [parent / "shared" / "data" for parent in Path.cwd().resolve().parents]


def data_dir() -> Path:
    configured = os.environ.get("FTM_DATA_DIR")
    if configured:
        path = Path(configured)
        if not path.is_dir():
            raise DataNotFoundError(f"FTM_DATA_DIR={configured} is not a folder.\n{SOURCES_HELP}")
        return path
    for candidate in _candidates():
        if (candidate / "earnings_calls").is_dir():
            return candidate
    raise DataNotFoundError(f"No data folder found (FTM_DATA_DIR is unset).\n{SOURCES_HELP}")


def earnings_call_file(name: str = "maec_2017h1_sentences.parquet") -> Path:
    path = data_dir() / "earnings_calls" / name
    if not path.is_file():
        raise DataNotFoundError(f"{path} is missing.\n{SOURCES_HELP}")
    return path
