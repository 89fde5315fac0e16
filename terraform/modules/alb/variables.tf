variable "name" {
  description = "Name prefix of every resource, e.g. dailyge-prod (at most 24 characters: target group names are limited to 32)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "ID of the VPC of the target groups."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets of the ALB, at least two zones."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2 && alltrue([for id in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "public_subnet_ids must list at least two subnet IDs (subnet-...)."
  }
}

variable "security_group_id" {
  description = "Security group of the ALB."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.security_group_id))
    error_message = "security_group_id must be a security group ID (sg-...)."
  }
}

variable "certificate_arn" {
  description = "ARN of the validated ACM certificate of the HTTPS listener."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener; only TLS 1.2+ policies are accepted."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition = contains([
      "ELBSecurityPolicy-TLS13-1-2-2021-06",
      "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
      "ELBSecurityPolicy-TLS13-1-3-2021-06",
      "ELBSecurityPolicy-TLS-1-2-2017-01",
      "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
      "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    ], var.ssl_policy)
    error_message = "ssl_policy must be a TLS 1.2+ ELB security policy, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06."
  }
}

variable "api_hostnames" {
  description = "Host names forwarded to the API target group (api, api-dev, api-docs)."
  type        = list(string)

  validation {
    condition     = length(var.api_hostnames) >= 1 && length(var.api_hostnames) <= 5
    error_message = "api_hostnames must list 1 to 5 host names (the ALB's limit per host-header condition)."
  }
}

variable "monitoring_hostname" {
  description = "Host name forwarded to Grafana on the monitoring host."
  type        = string

  validation {
    condition     = length(var.monitoring_hostname) > 0
    error_message = "monitoring_hostname must not be empty."
  }
}

variable "api_port" {
  description = "Container port of the API (the ECS tasks are registered on their dynamic host ports)."
  type        = number
  default     = 8080

  validation {
    condition     = var.api_port >= 1 && var.api_port <= 65535
    error_message = "api_port must be a TCP port."
  }
}

variable "health_check_path" {
  description = "Health check path of the API target group."
  type        = string
  default     = "/api/health-check"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "grafana_port" {
  description = "Port of Grafana on the monitoring host."
  type        = number
  default     = 3000

  validation {
    condition     = var.grafana_port >= 1 && var.grafana_port <= 65535
    error_message = "grafana_port must be a TCP port."
  }
}

variable "deregistration_delay_seconds" {
  description = "Seconds the ALB drains a task before deregistering it."
  type        = number
  default     = 30

  validation {
    condition     = var.deregistration_delay_seconds >= 0 && var.deregistration_delay_seconds <= 3600
    error_message = "deregistration_delay_seconds must be 0-3600."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the ALB (true in prod)."
  type        = bool
  default     = true
}

variable "access_logs_bucket" {
  description = "S3 bucket (SSE-S3) receiving the access logs."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_logs_bucket))
    error_message = "access_logs_bucket must be an S3 bucket name."
  }
}

variable "access_logs_prefix" {
  description = "Key prefix of the access logs in the bucket."
  type        = string
  default     = "alb-access-logs"

  validation {
    condition     = !startswith(var.access_logs_prefix, "/") && !endswith(var.access_logs_prefix, "/")
    error_message = "access_logs_prefix must not start or end with /."
  }
}
