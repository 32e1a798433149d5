"""The analysis process owns the garbage collector's policy: its thresholds, and freezing between tasks."""

from __future__ import annotations

import asyncio
import gc

import pytest

from sqlflow_magic.server.pool import AnalysisPool
from sqlflow_magic.server.pool_child import COLLECTOR_THRESHOLDS

pytestmark = pytest.mark.server


def test_the_analysis_process_tunes_its_collector_and_freezes_what_a_task_leaves() -> None:
    async def scenario() -> None:
        pool = AnalysisPool(1)
        pool.start()
        try:
            assert await pool.run(gc.get_threshold, limit=30) == COLLECTOR_THRESHOLDS
            assert await pool.run(gc.get_freeze_count, limit=30) > 0  # the imports, frozen after the first task
        finally:
            await pool.close()

    asyncio.run(scenario())
