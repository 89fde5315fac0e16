mock_provider "aws" {}

variables {
  name                  = "dailyge-test"
  vpc_id                = "vpc-0123456789abcdef0"
  vpc_cidr              = "10.20.0.0/16"
  admin_allowlist_cidrs = ["203.0.113.10/32", "198.51.100.0/24"]
}

run "only_the_alb_is_open_to_the_internet" {
  assert {
    condition = toset([
      for rule in concat(
        [aws_vpc_security_group_ingress_rule.alb_http, aws_vpc_security_group_ingress_rule.alb_https,
          aws_vpc_security_group_ingress_rule.ecs_hosts_from_alb, aws_vpc_security_group_ingress_rule.ecs_hosts_from_monitoring,
          aws_vpc_security_group_ingress_rule.ecs_hosts_node_exporter, aws_vpc_security_group_ingress_rule.rds_from_ecs_hosts,
        aws_vpc_security_group_ingress_rule.rds_from_monitoring, aws_vpc_security_group_ingress_rule.monitoring_grafana_from_alb],
        values(aws_vpc_security_group_ingress_rule.monitoring_allowlist)
      ) : "${rule.security_group_id}:${rule.from_port}" if rule.cidr_ipv4 == "0.0.0.0/0"
    ]) == toset(["${aws_security_group.alb.id}:80", "${aws_security_group.alb.id}:443"])
    error_message = "The only ingress from 0.0.0.0/0 must be ALB 80 and 443."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.alb_https.from_port == 443 && aws_vpc_security_group_ingress_rule.alb_https.to_port == 443
    error_message = "The ALB must accept HTTPS on 443."
  }
}

run "ecs_hosts_accept_the_ephemeral_range_from_the_alb" {
  assert {
    condition     = aws_vpc_security_group_ingress_rule.ecs_hosts_from_alb.from_port == 32768 && aws_vpc_security_group_ingress_rule.ecs_hosts_from_alb.to_port == 65535
    error_message = "ECS hosts must accept the dynamic port range 32768-65535."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.ecs_hosts_from_alb.referenced_security_group_id == aws_security_group.alb.id && aws_vpc_security_group_ingress_rule.ecs_hosts_from_alb.cidr_ipv4 == null
    error_message = "The dynamic port range must be open to the ALB's security group only."
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.alb_to_ecs_hosts.from_port == 32768 && aws_vpc_security_group_egress_rule.alb_to_ecs_hosts.referenced_security_group_id == aws_security_group.ecs_hosts.id
    error_message = "The ALB must be allowed out to the ECS hosts' dynamic ports."
  }
}

run "database_only_from_ecs_hosts_and_monitoring" {
  assert {
    condition     = toset([aws_vpc_security_group_ingress_rule.rds_from_ecs_hosts.referenced_security_group_id, aws_vpc_security_group_ingress_rule.rds_from_monitoring.referenced_security_group_id]) == toset([aws_security_group.ecs_hosts.id, aws_security_group.monitoring.id])
    error_message = "MySQL must be reachable from the ECS hosts and monitoring groups only."
  }

  assert {
    condition     = alltrue([for rule in [aws_vpc_security_group_ingress_rule.rds_from_ecs_hosts, aws_vpc_security_group_ingress_rule.rds_from_monitoring] : rule.from_port == 3306 && rule.to_port == 3306 && rule.cidr_ipv4 == null])
    error_message = "The database accepts 3306 only, and from no CIDR."
  }
}

run "monitoring_ports_only_from_the_allowlist" {
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.monitoring_allowlist) == 6
    error_message = "Expected 9090, 9093 and 3000 for each of the two allowlisted CIDRs."
  }

  assert {
    condition     = toset([for rule in aws_vpc_security_group_ingress_rule.monitoring_allowlist : rule.from_port]) == toset([9090, 9093, 3000])
    error_message = "The monitoring group must open exactly 9090, 9093 and 3000."
  }

  assert {
    condition     = toset([for rule in aws_vpc_security_group_ingress_rule.monitoring_allowlist : rule.cidr_ipv4]) == toset(["203.0.113.10/32", "198.51.100.0/24"])
    error_message = "The monitoring ports must be open to the allowlisted CIDRs only."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.monitoring_grafana_from_alb.from_port == 3000 && aws_vpc_security_group_ingress_rule.monitoring_grafana_from_alb.referenced_security_group_id == aws_security_group.alb.id
    error_message = "Grafana must be reachable from the ALB (monitoring sub-domain)."
  }
}

run "world_in_the_allowlist_is_refused" {
  command = plan

  variables {
    admin_allowlist_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.admin_allowlist_cidrs]
}

run "every_rule_is_in_the_managed_set" {
  # 8 single ingress rules + 6 allowlist rules, 8 single egress rules + 2 x 2 in-VPC service ports.
  assert {
    condition     = length(output.managed_rule_ids) == 26 && length(toset(output.managed_rule_ids)) == 26
    error_message = "managed_rule_ids must list every rule resource of the module, once each."
  }

  assert {
    condition = alltrue([for rule in concat(values(aws_vpc_security_group_ingress_rule.monitoring_allowlist), values(aws_vpc_security_group_egress_rule.ecs_hosts_in_vpc_services)) :
    contains(output.managed_rule_ids, rule.security_group_rule_id)])
    error_message = "The for_each rules must be in managed_rule_ids."
  }

  assert {
    condition     = keys(output.security_group_ids) == ["alb", "ecs_hosts", "monitoring", "rds"]
    error_message = "security_group_ids must name the four groups."
  }
}
