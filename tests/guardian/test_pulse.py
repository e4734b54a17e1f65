"""The pulse pipe's messages: sentinel ids travel beside the one-byte beats without being taken
for beats, and a sentinel ends only with its process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tether.guardian.pulse import PIDFD_THREAD, Beats, sentinel_ids, thread_pidfds


def test_sentinel_ids_are_read_between_beats_and_are_no_beats() -> None:
    data = b"LWT1234;RLT56;W"
    assert sentinel_ids(data) == [1234, 56]
    beats = Beats(0.2, 0.0)
    beats.heard(b"T1234;T56;", 1.0)
    assert beats.heard_count == {b"L": 0, b"W": 0}, "digits, T and ; are not beats"


@pytest.mark.skipif(not thread_pidfds(), reason="pidfd_open(PIDFD_THREAD) needs Linux 6.9")
def test_a_daemon_under_a_guardian_names_two_sentinels_that_outlive_its_work() -> None:
    # A stand-in for the daemon: a Pulse on a pipe, sentinels started, then 50 threads that
    # come and go (as stop workers do); every sentinel must still be there afterwards.
    code = (
        "import os, sys, threading\n"
        "from tether.guardian.pulse import Pulse\n"
        "pulse = Pulse(int(sys.argv[1]), 0.05, os.getppid())\n"
        "pulse.start_sentinels()\n"
        "for _ in range(50):\n"
        "    t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
        "print('done', flush=True)\n"
        "sys.stdin.read()\n"
    )
    read, write = os.pipe()
    child = subprocess.Popen([sys.executable, "-c", code, str(write)], pass_fds=(write,),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    os.close(write)
    try:
        assert child.stdout is not None and child.stdout.readline() == "done\n"
        tids = sentinel_ids(os.read(read, 4096))
        assert len(tids) == 2
        for tid in tids:
            fd = os.pidfd_open(tid, PIDFD_THREAD)  # raises if the thread is gone
            os.close(fd)
            assert os.path.exists(f"/proc/{child.pid}/task/{tid}")
    finally:
        child.kill()
        child.wait(10)
        os.close(read)
