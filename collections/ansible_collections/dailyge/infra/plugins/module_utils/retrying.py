# Copyright: Dailyge infrastructure team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The retry policy of the project's AWS modules (amazon.aws's jittered backoff).

AWSRetry already retries `Throttling`, `RequestLimitExceeded`, `TooManyRequestsException` and the
5xx codes; the JSON-protocol services (CloudWatch Logs) throttle with `ThrottlingException` and S3
with `SlowDown`, so both are added.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

EXTRA_RETRY_CODES = ["ThrottlingException", "SlowDown"]


def retry_decorator(retries: int = 10, delay: float = 2, max_delay: float = 30):
    """Decorator for `module.client(..., retry_decorator=...)`; calls opt in with `aws_retry=True`."""
    return AWSRetry.jittered_backoff(
        retries=retries, delay=delay, max_delay=max_delay, catch_extra_error_codes=EXTRA_RETRY_CODES
    )
