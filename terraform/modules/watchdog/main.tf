# Watchdog: the dead man's switch outside the monitoring host. Prometheus, Alertmanager and the cron
# jobs all run on that host, so nothing on it can report its own death. CloudWatch can: each alarm
# here treats missing data as breaching, so silence itself fires it, and it notifies the alarm topic
# (which the Slack notifier Lambda posts to Slack) on ALARM and on OK.
#
# - heartbeat: the host publishes <heartbeat_namespace>/Heartbeat (dimension Environment) every
#   minute, only while its Alertmanager holds the always-firing Watchdog alert from Prometheus
#   (roles/ops_jobs, dailyge-heartbeat): a dead host, Prometheus or Alertmanager stops it.
# - status check: the instance's own AWS/EC2 StatusCheckFailed (system or instance check).
# - one alarm per scheduled job: each successful run publishes <jobs_namespace>/JobSucceeded = 1
#   (dimensions Environment, Job; roles/ops_jobs/tasks/job_metric.yml); a period (one day, or one week
#   for a weekly job) without a success fires. The job list is the cron schedule's own
#   (ops_jobs_schedules, handed over by roles/terraform as scheduled_jobs).

locals {
  alarm_actions = [var.alarm_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "heartbeat" {
  alarm_name          = "${var.name}-watchdog-heartbeat"
  alarm_description   = "The monitoring host of ${var.environment} stopped its heartbeat for ${var.heartbeat_period_seconds * var.heartbeat_evaluation_periods / 60} minutes: the host, Prometheus or Alertmanager is down, and its alerts and scheduled jobs with it."
  namespace           = var.heartbeat_namespace
  metric_name         = "Heartbeat"
  statistic           = "Maximum"
  period              = var.heartbeat_period_seconds
  evaluation_periods  = var.heartbeat_evaluation_periods
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    Environment = var.environment
  }
}

resource "aws_cloudwatch_metric_alarm" "monitoring_status_check" {
  alarm_name          = "${var.name}-watchdog-monitoring-status-check"
  alarm_description   = "The monitoring instance ${var.monitoring_instance_id} of ${var.environment} fails its EC2 status checks (or reports none)."
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = var.status_check_evaluation_periods
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    InstanceId = var.monitoring_instance_id
  }
}

resource "aws_cloudwatch_metric_alarm" "job" {
  for_each = var.scheduled_jobs

  alarm_name          = "${var.name}-watchdog-job-${replace(each.key, "_", "-")}"
  alarm_description   = "The scheduled job ${each.key} of ${var.environment} has not succeeded for ${each.value.period_seconds / 86400} day(s): a failed run, or no run at all (the ops host is down)."
  namespace           = var.jobs_namespace
  metric_name         = "JobSucceeded"
  statistic           = "Maximum"
  period              = each.value.period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    Environment = var.environment
    Job         = each.key
  }
}
