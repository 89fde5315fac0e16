"""The embedded AWS of the `local` environment.

moto's real server (the AWS wire protocol on loopback) with a few documented compatibility patches
(`emulator.patches`), and a local Slack incoming-webhook receiver (`emulator.slack_receiver`).
`python -m emulator start|stop|status|slack-messages` manages both; see `emulator.launcher`.
"""
