output "alb_security_group_id" {
  description = "Security group of the ALB (80/443 from anywhere)."
  value       = aws_security_group.alb.id
}

output "ecs_host_security_group_id" {
  description = "Security group of the ECS container instances (32768-65535 from the ALB and monitoring)."
  value       = aws_security_group.ecs_hosts.id
}

output "rds_security_group_id" {
  description = "Security group of the database (3306 from the ECS hosts and monitoring)."
  value       = aws_security_group.rds.id
}

output "monitoring_security_group_id" {
  description = "Security group of the monitoring host (9090/9093/3000 from the allowlist, 3000 from the ALB)."
  value       = aws_security_group.monitoring.id
}

output "ecs_host_port_range" {
  description = "The ephemeral port range the ALB reaches the tasks on (bridge mode, hostPort = 0)."
  value       = { from = local.ephemeral_port_from, to = local.ephemeral_port_to }
}
