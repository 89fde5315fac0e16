variable "name" {
  description = "Name prefix of every resource, e.g. dailyge-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment dimension of the heartbeat and job metrics (dailyge_env: local, dev, prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.environment))
    error_message = "environment must be 1-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic every alarm notifies on ALARM and OK (observability's alarm_topic_arn, posted to Slack by the Slack notifier)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

variable "monitoring_instance_id" {
  description = "EC2 instance of the monitoring host, whose StatusCheckFailed is watched."
  type        = string

  validation {
    condition     = can(regex("^i-[0-9a-f]{8,17}$", var.monitoring_instance_id))
    error_message = "monitoring_instance_id must be an EC2 instance ID (i-...)."
  }
}

variable "heartbeat_namespace" {
  description = "CloudWatch namespace of the heartbeat (the ops host's dailyge-heartbeat publishes Heartbeat there; ops_jobs_heartbeat_namespace)."
  type        = string
  default     = "Dailyge/Watchdog"

  validation {
    condition     = can(regex("^[A-Za-z0-9_./#:-]{1,255}$", var.heartbeat_namespace)) && !startswith(var.heartbeat_namespace, "AWS/")
    error_message = "heartbeat_namespace must be a custom CloudWatch namespace (not AWS/...)."
  }
}

variable "heartbeat_period_seconds" {
  description = "Period of the heartbeat alarm: the host publishes once a minute."
  type        = number
  default     = 60

  validation {
    condition     = var.heartbeat_period_seconds >= 60 && var.heartbeat_period_seconds <= 300 && var.heartbeat_period_seconds % 60 == 0
    error_message = "heartbeat_period_seconds must be a multiple of 60 from 60 to 300."
  }
}

variable "heartbeat_evaluation_periods" {
  description = "Consecutive periods without a heartbeat before the alarm fires (a few: one late cron run is not an outage)."
  type        = number
  default     = 5

  validation {
    condition     = var.heartbeat_evaluation_periods >= 2 && var.heartbeat_evaluation_periods <= 30 && floor(var.heartbeat_evaluation_periods) == var.heartbeat_evaluation_periods
    error_message = "heartbeat_evaluation_periods must be a whole number from 2 to 30."
  }
}

variable "status_check_evaluation_periods" {
  description = "Consecutive one-minute periods of a failed (or missing) status check before the alarm fires."
  type        = number
  default     = 3

  validation {
    condition     = var.status_check_evaluation_periods >= 1 && var.status_check_evaluation_periods <= 60 && floor(var.status_check_evaluation_periods) == var.status_check_evaluation_periods
    error_message = "status_check_evaluation_periods must be a whole number from 1 to 60."
  }
}

variable "jobs_namespace" {
  description = "CloudWatch namespace of the jobs' JobSucceeded metric (ops_jobs_metrics_namespace)."
  type        = string
  default     = "Dailyge/Jobs"

  validation {
    condition     = can(regex("^[A-Za-z0-9_./#:-]{1,255}$", var.jobs_namespace)) && !startswith(var.jobs_namespace, "AWS/")
    error_message = "jobs_namespace must be a custom CloudWatch namespace (not AWS/...)."
  }
}

variable "scheduled_jobs" {
  description = "The scheduled jobs (ops_jobs_schedules, enabled ones) by name, with the longest period between two successes: 86400 for a daily job, 604800 for a weekly one."
  type = map(object({
    period_seconds = number
  }))

  validation {
    condition     = alltrue([for job, spec in var.scheduled_jobs : can(regex("^[a-z][a-z0-9_]{0,40}$", job)) && contains([86400, 604800], spec.period_seconds)])
    error_message = "scheduled_jobs must map job names (lowercase letters, digits, _) to {period_seconds = 86400 (daily) or 604800 (weekly)}."
  }
}
