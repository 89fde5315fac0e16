output "function_name" {
  description = "Name of the Slack notifier Lambda."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Slack notifier Lambda."
  value       = aws_lambda_function.this.arn
}

output "webhook_secret_name" {
  description = "Name of the secret the secrets phase fills with the Slack webhook URL."
  value       = aws_secretsmanager_secret.webhook.name
}

output "log_group_name" {
  description = "Log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}
