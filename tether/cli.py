"""The `tether` command line: demo, serve, check, status, drive, record-gamepad."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from tether import __version__
from tether.errors import HardwareError, TetherError
from tether.robot.models import HARDWARE as SIM_HARDWARE
from tether.teleop_arguments import add_demo_arguments, add_drive_arguments, add_record_arguments


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tether", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tether {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log session events")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="drive the simulated rover, drop the session, time the stop"
    )
    demo.add_argument("--window", type=float, default=0.5, help="heartbeat window in seconds")
    demo.add_argument("--in-process", action="store_true",
                      help="the session layer alone, in one process (no daemon, no client)")
    demo.add_argument("--web", action="store_true",
                      help="serve the simulated rover's drive page and print its URL")
    demo.add_argument("--web-port", type=int, default=8081, help="drive page port (0 picks one)")
    demo.add_argument(
        "--drive-time", type=float, default=1.0, help="seconds of heartbeating before going silent"
    )
    demo.add_argument(
        "--hardware", default="gpio", help="which fake to drive: " + ", ".join(SIM_HARDWARE)
    )
    add_demo_arguments(demo)  # --gamepad [--recording FILE]
    add_drive_arguments(commands.add_parser(
        "drive", help="drive with a gamepad or the keyboard (deadman, 20 Hz stream)"))
    add_record_arguments(commands.add_parser(
        "record-gamepad", help="record a gamepad's events to a file tether can replay"))
    serve = commands.add_parser("serve", help="run the daemon for a rover config")
    serve.add_argument("config", help="the rover's TOML config")
    serve.add_argument("--sim", action="store_true", help="run the config on fake hardware")
    serve.add_argument("--listen", help="HOST:PORT or unix:PATH (overrides [server].listen)")
    serve.add_argument("--no-guardian", action="store_true",
                       help="run the daemon alone, without the process that makes the outputs "
                            "safe when the daemon dies or hangs (development, tests)")
    check = commands.add_parser("check", help="validate a config without touching hardware")
    check.add_argument("config")
    doctor = commands.add_parser("doctor", help="check this Pi for what the config needs and "
                                 "what leaves motors driven after a crash; exit 1 on a safety "
                                 "finding, 2 on a failure")
    doctor.add_argument("config", nargs="?", help="the rover's config (without: every family)")
    status = commands.add_parser("status", help="sessions, owners and recent stops of a daemon")
    status.add_argument("address", nargs="?", default="127.0.0.1:8080",
                        help="HOST:PORT or unix:PATH (default 127.0.0.1:8080)")
    status.add_argument("--api-key", help="ID:SECRET for a daemon that needs keys")
    status.add_argument("--tls", help="CA or self-signed certificate of the daemon (PEM)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tether` console script: exit 2 for a config error, 1 for hardware."""
    args = _build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return _run(args)
    except HardwareError as exc:
        print(f"tether: {exc}", file=sys.stderr)
        return 1
    except TetherError as exc:
        print(f"tether: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "doctor":
        from tether.doctor import main as doctor

        return doctor(args.config)
    if args.command == "demo" and args.gamepad:
        from tether.teleop.cli import run_demo as run_gamepad_demo

        return run_gamepad_demo(args)
    if args.command == "drive":
        from tether.teleop.cli import run_drive

        return run_drive(args)
    if args.command == "record-gamepad":
        from tether.teleop.cli import run_record

        return run_record(args)
    if args.command == "demo" and args.web:
        import asyncio

        from tether.demo.web import run_web_demo

        asyncio.run(run_web_demo(hardware=args.hardware, window=args.window, port=args.web_port))
    elif args.command == "demo":
        from tether.demo.daemon import run_daemon_demo
        from tether.demo.in_process import run_demo

        demo = run_demo if args.in_process else run_daemon_demo
        demo(window=args.window, drive_time=args.drive_time, hardware=args.hardware)
    elif args.command == "serve":
        import asyncio

        from tether.config import load_config

        config = load_config(args.config)
        if not args.no_guardian:
            from tether.guardian.start import serve_guarded

            return serve_guarded(config, args.config, sim=args.sim, listen=args.listen,
                                 verbose=args.verbose)
        from tether.server.daemon import serve

        asyncio.run(serve(config, sim=args.sim, listen=args.listen))
    elif args.command == "check":
        from tether.config import load_config, parse_listen
        from tether.server.exposure import check_exposure

        config = load_config(args.config)
        listen = config.server.listen
        check_exposure(config, listen, parse_listen(listen, "[server].listen"))
        print(f"{args.config}: ok; listen {config.server.listen}, heartbeat window "
              f"{config.server.heartbeat_window:g} s; motors: "
              f"{', '.join(f'{m.name} ({m.driver})' for m in config.motors) or 'none'}; bases: "
              f"{', '.join(b.name for b in config.bases) or 'none'}"
              + "".join(f"; {kind}: {', '.join(names)}" for kind, names in (
                  ("encoders", [f"{e.name} ({e.driver})" for e in config.encoders]),
                  ("odometry", [o.name for o in config.odometry])) if names))
    elif args.command == "status":
        from grpclib.exceptions import GRPCError, StreamTerminatedError

        from tether.errors import TetherError
        from tether.status import show_status

        try:
            print(show_status(args.address, api_key=args.api_key, tls=args.tls))
        except PermissionError as exc:
            print(f"tether: {args.address} refused: {exc} (pass --api-key ID:SECRET, and "
                  "--tls CERT if it serves TLS)", file=sys.stderr)
            return 1
        except (OSError, GRPCError, StreamTerminatedError, TimeoutError, TetherError) as exc:
            print(f"tether: no daemon answering at {args.address}: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
