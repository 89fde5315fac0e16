# Input variables of the environment, all given by the inventory
# (inventories/<env>/group_vars/all/terraform.yml, key terraform_vars; typed again in
# roles/terraform/meta/argument_specs.yml, and a test keeps the names equal).

variable "environment" {
  description = "Name of the environment; resources are named dailyge-<environment>."
  type        = string

  validation {
    condition     = contains(["local", "dev", "prod"], var.environment)
    error_message = "environment must be local, dev or prod."
  }
}

variable "aws_region" {
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region name such as ap-northeast-2."
  }
}

variable "aws_endpoint_url" {
  description = "Endpoint of the embedded AWS emulator every service of the provider is pointed at (local only)."
  type        = string

  validation {
    condition     = var.aws_endpoint_url != null && can(regex("^https?://(127\\.0\\.0\\.1|localhost)(:[0-9]+)?$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be the emulator's loopback URL, e.g. http://127.0.0.1:4566."
  }
}

variable "domain_name" {
  description = "Parent domain of the environment: the hosted zone, with api, api-dev, api-docs, monitoring and www under it."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name without a trailing dot."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC (a /16 is sliced into /20 subnets)."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be an IPv4 CIDR, e.g. 10.20.0.0/16."
  }
}

variable "availability_zones" {
  description = "Availability zones of the subnets (two)."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 2
    error_message = "availability_zones must list exactly two zones."
  }
}

variable "nat_gateway_per_az" {
  description = "One NAT gateway per zone (resilient) instead of one shared (cheap)."
  type        = bool
}

variable "admin_allowlist_cidrs" {
  description = "CIDRs allowed to reach monitoring, api-dev and api-docs (WAF IP set) and the monitoring ports (security group)."
  type        = list(string)

  validation {
    condition     = length(var.admin_allowlist_cidrs) > 0 && alltrue([for cidr in var.admin_allowlist_cidrs : can(cidrhost(cidr, 0)) && !endswith(cidr, "/0")])
    error_message = "admin_allowlist_cidrs must list at least one IPv4 CIDR, none of them /0."
  }
}

variable "deletion_protection" {
  description = "Protect the database and the ALB from deletion, keep buckets with objects and deleted secrets recoverable (true in prod)."
  type        = bool
}

variable "ecs_ami_id" {
  description = "AMI of the ECS container instances; null reads the recommended ECS-optimised AMI from SSM (dev, prod)."
  type        = string
  default     = null

  validation {
    condition     = var.ecs_ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ecs_ami_id))
    error_message = "ecs_ami_id must be null or an AMI ID (ami-...)."
  }
}

variable "ecs_instance_type" {
  description = "Instance type of the ECS container instances."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.ecs_instance_type))
    error_message = "ecs_instance_type must look like t3.small."
  }
}

variable "ecs_asg_min_size" {
  description = "Minimum number of ECS container instances."
  type        = number

  validation {
    condition     = var.ecs_asg_min_size >= 0 && floor(var.ecs_asg_min_size) == var.ecs_asg_min_size
    error_message = "ecs_asg_min_size must be a whole number >= 0."
  }
}

variable "ecs_asg_max_size" {
  description = "Maximum number of ECS container instances."
  type        = number

  validation {
    condition     = var.ecs_asg_max_size >= 1 && var.ecs_asg_max_size >= var.ecs_asg_min_size && floor(var.ecs_asg_max_size) == var.ecs_asg_max_size
    error_message = "ecs_asg_max_size must be a whole number >= 1 and >= ecs_asg_min_size."
  }
}

variable "ecs_service_min_capacity" {
  description = "Minimum tasks of the API service (the autoscaling play's lower bound; also the tasks at creation)."
  type        = number

  validation {
    condition     = var.ecs_service_min_capacity >= 1 && floor(var.ecs_service_min_capacity) == var.ecs_service_min_capacity
    error_message = "ecs_service_min_capacity must be a whole number >= 1."
  }
}

variable "ecs_service_max_capacity" {
  description = "Maximum tasks of the API service (the autoscaling play's upper bound; raised for load tests)."
  type        = number

  validation {
    condition     = var.ecs_service_max_capacity >= var.ecs_service_min_capacity && floor(var.ecs_service_max_capacity) == var.ecs_service_max_capacity
    error_message = "ecs_service_max_capacity must be a whole number >= ecs_service_min_capacity."
  }
}

