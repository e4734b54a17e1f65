"""Runs every bench, the soak and the fault matrix, and writes bench/REPORT.md: each figure next
to its target and its baseline from the same run, parsed from what the benches printed (never
typed in), plus bench/stop_delays.png, the stop-delay distributions per fault.

Run: python bench/report.py [--quick]   (--quick: --quick to each bench, a 15 s soak)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def _shown(path: str) -> str:
    """A path as the report shows it: relative to the checkout, so no machine's layout leaks."""
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return Path(path).name
REPORT = BENCH / "REPORT.md"
PLOT = BENCH / "stop_delays.png"
BUDGET_PLOT = BENCH / "pi_budget.png"
BENCHES = ("session_bench", "drivers_bench", "api_bench", "client_bench", "attack_bench",
           "pigpiod_bench", "guardian_bench", "encoder_bench", "closed_loop_bench")
BENCH_TIMEOUT = 1800.0  # seconds for any one bench; the soak gets its minutes on top
FAULTS_TIMEOUT = 1800.0
FIGURE = re.compile(r"^(\d+)\. (.*)$")
UNIT = re.compile(r"\d(?:[.,]\d+)*\s*(?:ms|us|µs|%|MiB|x|/s)\b")


@dataclass
class Run:
    """One bench (or the soak, or pytest) as a subprocess: its command, output, time, exit."""

    name: str
    argv: list[str]
    output: str = ""
    seconds: float = 0.0
    code: int | None = None


@dataclass
class Row:
    """One figure as the report's table shows it."""

    bench: str
    number: str
    figure: str
    measured: str
    target: str
    verdict: str
    baseline: str


@dataclass
class Delays:
    """Stop delays in ms per fault (JSON lines {fault, delay_ms, bound_ms, passed})."""

    by_fault: dict[str, list[tuple[float, bool]]] = field(default_factory=dict)
    bounds: dict[str, float] = field(default_factory=dict)
    checks: list[tuple[str, bool]] = field(default_factory=list)  # rows with no delay (null)
    malformed: int = 0


# -- running ----------------------------------------------------------------------------------


def run(job: Run, timeout: float, env: dict[str, str] | None = None) -> Run:
    """Run one job to completion (killed at timeout), capturing stdout and stderr together."""
    print(f"report: running {job.name}: {' '.join(job.argv[1:])}", flush=True)
    began = time.monotonic()
    try:
        done = subprocess.run(job.argv, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, env=env, stdin=subprocess.DEVNULL, check=False)
        job.output, job.code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        job.output, job.code = partial + f"\n(killed after {timeout:.0f} s)", None
    job.seconds = time.monotonic() - began
    print(f"report: {job.name} took {job.seconds:.1f} s, exit {job.code}", flush=True)
    return job


def bench_jobs(quick: bool, delays: Path) -> list[Run]:
    """The benches and the soak, in the order they run."""
    extra = ["--quick"] if quick else []
    jobs = [Run(name, [sys.executable, str(BENCH / f"{name}.py"), *extra]) for name in BENCHES]
    minutes = "0.25" if quick else "1"
    jobs.append(Run("soak", [sys.executable, str(BENCH / "soak.py"), "--minutes", minutes,
                             "--delays", str(delays)]))
    jobs.append(Run("guardian_soak", [sys.executable, str(BENCH / "guardian_soak.py"),
                                      "--minutes", minutes]))
    if os.geteuid() == 0:  # it makes cgroups
        jobs.append(Run("pi_budget", [sys.executable, str(BENCH / "pi_budget.py"), *extra,
                                      "--plot", str(BUDGET_PLOT)]))
    return jobs


def fault_matrix(log: Path) -> Run | None:
    """pytest tests/faults with TETHER_FAULT_LOG set, if that folder exists."""
    if not (ROOT / "tests" / "faults").is_dir():
        return None
    job = Run("fault matrix", [sys.executable, "-m", "pytest", "tests/faults", "-q",
                               "-p", "no:cacheprovider"])
    return run(job, FAULTS_TIMEOUT, env={**os.environ, "TETHER_FAULT_LOG": str(log)})


