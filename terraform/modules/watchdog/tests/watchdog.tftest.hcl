mock_provider "aws" {}

variables {
  name                   = "dailyge-test"
  environment            = "test"
  alarm_topic_arn        = "arn:aws:sns:ap-northeast-2:123456789012:dailyge-test-alarms"
  monitoring_instance_id = "i-0123456789abcdef0"
  scheduled_jobs = {
    backup        = { period_seconds = 86400 }
    log_archive   = { period_seconds = 86400 }
    restore_drill = { period_seconds = 604800 }
  }
}

run "silence_fires_every_alarm" {
  command = plan

  assert {
    condition = alltrue(concat(
      [aws_cloudwatch_metric_alarm.heartbeat.treat_missing_data == "breaching", aws_cloudwatch_metric_alarm.monitoring_status_check.treat_missing_data == "breaching"],
      [for alarm in aws_cloudwatch_metric_alarm.job : alarm.treat_missing_data == "breaching"],
    ))
    error_message = "Every watchdog alarm treats missing data as breaching: silence is the failure it watches for."
  }

  assert {
    condition = alltrue([for alarm in concat([aws_cloudwatch_metric_alarm.heartbeat, aws_cloudwatch_metric_alarm.monitoring_status_check], values(aws_cloudwatch_metric_alarm.job)) :
    alarm.alarm_actions == toset([var.alarm_topic_arn]) && alarm.ok_actions == toset([var.alarm_topic_arn])])
    error_message = "Every alarm notifies the alarm topic (the Slack notifier) when it fires and when it recovers."
  }
}

run "the_heartbeat_alarm" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.heartbeat.namespace == "Dailyge/Watchdog" && aws_cloudwatch_metric_alarm.heartbeat.metric_name == "Heartbeat" &&
      aws_cloudwatch_metric_alarm.heartbeat.dimensions == tomap({ Environment = "test" })
    )
    error_message = "The heartbeat alarm watches Dailyge/Watchdog Heartbeat of this environment."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.heartbeat.period == 60 && aws_cloudwatch_metric_alarm.heartbeat.evaluation_periods == 5 &&
      aws_cloudwatch_metric_alarm.heartbeat.threshold == 1 && aws_cloudwatch_metric_alarm.heartbeat.comparison_operator == "LessThanThreshold"
    )
    error_message = "Five one-minute periods without a heartbeat of 1 fire the alarm."
  }
}

run "the_status_check_alarm" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.monitoring_status_check.namespace == "AWS/EC2" &&
      aws_cloudwatch_metric_alarm.monitoring_status_check.metric_name == "StatusCheckFailed" &&
      aws_cloudwatch_metric_alarm.monitoring_status_check.dimensions == tomap({ InstanceId = "i-0123456789abcdef0" }) &&
      aws_cloudwatch_metric_alarm.monitoring_status_check.comparison_operator == "GreaterThanOrEqualToThreshold"
    )
    error_message = "The status check alarm watches the monitoring instance's StatusCheckFailed."
  }
}

run "one_alarm_per_scheduled_job" {
  command = plan

  assert {
    condition     = keys(aws_cloudwatch_metric_alarm.job) == ["backup", "log_archive", "restore_drill"]
    error_message = "Each scheduled job has its own alarm, and no other job."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.job["backup"].alarm_name == "dailyge-test-watchdog-job-backup" &&
      aws_cloudwatch_metric_alarm.job["backup"].namespace == "Dailyge/Jobs" && aws_cloudwatch_metric_alarm.job["backup"].metric_name == "JobSucceeded" &&
      aws_cloudwatch_metric_alarm.job["backup"].dimensions == tomap({ Environment = "test", Job = "backup" })
    )
    error_message = "A job's alarm watches Dailyge/Jobs JobSucceeded with the dimensions Environment and Job."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.job["backup"].period == 86400 && aws_cloudwatch_metric_alarm.job["backup"].evaluation_periods == 1 &&
      aws_cloudwatch_metric_alarm.job["restore_drill"].period == 604800 && aws_cloudwatch_metric_alarm.job["restore_drill"].evaluation_periods == 1
    )
    error_message = "A daily job fires after one day without a success, a weekly one after a week."
  }

  assert {
    condition     = output.job_alarm_names["log_archive"] == "dailyge-test-watchdog-job-log-archive"
    error_message = "The job alarms are output by job."
  }
}

run "a_job_period_other_than_a_day_or_a_week_is_refused" {
  command = plan

  variables {
    scheduled_jobs = { backup = { period_seconds = 3600 } }
  }

  expect_failures = [var.scheduled_jobs]
}

run "a_bad_job_name_is_refused" {
  command = plan

  variables {
    scheduled_jobs = { "Backup Job" = { period_seconds = 86400 } }
  }

  expect_failures = [var.scheduled_jobs]
}

run "a_heartbeat_period_above_five_minutes_is_refused" {
  command = plan

  variables {
    heartbeat_period_seconds = 600
  }

  expect_failures = [var.heartbeat_period_seconds]
}

run "a_bad_instance_id_is_refused" {
  command = plan

  variables {
    monitoring_instance_id = "monitoring"
  }

  expect_failures = [var.monitoring_instance_id]
}
