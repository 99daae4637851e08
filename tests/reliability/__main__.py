"""`python -m tests.reliability --events 10000 --faults`: one reliability run, its report as JSON; exit 1 on any
violation (an event lost, doubled or leaked, a double alert, a silent model failure, a queue left undrained)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import get_args

from .runner import RunConfig, Scenario, run, scenario_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability", description=__doc__)
    parser.add_argument("--events", type=int, default=10_000, help="HTTP posts (the mix includes invalid ones)")
    parser.add_argument("--faults", action="store_true", help="all the issue's faults at once (= --scenario faults)")
    parser.add_argument("--scenario", choices=get_args(Scenario), default=None)
    parser.add_argument("--concurrency", type=int, default=16, help="HTTP clients posting at once")
    workers = RunConfig.model_fields["workers"].default
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"concurrent score function containers (default {workers}, 2 for redelivery)",
    )
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--time-limit", type=float, default=1200.0, help="seconds for posting and draining")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here (JSON)")
    args = parser.parse_args(argv)
    # `timeout` and Ctrl-C end the run through the finally blocks, so moto's child process is stopped too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    scenario: Scenario = args.scenario or ("faults" if args.faults else "load")
    settings = scenario_config(scenario)
    if args.workers is not None:
        settings["workers"] = args.workers
    config = RunConfig(
        events=args.events, seed=args.seed, concurrency=args.concurrency, time_limit_s=args.time_limit, **settings
    )
    if args.out is not None:  # before the run, so a path that cannot be written fails now, not after the load
        args.out.parent.mkdir(parents=True, exist_ok=True)
    report = run(config)
    text = json.dumps({"scenario": scenario, **report.summary()}, indent=2)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
