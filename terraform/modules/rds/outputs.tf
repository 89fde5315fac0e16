output "instance_identifier" {
  description = "Identifier of the DB instance."
  value       = aws_db_instance.this.identifier
}

output "instance_arn" {
  description = "ARN of the DB instance."
  value       = aws_db_instance.this.arn
}

output "endpoint" {
  description = "Host name of the DB instance (without the port)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the DB instance."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "Name of the application schema."
  value       = aws_db_instance.this.db_name
}

output "master_username" {
  description = "Master user name (its password lives in the master user secret)."
  value       = aws_db_instance.this.username
}

output "master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret RDS keeps the master password in (the ARN only)."
  value       = try(aws_db_instance.this.master_user_secret[0].secret_arn, null)
}

output "parameter_group_name" {
  description = "Name of the parameter group (utf8mb4, time zone)."
  value       = aws_db_parameter_group.this.name
}

output "subnet_group_name" {
  description = "Name of the DB subnet group."
  value       = aws_db_subnet_group.this.name
}

output "backup_window" {
  description = "Daily automated backup window in UTC."
  value       = aws_db_instance.this.backup_window
}

output "backup_retention_days" {
  description = "Days automated backups are kept."
  value       = aws_db_instance.this.backup_retention_period
}

output "time_zone" {
  description = "time_zone of the server."
  value       = var.time_zone
}

output "log_group_names" {
  description = "CloudWatch log groups of the exported error and slow query logs."
  value       = [for group in aws_cloudwatch_log_group.exports : group.name]
}
