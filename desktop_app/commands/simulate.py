"""``desktop-app simulate``: serve the simulated portals until Ctrl+C.

Training and demos run against these instead of the live sites. Each portal listens on
its own port (``--port P`` gives the portals P, P+1, ... and the control host the next
one); faults can be switched on from the start with ``--fault NAME[:k=v,...]``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from desktop_app.simulators.base import FAULT_NAMES
from desktop_app.simulators.server import FIRST_PAGES, SERVER_NAMES, start_simulators

NAME = "simulate"
HELP = "run the simulated Udyam and eMudhra portals (for training and demos)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="first port; the portals take P, P+1, ... (default: any free ports)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME[:k=v,...]",
        help="switch a fault on, e.g. wrong_otp:times=1 (names: "
        + ", ".join(sorted(FAULT_NAMES))
        + ")",
    )


def parse_fault(text: str) -> tuple[str, dict[str, Any]]:
    """``wrong_otp:mobile=9876543210,times=1`` -> ("wrong_otp", {...})."""
    name, _, rest = text.partition(":")
    params: dict[str, Any] = {}
    for pair in filter(None, rest.split(",")):
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"fault parameter {pair!r} should look like key=value")
        value = value.strip()
        # Counts and milliseconds become ints; a mobile number stays text.
        params[key.strip()] = (
            int(value) if value.isdigit() and len(value) < 10 else value
        )
    if name not in FAULT_NAMES:
        raise ValueError(
            f"unknown fault {name!r}; known: {', '.join(sorted(FAULT_NAMES))}"
        )
    return name, params


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    try:
        faults = dict(parse_fault(text) for text in args.fault)
    except ValueError as error:
        sys.stderr.write(f"desktop-app simulate: {error}\n")
        return 2
    ports = (
        {name: args.port + i for i, name in enumerate(SERVER_NAMES)}
        if args.port
        else {}
    )
    try:
        sims = start_simulators(faults=faults, host=args.host, ports=ports)
    except OSError as error:
        sys.stderr.write(f"desktop-app simulate: could not listen: {error}\n")
        return 1
    with sims:
        for name in SERVER_NAMES:
            first = FIRST_PAGES.get(name, "/")
            sys.stdout.write(f"{name:<16} {sims.urls[name]}{first}\n")
        sys.stdout.write(f"{'phone':<16} {sims.urls['control']}/phone\n")
        if faults:
            sys.stdout.write(f"faults on: {', '.join(sorted(faults))}\n")
        sys.stdout.write("Press Ctrl+C to stop.\n")
        sys.stdout.flush()
        try:
            (stop or threading.Event()).wait()
        except KeyboardInterrupt:
            sys.stdout.write("Stopping.\n")
    return 0
