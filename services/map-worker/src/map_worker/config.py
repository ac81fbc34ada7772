from __future__ import annotations

from ftm_shared.config import FtmSettings


class MapWorkerSettings(FtmSettings):
    """map-worker's settings; the map issue adds the LLM, Ray and checkpoint knobs."""
