"""Tasks fed inputs while they run (``AnalysisPool.run_fed``): each input as it comes, on a process of their own."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from sqlflow_magic.server.pool import AnalysisCrashed, AnalysisPool, PoolClosedError
from tests.support import analysis_helpers, fed_helpers

pytestmark = pytest.mark.server


def with_fed_pool(scenario: Callable[[AnalysisPool], Awaitable[None]]) -> None:
    async def main() -> None:
        pool = AnalysisPool(1, fed=1)
        pool.start()
        try:
            await asyncio.wait_for(scenario(pool), 60)
        finally:
            await pool.close()

    asyncio.run(main())


async def items(*values: object) -> AsyncIterator[object]:
    for value in values:
        yield value


async def until(path: Path) -> None:
    while not path.exists():
        await asyncio.sleep(0.01)


def test_a_fed_task_gets_its_inputs_and_holds_none_of_the_shared_processes() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        async def inputs() -> AsyncIterator[object]:
            yield "first"
            yield await pool.run(os.getpid, limit=30)  # the one shared process is free meanwhile

        tag, received, fed_pid = await pool.run_fed(fed_helpers.inputs_and_pid, "x", inputs=inputs(), limit=30)
        shared_pid = await pool.run(os.getpid, limit=30)
        assert (tag, received) == ("x", ["first", shared_pid])
        assert fed_pid != shared_pid

    with_fed_pool(scenario)


def test_a_fed_task_asked_to_share_runs_on_a_shared_process_and_takes_its_turn() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        shared_pid = await pool.run(os.getpid, limit=30)
        tag, received, pid = await pool.run_fed(fed_helpers.inputs_and_pid, "x", inputs=items(1, 2), limit=30,
                                                shared=True)  # fmt: skip
        assert (tag, received, pid) == ("x", [1, 2], shared_pid)
        # holding the one shared process, it makes the next task wait for it
        event = asyncio.Event()
        fed = asyncio.ensure_future(pool.run_fed(fed_helpers.inputs_and_pid, "y", inputs=until_set(event), limit=30,
                                                 shared=True))  # fmt: skip
        await asyncio.sleep(0.2)
        waiting = asyncio.ensure_future(pool.run(os.getpid, limit=30))
        await asyncio.sleep(0.5)
        assert not waiting.done()
        event.set()
        assert (await fed)[2] == await waiting == shared_pid

    with_fed_pool(scenario)


async def until_set(event: asyncio.Event) -> AsyncIterator[object]:
    yield "first"
    await event.wait()


def test_each_input_reaches_the_task_while_it_runs(tmp_path: Path) -> None:
    async def scenario(pool: AnalysisPool) -> None:
        async def inputs() -> AsyncIterator[object]:
            for number in range(3):
                yield number
                await until(tmp_path / str(number))  # the task has this one before the next is sent

        assert await pool.run_fed(fed_helpers.mark_each_input, str(tmp_path), inputs=inputs(), limit=30) == [0, 1, 2]

    with_fed_pool(scenario)


def test_a_task_that_stops_reading_leaves_no_input_to_the_next_one() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        assert await pool.run_fed(fed_helpers.first_input, inputs=items("a", "b", "c"), limit=30) == "a"
        _, received, _ = await pool.run_fed(fed_helpers.inputs_and_pid, "y", inputs=items("d"), limit=30)
        assert received == ["d"]

    with_fed_pool(scenario)


def test_a_fed_process_that_dies_is_reported_and_replaced() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        *_, first = await pool.run_fed(fed_helpers.inputs_and_pid, "x", inputs=items(), limit=30)
        with pytest.raises(AnalysisCrashed, match=r"ended unexpectedly \(killed by SIGKILL"):
            await pool.run_fed(fed_helpers.die_at_first_input, inputs=items(1, 2), limit=30)
        *_, second = await pool.run_fed(fed_helpers.inputs_and_pid, "x", inputs=items(), limit=30)
        assert second != first and analysis_helpers.gone(first)

    with_fed_pool(scenario)


def test_inputs_that_raise_fail_the_task_with_their_error_and_replace_its_process() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        async def broken() -> AsyncIterator[object]:
            yield 1
            raise ValueError("no more inputs")

        *_, first = await pool.run_fed(fed_helpers.inputs_and_pid, "x", inputs=items(), limit=30)
        with pytest.raises(ValueError, match="no more inputs"):
            await pool.run_fed(fed_helpers.inputs_and_pid, "x", inputs=broken(), limit=30)
        *_, second = await pool.run_fed(fed_helpers.inputs_and_pid, "x", inputs=items(), limit=30)
        assert second != first

    with_fed_pool(scenario)


def test_close_ends_a_fed_task_that_waits_for_inputs() -> None:
    async def scenario(pool: AnalysisPool) -> None:
        never = asyncio.Event()

        async def waiting() -> AsyncIterator[object]:
            yield 1
            await never.wait()
            yield 2

        task = asyncio.ensure_future(pool.run_fed(fed_helpers.inputs_and_pid, "x", inputs=waiting(), limit=30))
        await asyncio.sleep(0.5)  # let it start: close must end it either way
        await pool.close()
        with pytest.raises(PoolClosedError):
            await task

    with_fed_pool(scenario)
