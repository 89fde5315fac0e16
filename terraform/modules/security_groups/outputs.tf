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

output "security_group_ids" {
  description = "ID of every security group of this module, by role (alb, ecs_hosts, rds, monitoring)."
  value = {
    alb        = aws_security_group.alb.id
    ecs_hosts  = aws_security_group.ecs_hosts.id
    rds        = aws_security_group.rds.id
    monitoring = aws_security_group.monitoring.id
  }
}

# The separate aws_vpc_security_group_*_rule resources each see only their own rule: a rule added
# by hand to one of these groups is invisible to Terraform. Ansible (dailyge.infra.security_group_exclusive_rules)
# treats this list as the whole set and reports (drift check) or revokes (deploy) every other rule.
output "managed_rule_ids" {
  description = "Security group rule IDs (sgr-...) of every ingress and egress rule this module manages, sorted."
  value = sort(concat(
    [for rule in [
      aws_vpc_security_group_ingress_rule.alb_http,
      aws_vpc_security_group_ingress_rule.alb_https,
      aws_vpc_security_group_ingress_rule.ecs_hosts_from_alb,
      aws_vpc_security_group_ingress_rule.ecs_hosts_from_monitoring,
      aws_vpc_security_group_ingress_rule.ecs_hosts_node_exporter,
      aws_vpc_security_group_ingress_rule.rds_from_ecs_hosts,
      aws_vpc_security_group_ingress_rule.rds_from_monitoring,
      aws_vpc_security_group_ingress_rule.monitoring_grafana_from_alb,
      aws_vpc_security_group_egress_rule.alb_to_ecs_hosts,
      aws_vpc_security_group_egress_rule.alb_to_grafana,
      aws_vpc_security_group_egress_rule.ecs_hosts_https,
      aws_vpc_security_group_egress_rule.ecs_hosts_to_rds,
      aws_vpc_security_group_egress_rule.monitoring_https,
      aws_vpc_security_group_egress_rule.monitoring_to_ecs_tasks,
      aws_vpc_security_group_egress_rule.monitoring_to_node_exporters,
      aws_vpc_security_group_egress_rule.monitoring_to_rds,
    ] : rule.security_group_rule_id],
    [for rule in aws_vpc_security_group_ingress_rule.monitoring_allowlist : rule.security_group_rule_id],
    [for rule in aws_vpc_security_group_egress_rule.ecs_hosts_in_vpc_services : rule.security_group_rule_id],
    [for rule in aws_vpc_security_group_egress_rule.monitoring_in_vpc_services : rule.security_group_rule_id],
  ))
}
