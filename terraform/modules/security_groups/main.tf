# The four security groups and every rule between them. Only the ALB accepts traffic from the
# internet (80/443); ECS hosts accept the ephemeral range only from the ALB (dynamic host ports)
# and the monitoring host; the database accepts 3306 only from ECS hosts and the monitoring host;
# monitoring ports are open only to the admin allowlist (and Grafana to the ALB).

locals {
  # ECS bridge networking with hostPort = 0: Docker maps each task to a port in this range.
  ephemeral_port_from = 32768
  ephemeral_port_to   = 65535
  mysql_port          = 3306
  node_exporter_port  = 9100
  https_port          = 443
  anywhere_ipv4       = "0.0.0.0/0"

  monitoring_ports = {
    prometheus   = 9090
    alertmanager = 9093
    grafana      = 3000
  }

  monitoring_allowlist_rules = {
    for pair in setproduct(keys(local.monitoring_ports), var.admin_allowlist_cidrs) :
    "${pair[0]}-${pair[1]}" => { service = pair[0], port = local.monitoring_ports[pair[0]], cidr = pair[1] }
  }
}

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (alb, ecs, rds and monitoring_host modules take the group IDs from its outputs).
  name        = "${var.name}-alb"
  description = "Application load balancer: HTTP and HTTPS from the internet"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-alb" }
}

resource "aws_security_group" "ecs_hosts" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (alb, ecs, rds and monitoring_host modules take the group IDs from its outputs).
  name        = "${var.name}-ecs-hosts"
  description = "ECS container instances: dynamic task ports from the ALB and the monitoring host"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-ecs-hosts" }
}

resource "aws_security_group" "rds" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (alb, ecs, rds and monitoring_host modules take the group IDs from its outputs).
  name        = "${var.name}-rds"
  description = "MySQL: 3306 from the ECS hosts and the monitoring host only"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-rds" }
}

resource "aws_security_group" "monitoring" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (alb, ecs, rds and monitoring_host modules take the group IDs from its outputs).
  name        = "${var.name}-monitoring"
  description = "Prometheus, Alertmanager, Grafana: admin allowlist and the ALB only"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-monitoring" }
}

# --- ALB --------------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:Port 80 only answers a permanent redirect to HTTPS (aws_lb_listener.http); nothing is served over HTTP.
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from anywhere (redirected to HTTPS)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = local.anywhere_ipv4
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from anywhere"
  ip_protocol       = "tcp"
  from_port         = local.https_port
  to_port           = local.https_port
  cidr_ipv4         = local.anywhere_ipv4
}

resource "aws_vpc_security_group_egress_rule" "alb_to_ecs_hosts" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the dynamic host ports of the ECS tasks"
  ip_protocol                  = "tcp"
  from_port                    = local.ephemeral_port_from
  to_port                      = local.ephemeral_port_to
  referenced_security_group_id = aws_security_group.ecs_hosts.id
}

resource "aws_vpc_security_group_egress_rule" "alb_to_grafana" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To Grafana on the monitoring host"
  ip_protocol                  = "tcp"
  from_port                    = local.monitoring_ports.grafana
  to_port                      = local.monitoring_ports.grafana
  referenced_security_group_id = aws_security_group.monitoring.id
}

# --- ECS hosts --------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "ecs_hosts_from_alb" {
  security_group_id            = aws_security_group.ecs_hosts.id
  description                  = "Dynamic task ports from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = local.ephemeral_port_from
  to_port                      = local.ephemeral_port_to
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_ingress_rule" "ecs_hosts_from_monitoring" {
  security_group_id            = aws_security_group.ecs_hosts.id
  description                  = "Prometheus scrapes the actuator of each task on its dynamic port"
  ip_protocol                  = "tcp"
  from_port                    = local.ephemeral_port_from
  to_port                      = local.ephemeral_port_to
  referenced_security_group_id = aws_security_group.monitoring.id
}

resource "aws_vpc_security_group_ingress_rule" "ecs_hosts_node_exporter" {
  security_group_id            = aws_security_group.ecs_hosts.id
  description                  = "Prometheus scrapes the node exporter of each host"
  ip_protocol                  = "tcp"
  from_port                    = local.node_exporter_port
  to_port                      = local.node_exporter_port
  referenced_security_group_id = aws_security_group.monitoring.id
}

