# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter `dailyge.infra.cron_schedule`: the five cron time fields of a daily or weekly job.

The jobs are specified in Asia/Seoul wall time (`CRON_TZ=Asia/Seoul`). cronie (Amazon Linux, the
monitoring host of dev and prod) honours CRON_TZ; Debian's cron (3.0pl1, this machine) ignores it
and reads the schedule in the host's own time zone. For such a cron the schedule is shifted to
the host's UTC offset, so the job still starts at the Seoul time:

    {{ {'hour': 3, 'minute': 0} | dailyge.infra.cron_schedule('Asia/Seoul', '+0000') }}  ->  '0 18 * * *'
    {{ {'hour': 3, 'minute': 0} | dailyge.infra.cron_schedule('Asia/Seoul') }}           ->  '0 3 * * *'

Weekly jobs (`weekday`, 0 = Sunday as in cron) move to the previous or next weekday when the shift
crosses midnight. The host's offset is taken as fixed (no daylight saving on the ops hosts).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.dailyge.infra.plugins.module_utils.local_days import zone

OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def offset_minutes(text: str) -> int:
    """Minutes east of UTC of '+0900', '-05:30', 'Z'."""
    if text in ("Z", "UTC"):
        return 0
    match = OFFSET.match(text)
    if not match:
        raise AnsibleFilterError(f"'{text}' is not a UTC offset such as +0000 or +09:00")
    sign = 1 if match.group(1) == "+" else -1
    return sign * (int(match.group(2)) * 60 + int(match.group(3)))


def cron_schedule(spec: dict[str, Any], timezone: str, host_offset: str | None = None) -> str:
    """'M H * * W' for spec {hour, minute[, weekday]} in `timezone`, shifted to host_offset when given."""
    try:
        hour, minute = int(spec["hour"]), int(spec["minute"])
        weekday = spec.get("weekday")
        weekday = None if weekday in (None, "", "*") else int(weekday) % 7
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"a schedule needs integer hour and minute (and optional weekday): {spec}") from exc
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise AnsibleFilterError(f"hour must be 0-23 and minute 0-59: {spec}")
    day_shift = 0
    if host_offset is not None:
        try:
            source = zone(timezone).utcoffset(datetime(2026, 1, 1))
        except ValueError as exc:
            raise AnsibleFilterError(str(exc)) from exc
        total = hour * 60 + minute - int(source / timedelta(minutes=1)) + offset_minutes(host_offset)
        day_shift, total = divmod(total, 24 * 60)
        hour, minute = divmod(total, 60)
    weekday_field = "*" if weekday is None else str((weekday + day_shift) % 7)
    return f"{minute} {hour} * * {weekday_field}"


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"cron_schedule": cron_schedule}
