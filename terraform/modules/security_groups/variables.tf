variable "name" {
  description = "Name prefix of every security group, e.g. dailyge-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the groups belong to."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC: destination of the in-VPC egress (cache, document store, exporters)."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be an IPv4 CIDR."
  }
}

variable "admin_allowlist_cidrs" {
  description = "CIDRs allowed to reach Prometheus (9090), Alertmanager (9093) and Grafana (3000) directly."
  type        = list(string)

  validation {
    condition     = length(var.admin_allowlist_cidrs) > 0 && alltrue([for cidr in var.admin_allowlist_cidrs : can(cidrhost(cidr, 0)) && !endswith(cidr, "/0")])
    error_message = "admin_allowlist_cidrs must list at least one IPv4 CIDR, none of them /0 (no monitoring port is open to the world)."
  }
}

variable "in_vpc_service_ports" {
  description = "TCP ports of services inside the VPC that ECS hosts and the monitoring host may reach (Redis, MongoDB)."
  type        = list(number)
  default     = [6379, 27017]

  validation {
    condition     = alltrue([for port in var.in_vpc_service_ports : port >= 1 && port <= 65535 && floor(port) == port])
    error_message = "in_vpc_service_ports must be TCP port numbers (1-65535)."
  }
}
