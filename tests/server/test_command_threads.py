"""A command that finds no command thread and can start none runs on the loop, exactly once."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tether.fakes.threads import threads_refused
from tether.server.command_threads import run_on_a_thread


def test_a_command_at_the_thread_limit_runs_on_the_loop_and_never_again() -> None:
    commands = ThreadPoolExecutor(2, thread_name_prefix="test-cmd")
    busy, ran_on = threading.Event(), []
    try:
        commands.submit(busy.wait, 5)  # the only thread started so far is busy

        def command() -> str:
            ran_on.append(threading.current_thread().name)
            return "done"

        async def at_the_limit() -> str:
            with threads_refused() as refused:
                result = await run_on_a_thread(commands, command)
            assert refused, "the executor needed a new thread"
            return result

        assert asyncio.run(at_the_limit()) == "done"
        busy.set()  # the busy thread frees up and finds the command's queued copy
        time.sleep(0.3)
    finally:
        busy.set()
        commands.shutdown(wait=True)
    assert ran_on == ["MainThread"], f"the command ran on {ran_on}; expected once, on the loop"


def test_a_command_runs_on_a_command_thread_when_one_can_start() -> None:
    commands = ThreadPoolExecutor(2, thread_name_prefix="test-cmd")
    try:
        name = asyncio.run(run_on_a_thread(commands, lambda: threading.current_thread().name))
    finally:
        commands.shutdown(wait=True)
    assert name.startswith("test-cmd")
