output "heartbeat_alarm_name" {
  description = "Alarm on the monitoring host's heartbeat (missing data is breaching)."
  value       = aws_cloudwatch_metric_alarm.heartbeat.alarm_name
}

output "status_check_alarm_name" {
  description = "Alarm on the monitoring instance's EC2 status checks."
  value       = aws_cloudwatch_metric_alarm.monitoring_status_check.alarm_name
}

output "job_alarm_names" {
  description = "Alarm of each scheduled job on its JobSucceeded metric, by job."
  value       = { for job, alarm in aws_cloudwatch_metric_alarm.job : job => alarm.alarm_name }
}

output "heartbeat_namespace" {
  description = "Namespace of the Heartbeat metric."
  value       = var.heartbeat_namespace
}

output "jobs_namespace" {
  description = "Namespace of the JobSucceeded metric."
  value       = var.jobs_namespace
}