variable "api_image_tag" {
  description = "Tag of the bootstrap image: the first deploy runs it, then playbooks/release.yml owns the image."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.api_image_tag))
    error_message = "api_image_tag must be a valid image tag."
  }
}

variable "api_task_cpu_units" {
  description = "CPU units of the API container (1024 = one vCPU)."
  type        = number

  validation {
    condition     = var.api_task_cpu_units >= 128 && var.api_task_cpu_units <= 10240
    error_message = "api_task_cpu_units must be 128-10240."
  }
}

variable "api_task_memory_mib" {
  description = "Memory limit of the API container in MiB."
  type        = number

  validation {
    condition     = var.api_task_memory_mib >= 256 && var.api_task_memory_mib <= 30720
    error_message = "api_task_memory_mib must be 256-30720."
  }
}

variable "monitoring_ami_id" {
  description = "AMI of the monitoring host; null reads the latest Amazon Linux 2023 AMI from SSM (dev, prod)."
  type        = string
  default     = null

  validation {
    condition     = var.monitoring_ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.monitoring_ami_id))
    error_message = "monitoring_ami_id must be null or an AMI ID (ami-...)."
  }
}

variable "monitoring_instance_type" {
  description = "Instance type of the monitoring host."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.monitoring_instance_type))
    error_message = "monitoring_instance_type must look like t3.small."
  }
}

variable "rds_instance_class" {
  description = "Instance class of the MySQL database."
  type        = string

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.rds_instance_class))
    error_message = "rds_instance_class must look like db.t4g.micro."
  }
}

variable "rds_multi_az" {
  description = "Standby database in the second zone."
  type        = bool
}

variable "rds_backup_retention_days" {
  description = "Days the daily automated backups (03:00 KST) are kept."
  type        = number

  validation {
    condition     = var.rds_backup_retention_days >= 1 && var.rds_backup_retention_days <= 35 && floor(var.rds_backup_retention_days) == var.rds_backup_retention_days
    error_message = "rds_backup_retention_days must be a whole number from 1 to 35."
  }
}

variable "rds_performance_insights_enabled" {
  description = "Performance Insights on the database (not available on the smallest classes)."
  type        = bool
}

# RDS settings tuned in the console and brought back by playbooks/rds_sync.yml (a generated
# rds_sync.auto.tfvars.json passed after the inventory's values). The defaults are the module's.
variable "rds_allocated_storage_gb" {
  description = "Initial storage of the database in GiB."
  type        = number
  default     = 20
}

variable "rds_max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling of the database in GiB (0 disables it)."
  type        = number
  default     = 100
}

variable "rds_backup_window" {
  description = "Daily automated backup window in UTC (18:00-18:30 UTC is 03:00 Asia/Seoul)."
  type        = string
  default     = "18:00-18:30"
}

variable "rds_maintenance_window" {
  description = "Weekly maintenance window in UTC (must not overlap the backup window)."
  type        = string
  default     = "sun:19:00-sun:19:30"
}

variable "rds_deletion_protection" {
  description = "Deletion protection of the database; null follows deletion_protection."
  type        = bool
  default     = null
}

variable "rds_parameters" {
  description = "More DB parameters (name = value) merged over the module's utf8mb4 / Asia/Seoul set."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the logs before they must have been archived to S3."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90], var.log_retention_days)
    error_message = "log_retention_days must be 1, 3, 5, 7, 14, 30, 60 or 90 (older logs belong in the archive bucket)."
  }
}

variable "waf_rate_limit_action" {
  description = "What the WAF rate rule (1000 requests per 60 s per IP) does: block, or count during load tests."
  type        = string

  validation {
    condition     = contains(["block", "count"], var.waf_rate_limit_action)
    error_message = "waf_rate_limit_action must be \"block\" or \"count\"."
  }
}

variable "lambda_packages" {
  description = "The Lambda zips the deployment builds (roles/terraform, dailyge.infra.lambda_package): path relative to this root module and base64 SHA-256, by function."
  type = object({
    slack_notifier = object({
      path   = string
      sha256 = string
    })
  })
}

variable "scheduled_jobs" {
  description = "The ops host's scheduled jobs, one watchdog alarm each: written by roles/terraform from the cron schedule itself (ops_jobs_schedules, enabled jobs) as name -> {period_seconds}, 86400 daily or 604800 weekly."
  type = map(object({
    period_seconds = number
  }))
}