# -- parsing the benches' figures -------------------------------------------------------------


def blocks(output: str) -> list[tuple[str, list[str]]]:
    """(number, lines) of each numbered figure: its line and the indented lines under it."""
    found: list[tuple[str, list[str]]] = []
    for line in output.splitlines():
        match = FIGURE.match(line)
        if match:
            found.append((match.group(1), [match.group(2)]))
        elif found and line.startswith(" ") and line.strip():
            found[-1][1].append(line.strip())
        elif found and line.strip():
            found.append(("", []))  # an unindented line ends the figure
    return [(number, lines) for number, lines in found if lines]


def has_target(line: str) -> bool:
    """Whether a line states a target (met, missed, or explicitly none)."""
    return bool(re.search(r"\btargets?\b", line)) and (
        "MET" in line or "MISSED" in line or "no target" in line)


def split_target(line: str) -> tuple[str, str, list[str]]:
    """(measured, target with its verdict, baselines) of a line that states a target."""
    if "MET" not in line and "MISSED" not in line:
        index = line.rindex("no target")
        return line[:index].strip(), "none", []
    found = re.search(r"\btargets?\b", line)
    assert found is not None
    measured, rest = line[: found.start()].strip(), line[found.start():].strip()
    pieces = [p.strip() for p in rest.split("; ")]
    baselines = [p for p in pieces[1:] if p.startswith("baseline")]
    target = "; ".join(p for p in pieces if p not in baselines)
    return measured, target, baselines


def title_of(first: str) -> str:
    """A figure's name: its first line up to the first colon, shortened."""
    title = first.split(": ", 1)[0].rstrip(":;")
    return title if len(title) <= 90 else title[:87] + "..."


class Figure:
    """Turns one numbered block into rows: each target line, with the measurement lines just
    before it; measurement lines with no target after them become rows of their own."""

    def __init__(self, bench: str, number: str, lines: list[str]) -> None:
        self.bench, self.number, self.lines = bench, number, lines
        self.title = title_of(lines[0])
        self.baselines = [ln for ln in lines[1:] if ln.startswith(("baseline", "reference"))]
        self.rows: list[Row] = []
        self.label = ""
        self.pending: list[str] = []

    def parse(self) -> list[Row]:
        """Every row of the block."""
        for position, line in enumerate(self.lines):
            if has_target(line):
                self.target_row(position, line)
            elif position and line.endswith(":"):
                self.flush()
                self.label = line.rstrip(":")
            elif position and UNIT.search(line) and line not in self.baselines and \
                    not line.endswith("."):  # a sentence explaining a figure, not a figure
                self.pending.append(line)
        self.flush()
        if not self.rows:
            self.add(self.lines[0].split(": ", 1)[-1], "none", "—", [])
        return self.rows

    def target_row(self, position: int, line: str) -> None:
        """A row for a line that states a target."""
        measured, target, inline = split_target(line)
        if position == 0 and ": " in measured:
            measured = measured.split(": ", 1)[1]
        verdict = "MISSED" if "MISSED" in target else "MET" if "MET" in target else "—"
        self.add("<br>".join([*self.pending, measured]), target, verdict, inline)
        self.pending = []

    def flush(self) -> None:
        """Measurement lines no target followed: rows without a target."""
        for line in self.pending:
            self.add(line, "none", "—", [])
        self.pending = []

    def add(self, measured: str, target: str, verdict: str, inline: list[str]) -> None:
        """One row; the block's baselines go on its first row."""
        shown = [*self.baselines, *inline] if not self.rows else inline
        figure = f"{self.title} — {self.label}" if self.label else self.title
        self.rows.append(Row(self.bench, self.number, figure, measured, target, verdict,
                             "<br>".join(shown) or ("as above" if self.rows else "—")))


def parse_rows(job: Run) -> list[Row]:
    """Every figure row of one bench's output."""
    rows = []
    for number, lines in blocks(job.output):
        rows += Figure(job.name, number, lines).parse()
    return rows


