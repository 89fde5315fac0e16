output "log_group_names" {
  description = "Names of the CloudWatch log groups, by purpose (api, waf)."
  value       = { for key, group in aws_cloudwatch_log_group.this : key => group.name }
}

output "log_group_arns" {
  description = "ARNs of the CloudWatch log groups, by purpose (api, waf)."
  value       = { for key, group in aws_cloudwatch_log_group.this : key => group.arn }
}

output "log_retention_days" {
  description = "Days CloudWatch keeps the logs."
  value       = var.log_retention_days
}

output "kms_key_arn" {
  description = "ARN of the KMS key of the log groups, the alarm topic and the ECR repository."
  value       = aws_kms_key.observability.arn
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the alarms publish to."
  value       = aws_sns_topic.alarms.arn
}

output "ecs_cpu_alarm_name" {
  description = "Name of the CPU alarm of the API service."
  value       = aws_cloudwatch_metric_alarm.ecs_api_cpu_high.alarm_name
}

output "archive_bucket_name" {
  description = "Name of the archive bucket (exported logs, ALB access logs, VPC flow logs, heap dumps)."
  value       = aws_s3_bucket.archive.id

  # Producers (ALB access logs, flow logs) check the bucket policy when they are configured.
  depends_on = [aws_s3_bucket_policy.archive]
}

output "archive_bucket_arn" {
  description = "ARN of the archive bucket."
  value       = aws_s3_bucket.archive.arn

  depends_on = [aws_s3_bucket_policy.archive]
}

output "archive_prefixes" {
  description = "Key prefix of each producer in the archive bucket."
  value       = local.archive_prefixes
}

output "ecr_repository_url" {
  description = "URL of the ECR repository of the API image."
  value       = aws_ecr_repository.api.repository_url
}

output "ecr_repository_name" {
  description = "Name of the ECR repository of the API image."
  value       = aws_ecr_repository.api.name
}

output "ecr_repository_arn" {
  description = "ARN of the ECR repository of the API image."
  value       = aws_ecr_repository.api.arn
}
