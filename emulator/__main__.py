"""Command line of the embedded AWS emulator: start | stop | status | slack-messages | evaluate-alarms | push-image."""

from __future__ import annotations

import argparse
import sys

from emulator import images, launcher, slack_receiver


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=launcher.__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("start", help="start the emulator, or reuse the one already running")
    commands.add_parser("stop", help="stop the emulator (nothing to do when it is not running)")
    commands.add_parser("status", help="exit 0 when the emulator answers, 3 when it does not")
    messages = commands.add_parser("slack-messages", help="print the last messages of the local Slack receiver")
    messages.add_argument("-n", "--count", type=int, default=5)
    evaluate = commands.add_parser(
        "evaluate-alarms", help="evaluate the CloudWatch alarms now (or --at a time) and print the state changes"
    )
    evaluate.add_argument("--at", default="", help="evaluation time: ISO 8601 (UTC when no offset) or epoch seconds")
    push = commands.add_parser("push-image", help="put an image's manifest into the emulator's ECR; print its digest")
    push.add_argument("--repository", required=True, help="ECR repository name")
    push.add_argument("--tag", required=True, help="image tag (the build's commit)")
    push.add_argument("--failing", action="store_true", help="an image whose tasks fail to start (circuit breaker)")
    args = parser.parse_args(argv)

    try:
        settings = launcher.Settings.from_env()
        if args.command == "start":
            answer = launcher.start(settings)
            verb = "already running" if answer["reused"] else "started"
            print(
                f"emulator {verb}: AWS API {settings.endpoint} (pid {answer['pid']}), "
                f"Slack receiver http://127.0.0.1:{answer['slack_port']}, state {settings.state_dir}"
            )
        elif args.command == "stop":
            print("emulator stopped" if launcher.stop(settings) else "emulator was not running")
        elif args.command == "status":
            answer = launcher.health(settings)
            if answer is None:
                print(f"emulator is not running on {settings.endpoint}")
                return 3
            print(
                f"emulator running: {settings.endpoint} (pid {answer['pid']}), patches: {', '.join(answer['patches'])}"
            )
        elif args.command == "evaluate-alarms":
            answer = launcher.evaluate_alarms(settings, args.at)
            print(f"alarms evaluated at {answer['now']}: {len(answer['changes'])} state changes")
            for change in answer["changes"]:
                topics = ", ".join(change["notified"]) or "no action"
                print(f"  {change['alarm']}: {change['old']} -> {change['new']} ({topics}): {change['reason']}")
        elif args.command == "push-image":
            if launcher.health(settings) is None:
                raise launcher.EmulatorError(
                    f"emulator is not running on {settings.endpoint}: python -m emulator start"
                )
            pushed = images.push_image(
                images.ecr_client(settings.endpoint), args.repository, args.tag, failing=args.failing
            )
            print(pushed.digest)
        else:
            found = slack_receiver.last_messages(settings.slack_log, args.count)
            if not found:
                print(f"no Slack messages recorded yet ({settings.slack_log})")
            for message in found:
                print(slack_receiver.summary(message))
    except images.PushError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 1
    except launcher.EmulatorError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
