"""Soak: client processes drive, hang, die and reconnect at random against one simulated rover
while faults are injected; afterwards every session end is checked against the stop records and
the duties, and the daemon is checked for leaked sessions, memory and file descriptors.

Run: python bench/soak.py --minutes N [--seed S] [--delays FILE]

One module per concern: `rover` (the rover it drives), `clients` (the code of a client process),
`workers` (the scheduler's handle on those processes), `faults` (faults injected through the
fakes' own switches), `scheduler` (one state machine per base), `endings` (what happened and how
an end is checked), `leaks` (RSS, file descriptors, leftover sessions), `results` (what it
prints, as bench/report.py parses it) and `cli` (the command line).

Why the daemon runs in this process (a BackgroundDaemon on its own loop thread), not as a
`tether serve` process: a stop that raises is injected in front of its driver, which only this
process can reach; every stop record arrives through a listener (the Status RPC keeps only the
last 20). Its simulated hardware runs in a process of its own (tether.sim), as with `tether serve
--sim`: I2C NACKs and unplugged serial ports are injected, and the duties read, through that
process's inspection API, on the same monotonic clock as the signals sent to the clients. The
clients are separate processes, so this process's RSS and file descriptors are the daemon's
plus this scheduler's small bookkeeping (the fakes' memory is the sim process's). Every socket
is on 127.0.0.1 or a private Unix socket; every loop is bounded in count and time.

A missed stop, precisely: each session a client drove owns exactly one base (the scheduler never
gives a base to two clients at once). When that session ends (SIGKILL of its client, SIGSTOP past
its window, a graceful end, a dropped connection, or anything unplanned), then within BOUND
seconds the daemon must have recorded a stop for (that session, that base) with outcome
"stopped", and every motor output of the base must read duty 0; and the base must stay at duty 0
until the scheduler hands it to the next client. The one other accepted outcome is a serial
controller stopping by its own command timeout while its port was unplugged (the record says
"failed"), which is the documented fallback. Anything else is a missed stop.
"""
