"""`tether doctor`: what tether can check on the Pi it runs on, each finding with its fix.

Every probe reads through a `Machine` (its proc, boot, dev and sys roots, environment, working
directory, user and I2C opener are parameters), so the tests run each check on faked trees.
"""

from tether.doctor.findings import EXIT_FAILURE, EXIT_SAFETY, Finding, Severity, exit_code
from tether.doctor.machine import Group, Identity, Machine
from tether.doctor.needs import Needs
from tether.doctor.run import main, run_checks

__all__ = ["EXIT_FAILURE", "EXIT_SAFETY", "Finding", "Group", "Identity", "Machine", "Needs",
           "Severity", "exit_code", "main", "run_checks"]