resource "aws_vpc_security_group_egress_rule" "ecs_hosts_https" {
  security_group_id = aws_security_group.ecs_hosts.id
  description       = "HTTPS to AWS APIs (ECS, ECR, CloudWatch, Secrets Manager, S3) through NAT"
  ip_protocol       = "tcp"
  from_port         = local.https_port
  to_port           = local.https_port
  cidr_ipv4         = local.anywhere_ipv4
}

resource "aws_vpc_security_group_egress_rule" "ecs_hosts_to_rds" {
  security_group_id            = aws_security_group.ecs_hosts.id
  description                  = "MySQL"
  ip_protocol                  = "tcp"
  from_port                    = local.mysql_port
  to_port                      = local.mysql_port
  referenced_security_group_id = aws_security_group.rds.id
}

resource "aws_vpc_security_group_egress_rule" "ecs_hosts_in_vpc_services" {
  for_each = toset([for port in var.in_vpc_service_ports : tostring(port)])

  security_group_id = aws_security_group.ecs_hosts.id
  description       = "Service port ${each.value} inside the VPC"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_ipv4         = var.vpc_cidr
}

# --- RDS --------------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "rds_from_ecs_hosts" {
  security_group_id            = aws_security_group.rds.id
  description                  = "MySQL from the ECS hosts"
  ip_protocol                  = "tcp"
  from_port                    = local.mysql_port
  to_port                      = local.mysql_port
  referenced_security_group_id = aws_security_group.ecs_hosts.id
}

resource "aws_vpc_security_group_ingress_rule" "rds_from_monitoring" {
  security_group_id            = aws_security_group.rds.id
  description                  = "MySQL from the monitoring host (mysqld exporter, imports)"
  ip_protocol                  = "tcp"
  from_port                    = local.mysql_port
  to_port                      = local.mysql_port
  referenced_security_group_id = aws_security_group.monitoring.id
}

# --- Monitoring -------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "monitoring_allowlist" {
  for_each = local.monitoring_allowlist_rules

  security_group_id = aws_security_group.monitoring.id
  description       = "${title(each.value.service)} from the admin allowlist"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
}

resource "aws_vpc_security_group_ingress_rule" "monitoring_grafana_from_alb" {
  security_group_id            = aws_security_group.monitoring.id
  description                  = "Grafana from the ALB (monitoring sub-domain)"
  ip_protocol                  = "tcp"
  from_port                    = local.monitoring_ports.grafana
  to_port                      = local.monitoring_ports.grafana
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "monitoring_https" {
  security_group_id = aws_security_group.monitoring.id
  description       = "HTTPS to AWS APIs (CloudWatch, EC2, ECS, SSM, Secrets Manager) and packages through NAT"
  ip_protocol       = "tcp"
  from_port         = local.https_port
  to_port           = local.https_port
  cidr_ipv4         = local.anywhere_ipv4
}

resource "aws_vpc_security_group_egress_rule" "monitoring_to_ecs_tasks" {
  security_group_id            = aws_security_group.monitoring.id
  description                  = "Scrape the tasks on their dynamic ports"
  ip_protocol                  = "tcp"
  from_port                    = local.ephemeral_port_from
  to_port                      = local.ephemeral_port_to
  referenced_security_group_id = aws_security_group.ecs_hosts.id
}

resource "aws_vpc_security_group_egress_rule" "monitoring_to_node_exporters" {
  security_group_id = aws_security_group.monitoring.id
  description       = "Scrape the node exporters inside the VPC"
  ip_protocol       = "tcp"
  from_port         = local.node_exporter_port
  to_port           = local.node_exporter_port
  cidr_ipv4         = var.vpc_cidr
}

resource "aws_vpc_security_group_egress_rule" "monitoring_to_rds" {
  security_group_id            = aws_security_group.monitoring.id
  description                  = "MySQL (mysqld exporter)"
  ip_protocol                  = "tcp"
  from_port                    = local.mysql_port
  to_port                      = local.mysql_port
  referenced_security_group_id = aws_security_group.rds.id
}

resource "aws_vpc_security_group_egress_rule" "monitoring_in_vpc_services" {
  for_each = toset([for port in var.in_vpc_service_ports : tostring(port)])

  security_group_id = aws_security_group.monitoring.id
  description       = "Service port ${each.value} inside the VPC (exporters)"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.value)
  to_port           = tonumber(each.value)
  cidr_ipv4         = var.vpc_cidr
}
