#!/usr/bin/env python3
# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cron job of the monitoring host: refresh Prometheus's ECS file_sd targets once, print one line.

`python3 refresh_ecs_targets.py --cluster ... --service ... --dest ...`. It imports ecs_targets.py (the
collection's module_utils, copied beside it by roles/prometheus), boto3 and the standard library: no
Ansible on the monitoring host. The command line lives here, not in module_utils, where print and
sys.exit have no place.
"""

from __future__ import annotations

import argparse
import os
import sys

import ecs_targets


def main(argv: list[str] | None = None) -> int:
    """The cron entry point: refresh the file once, print one line, exit non-zero on failure."""
    parser = argparse.ArgumentParser(description="Write Prometheus file_sd targets for the running ECS tasks.")
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--service", action="append", required=True, dest="services")
    parser.add_argument("--dest", required=True)
    parser.add_argument("--container-port", type=int, default=8080)
    parser.add_argument("--container-name")
    parser.add_argument("--label", action="append", default=[], help="extra label NAME=VALUE")
    parser.add_argument("--region")
    # Debian's boto3 (bookworm: 1.26) predates botocore's own AWS_ENDPOINT_URL support: read it here.
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL") or None)
    args = parser.parse_args(argv)
    labels = dict(item.split("=", 1) for item in args.label)

    import boto3  # only here: the module imports this file without needing boto3 at import time
    import botocore.exceptions

    session = boto3.session.Session(region_name=args.region)
    try:
        result = ecs_targets.refresh(
            session.client("ecs", endpoint_url=args.endpoint_url),
            session.client("ec2", endpoint_url=args.endpoint_url),
            args.cluster,
            args.services,
            args.dest,
            args.container_port,
            args.container_name,
            labels,
        )
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, OSError) as exc:
        print(f"ecs_targets: refresh of {args.dest} failed: {exc}", file=sys.stderr)
        return 1
    state = "written" if result["changed"] else "unchanged"
    print(
        f"ecs_targets: {len(result['groups'])} targets ({len(result['skipped'])} skipped), "
        f"{sum(result['calls'].values())} API calls, {args.dest} {state}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
