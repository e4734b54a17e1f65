"""What `tether doctor` found: each finding says what it saw and its fix, and sets the exit."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class Severity(enum.Enum):
    """How much a finding matters; SAFETY outranks FAILURE, which outranks the rest."""

    OK = "ok"
    INFO = "info"  # not checked here, or nothing to fix
    WARNING = "warning"  # worth fixing; tether still starts and stops the motors
    FAILURE = "fail"  # tether would not start or not reach its hardware
    SAFETY = "SAFETY"  # a setting on this machine leaves motors driven when a process dies


#: Exit codes: a safety finding wins, then a failure; warnings never change the exit code.
EXIT_SAFETY = 1
EXIT_FAILURE = 2


@dataclass(frozen=True)
class Finding:
    """One check's result: `says` what was seen (with where it was read), `fix` what to do."""

    check: str
    severity: Severity
    says: str
    fix: str = ""


def exit_code(findings: Iterable[Finding]) -> int:
    """1 for any safety finding, else 2 for any failure, else 0."""
    severities = {f.severity for f in findings}
    if Severity.SAFETY in severities:
        return EXIT_SAFETY
    if Severity.FAILURE in severities:
        return EXIT_FAILURE
    return 0


def render(heading: str, findings: Sequence[Finding]) -> str:
    """The report as printed: one block per finding, then a count and the exit code."""
    lines = [heading]
    for finding in findings:
        lines.append(f"  {finding.severity.value:<8} {finding.check}: {finding.says}")
        if finding.fix:
            lines.append(f"  {'':<8} fix: {finding.fix}")
    lines.append(_summary(findings))
    return "\n".join(lines)


def _summary(findings: Sequence[Finding]) -> str:
    counts = [(sum(f.severity is s for f in findings), s) for s in _COUNTED]
    said = [f"{n} {_NAMES[s]}{'' if n == 1 else 's'}" for n, s in counts if n]
    return f"{', '.join(said) or 'nothing to fix'}: exit {exit_code(findings)}"


_COUNTED = (Severity.SAFETY, Severity.FAILURE, Severity.WARNING)
_NAMES = {Severity.SAFETY: "safety finding", Severity.FAILURE: "failure",
          Severity.WARNING: "warning"}