def read_delays(path: Path, delays: Delays) -> Delays:
    """Add the JSON lines of a delay log (missing file: nothing)."""
    if not path.exists():
        return delays
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
            name, passed = str(entry["fault"]), bool(entry["passed"])
            if entry["delay_ms"] is None:  # a check that measures no delay, or never stopped
                delays.checks.append((name, passed))
                continue
            delays.by_fault.setdefault(name, []).append((float(entry["delay_ms"]), passed))
            bound = float(entry["bound_ms"] or 0.0)
            delays.bounds[name] = max(delays.bounds.get(name, 0.0), bound)
        except (ValueError, KeyError, TypeError):
            delays.malformed += 1
    return delays


# -- the plot ---------------------------------------------------------------------------------


def strip(ax: Axes, title: str, delays: Delays) -> None:
    """Draw one panel: a row per fault, log-scaled milliseconds."""
    names = sorted(delays.by_fault,
                   key=lambda n: statistics.median(d for d, _ in delays.by_fault[n]))
    jitter = random.Random(0)
    for row, name in enumerate(names):
        values = delays.by_fault[name]
        xs = [max(d, 0.01) for d, _ in values]
        ys = [row + jitter.uniform(-0.25, 0.25) for _ in values]
        colours = ["tab:green" if ok else "tab:red" for _, ok in values]
        ax.scatter(xs, ys, s=16, c=colours, alpha=0.75, linewidths=0, zorder=3)
        ax.plot([statistics.median(xs)] * 2, [row - 0.35, row + 0.35], color="black",
                linewidth=1.5, zorder=2)
        if delays.bounds[name]:
            ax.plot([delays.bounds[name]] * 2, [row - 0.4, row + 0.4], color="tab:red",
                    linestyle="--", linewidth=1)
    window = reference_window_ms()
    ax.axvline(window, color="grey", linestyle=":", linewidth=1.5)
    ax.set_yticks(range(len(names)), [f"{n} (n={len(delays.by_fault[n])})" for n in names])
    ax.set_ylim(len(names) - 0.4, -0.6)  # fastest on top
    ax.set_xscale("log")
    ax.set_xlabel("ms to duty 0 on every motor (log scale; 0 is drawn at 0.01)", fontsize=9)
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="x", which="both", alpha=0.3)


def shared_range(axes: Any, sources: list[Delays]) -> None:
    """One x range for every panel with data, so the panels can be compared by eye."""
    values = [max(d, 0.01) for s in sources for v in s.by_fault.values() for d, _ in v]
    values += [b for s in sources for b in s.bounds.values() if b]
    if values:
        for ax, source in zip(axes, sources, strict=True):
            if source.by_fault:
                ax.set_xlim(min(values) / 1.5, max(values) * 1.5)


def reference_window_ms() -> float:
    """tether's default heartbeat window: the reference server stops only after it."""
    from tether.config import ServerConfig

    return ServerConfig().heartbeat_window * 1000


def no_data(ax: Axes, title: str, text: str) -> None:
    """A panel that says why it is empty."""
    ax.set_axis_off()
    ax.set_title(title, loc="left", fontsize=11)
    ax.text(0.02, 0.5, text, transform=ax.transAxes, fontsize=10, va="center")


# -- the report -------------------------------------------------------------------------------


def cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: list[Row]) -> list[str]:
    """The figures table."""
    lines = ["| bench | # | figure | measured | target | verdict | baseline (same run) |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r.bench} | {r.number} | {cell(r.figure)} | {cell(r.measured)} | "
              f"{cell(r.target)} | {'**MISSED**' if r.verdict == 'MISSED' else r.verdict} | "
              f"{cell(r.baseline)} |" for r in rows]
    return lines


