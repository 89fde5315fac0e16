output "app_config_secret_arn" {
  description = "ARN of the application config secret (the value is written by the secrets play)."
  value       = aws_secretsmanager_secret.app_config.arn
}

output "app_config_secret_name" {
  description = "Name of the application config secret."
  value       = aws_secretsmanager_secret.app_config.name
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the application config secret."
  value       = aws_kms_key.app_config.arn
}
