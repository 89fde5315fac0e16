variable "name" {
  description = "Name prefix of the instance and its IAM role, e.g. dailyge-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "subnet_id" {
  description = "Private subnet of the monitoring host."
  type        = string

  validation {
    condition     = can(regex("^subnet-[0-9a-f]+$", var.subnet_id))
    error_message = "subnet_id must be a subnet ID (subnet-...)."
  }
}

variable "security_group_id" {
  description = "Security group of the monitoring host (the monitoring group)."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.security_group_id))
    error_message = "security_group_id must be a security group ID (sg-...)."
  }
}

variable "ami_id" {
  description = "AMI of the monitoring host; null reads the latest Debian 12 AMI from ami_ssm_parameter_name (dev, prod)."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be null or an AMI ID (ami-...)."
  }
}

variable "ami_ssm_parameter_name" {
  description = "Public SSM parameter holding the Debian 12 AMI (used when ami_id is null); the monitoring roles install Debian packages."
  type        = string
  default     = "/aws/service/debian/release/bookworm/latest/amd64"

  validation {
    condition     = startswith(var.ami_ssm_parameter_name, "/aws/service/")
    error_message = "ami_ssm_parameter_name must be a public /aws/service/ parameter."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the monitoring host."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like t3.small."
  }
}

variable "root_volume_size_gb" {
  description = "Root volume in GiB (Prometheus keeps its time series there)."
  type        = number
  default     = 30

  validation {
    condition     = var.root_volume_size_gb >= 8 && var.root_volume_size_gb <= 1024
    error_message = "root_volume_size_gb must be 8-1024."
  }
}

variable "app_config_secret_arn" {
  description = "ARN of the application config secret the monitoring host may read (exporter credentials)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.app_config_secret_arn))
    error_message = "app_config_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "app_config_kms_key_arn" {
  description = "ARN of the KMS key of the application config secret."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.app_config_kms_key_arn))
    error_message = "app_config_kms_key_arn must be a KMS key ARN."
  }
}

variable "grafana_target_group_arn" {
  description = "ALB target group of Grafana (the monitoring sub-domain); the host is registered in it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:.*:targetgroup/", var.grafana_target_group_arn))
    error_message = "grafana_target_group_arn must be an ELB target group ARN."
  }
}

variable "grafana_port" {
  description = "Port Grafana listens on."
  type        = number
  default     = 3000

  validation {
    condition     = var.grafana_port >= 1 && var.grafana_port <= 65535
    error_message = "grafana_port must be a TCP port."
  }
}

variable "metric_namespaces" {
  description = "CloudWatch namespaces the host may publish to (cloudwatch:PutMetricData): the watchdog's heartbeat and the scheduled jobs' results."
  type        = list(string)
  default     = ["Dailyge/Watchdog", "Dailyge/Jobs"]

  validation {
    condition     = length(var.metric_namespaces) > 0 && alltrue([for namespace in var.metric_namespaces : !startswith(namespace, "AWS/")])
    error_message = "metric_namespaces must list at least one custom namespace (none under AWS/)."
  }
}