def machine() -> list[str]:
    """Date, machine, Python and commit, for the report's head."""
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                            capture_output=True, check=False).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--"], cwd=ROOT,
                           check=False).returncode != 0
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [f"- date: {now}",
            f"- machine: {os.cpu_count()} CPUs ({model}), {platform.system()} "
            f"{platform.release()}, load average {os.getloadavg()[0]:.2f} when the report began"
            " (other work shares this machine)",
            f"- Python {platform.python_version()} ({_shown(sys.executable)})",
            f"- commit {commit}{' plus uncommitted changes' if dirty else ''}"]


def delay_summary(delays: Delays) -> list[str]:
    """Per fault: n, p50, max, bound, passed."""
    lines = ["| fault | n | p50 ms | max ms | bound ms | passed |", "|---|---|---|---|---|---|"]
    for name in sorted(delays.by_fault):
        values = delays.by_fault[name]
        ms = [d for d, _ in values]
        bound = f"{delays.bounds[name]:.0f}" if delays.bounds[name] else "—"
        lines.append(f"| {cell(name)} | {len(values)} | {statistics.median(ms):.1f} | "
                     f"{max(ms):.1f} | {bound} | "
                     f"{sum(ok for _, ok in values)}/{len(values)} |")
    return lines


def faults_section(job: Run | None, delays: Delays) -> list[str]:
    """What the fault matrix did, or why it did not run."""
    lines = ["## Fault matrix", ""]
    if job is None:
        return [*lines, "`tests/faults` does not exist in this tree yet, so the fault matrix did"
                " not run; the plot's first panel says so. The soak's own stop delays by cause "
                "and fault are plotted below it.", ""]
    output = job.output.strip().splitlines()
    last = [ln for ln in output if ln.strip()][-1:] or ["(no output)"]
    lines += [f"`pytest tests/faults -q` with `TETHER_FAULT_LOG` set: exit {job.code}, "
              f"{job.seconds:.0f} s: `{last[0].strip()}`.", ""]
    lines += [f"- `{ln.strip()}`" for ln in output if ln.startswith(("FAILED", "ERROR"))]
    lines += [f"- {ln.strip()}" for ln in output if ln.startswith("SKIPPED")]
    if not delays.by_fault and not delays.checks:
        return [*lines, "", "The tests logged nothing to `TETHER_FAULT_LOG`.", ""]
    malformed = f" ({delays.malformed} malformed lines skipped)" if delays.malformed else ""
    lines += ["", f"Delays the tests logged{malformed}:", "", *delay_summary(delays), ""]
    if delays.checks:
        lines += ["Checks the tests logged without a delay:", "", "| check | passed |",
                  "|---|---|", *[f"| {cell(n)} | {'yes' if ok else '**no**'} |"
                                 for n, ok in delays.checks], ""]
    return lines


def raw_outputs(jobs: list[Run]) -> list[str]:
    """Every job's complete output, for anything the table leaves out."""
    lines = ["## Complete output of each run", ""]
    for job in jobs:
        lines += [f"### {job.name}: `{' '.join(Path(a).name if '/' in a else a for a in job.argv)}`"
                  f" ({job.seconds:.0f} s, exit {job.code})", "", "```", job.output.rstrip(),
                  "```", ""]
    return lines


def write_report(jobs: list[Run], faults: Run | None, delays: tuple[Delays, Delays], *,
                 head: list[str], began: float, quick: bool) -> None:
    """bench/REPORT.md."""
    rows = [row for job in jobs for row in parse_rows(job)]
    targeted = [r for r in rows if r.verdict in ("MET", "MISSED")]
    missed = list(dict.fromkeys(f"{r.bench} {r.number}" for r in rows if r.verdict == "MISSED"))
    failed = [j.name for j in [*jobs, *([faults] if faults else [])] if j.code != 0]
    lines = [
        "# tether performance report", "",
        f"Written by `python bench/report.py{' --quick' if quick else ''}` in "
        f"{time.monotonic() - began:.0f} s; every figure below was parsed from the output of "
        "that run (complete outputs at the end). Do not edit by hand: run it again.", "",
        *head, "",
        f"**{sum(r.verdict == 'MET' for r in targeted)} of {len(targeted)} targets met**"
        + (f"; missed in: {', '.join(missed)}" if missed else "")
        + (f". Runs that exited non-zero: {', '.join(failed)}." if failed else
           ". Every run exited 0."), "",
        "Baselines are measured in the same run: bare gpiozero, a bare grpclib echo, the "
        "reference behaviour of waiting one full heartbeat window, and (attack_bench) the same "
        "daemon, driver and newcomers with no attack.", "",
        "## Figures", "", *table(rows), "",
        *faults_section(faults, delays[0]),
        "## Stop delays per fault", "",
        f"![stop delays per fault]({PLOT.name})", "",
        "Soak stop delays (this run's soak, by cause and by the fault injected at the "
        "session's end):", "", *delay_summary(delays[1]), "",
        *budget_section(jobs),
        *raw_outputs([*jobs, *([faults] if faults else [])]),
    ]
    REPORT.write_text("\n".join(lines))


def budget_section(jobs: list[Run]) -> list[str]:
    """The stop delays per emulated CPU budget (bench/pi_budget.py), when it ran."""
    if not any(j.name == "pi_budget" and j.code == 0 for j in jobs):
        return []
    return ["## Stop delays per CPU budget", "",
            "The daemon and the guardian each confined to a share of one core of this machine "
            "(bench/pi_budget.py): emulated budgets, not Pi measurements. Where a target is "
            "missed, its output (under Complete output of each run) says by how much and why; "
            "docs/performance/index.md has the analysis.", "",
            f"![stop delays per CPU budget]({BUDGET_PLOT.name})", ""]


def main() -> int:
    """Run everything, write the report and the plot; non-zero if a run failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="--quick benches, a 15 s soak")
    args = parser.parse_args()
    began, head = time.monotonic(), machine()
    with tempfile.TemporaryDirectory(prefix="tether-report-") as scratch:
        soak_log, fault_log = Path(scratch) / "soak.jsonl", Path(scratch) / "faults.jsonl"
        jobs = [run(job, BENCH_TIMEOUT) for job in bench_jobs(args.quick, soak_log)]
        faults = fault_matrix(fault_log)
        delays = read_delays(fault_log, Delays()), read_delays(soak_log, Delays())
    draw(delays, faults)
    write_report(jobs, faults, delays, head=head, began=began, quick=args.quick)
    print(f"report: wrote {REPORT} and {PLOT} in {time.monotonic() - began:.0f} s")
    return 0 if all(j.code == 0 for j in [*jobs, *([faults] if faults else [])]) else 1


def draw(delays: tuple[Delays, Delays], faults: Run | None) -> None:
    """The PNG: the fault matrix's panel (or why it is empty), then the soak's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix, soak = delays
    sizes = [max(1.6, 0.42 * len(d.by_fault) + 1.4) for d in (matrix, soak)]
    figure, axes = plt.subplots(2, 1, figsize=(12, sum(sizes)), squeeze=False,
                                gridspec_kw={"height_ratios": sizes})
    title = "Fault matrix (pytest tests/faults, this run): time from the fault to duty 0"
    if matrix.by_fault:
        strip(axes[0, 0], title, matrix)
    else:
        why = "tests/faults does not exist in this tree yet" if faults is None else \
            "tests/faults ran but logged no delays to TETHER_FAULT_LOG"
        no_data(axes[0, 0], title, why)
    soak_title = "Soak (this run): session end (kill, hang, end, ...) to duty 0, by cause and fault"
    if soak.by_fault:
        strip(axes[1, 0], soak_title, soak)
    else:
        no_data(axes[1, 0], soak_title, "the soak recorded no delays")
    shared_range(axes[:, 0], [matrix, soak])
    figure.text(0.01, 0.998, "dot: one measurement (red: failed)    black bar: median    dashed "
                "red: the test's bound    grey dotted: the reference behaviour, waiting one "
                f"full window ({reference_window_ms():.0f} ms)", ha="left", va="top", fontsize=9)
    figure.tight_layout(rect=(0, 0, 1, 0.99))
    figure.savefig(PLOT, dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    sys.exit(main())
