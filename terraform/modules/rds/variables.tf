variable "name" {
  description = "Identifier of the DB instance and prefix of its companions, e.g. dailyge-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets of the DB subnet group (at least two zones)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for id in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "private_subnet_ids must list at least two subnet IDs (subnet-...)."
  }
}

variable "security_group_id" {
  description = "Security group of the DB instance (3306 from the ECS hosts and monitoring only)."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.security_group_id))
    error_message = "security_group_id must be a security group ID (sg-...)."
  }
}

variable "engine_version" {
  description = "MySQL version; a major.minor such as 8.0 follows minor upgrades."
  type        = string
  default     = "8.0"

  validation {
    condition     = can(regex("^8\\.0(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be MySQL 8.0 (8.0 or 8.0.x)."
  }
}

variable "instance_class" {
  description = "DB instance class, e.g. db.t4g.micro."
  type        = string

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like db.<family>.<size>, e.g. db.t4g.micro."
  }
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 65536
    error_message = "allocated_storage_gb must be 20-65536."
  }
}

variable "max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling in GiB (0 disables autoscaling)."
  type        = number
  default     = 100

  validation {
    condition     = var.max_allocated_storage_gb == 0 || (var.max_allocated_storage_gb >= var.allocated_storage_gb && var.max_allocated_storage_gb <= 65536)
    error_message = "max_allocated_storage_gb must be 0 or between allocated_storage_gb and 65536."
  }
}

variable "multi_az" {
  description = "Standby in a second zone (prod)."
  type        = bool
  default     = true
}

variable "database_name" {
  description = "Name of the application schema created with the instance."
  type        = string
  default     = "dailyge"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,63}$", var.database_name))
    error_message = "database_name must start with a letter and hold letters, digits or underscores (max 64)."
  }
}

variable "master_username" {
  description = "Master user name; its password is generated and kept in Secrets Manager by RDS (never in Terraform)."
  type        = string
  default     = "dailyge_admin"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,15}$", var.master_username)) && !contains(["admin", "root", "rdsadmin"], lower(var.master_username))
    error_message = "master_username must start with a letter, hold letters, digits or underscores (max 16), and not be a reserved name."
  }
}

variable "backup_window" {
  description = "Daily automated backup window in UTC (18:00-18:30 UTC is 03:00 Asia/Seoul)."
  type        = string
  default     = "18:00-18:30"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window))
    error_message = "backup_window must be hh:mm-hh:mm in UTC, e.g. 18:00-18:30."
  }
}

variable "backup_retention_days" {
  description = "Days automated backups are kept (1-35)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35 && floor(var.backup_retention_days) == var.backup_retention_days
    error_message = "backup_retention_days must be a whole number from 1 to 35."
  }
}

variable "maintenance_window" {
  description = "Weekly maintenance window in UTC; must not overlap the backup window (Sunday 19:00 UTC is Monday 04:00 KST)."
  type        = string
  default     = "sun:19:00-sun:19:30"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must be ddd:hh:mm-ddd:hh:mm in UTC, e.g. sun:19:00-sun:19:30."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (true in prod)."
  type        = bool
  default     = true
}

variable "time_zone" {
  description = "time_zone of the server (parameter group)."
  type        = string
  default     = "Asia/Seoul"

  validation {
    condition     = can(regex("^[A-Za-z_]+/[A-Za-z_]+$", var.time_zone)) || var.time_zone == "UTC"
    error_message = "time_zone must be an IANA zone name such as Asia/Seoul, or UTC."
  }
}

variable "character_set" {
  description = "Character set of the server, connections and results."
  type        = string
  default     = "utf8mb4"

  validation {
    condition     = var.character_set == "utf8mb4"
    error_message = "character_set must be utf8mb4 (full Unicode, emoji included)."
  }
}

variable "collation" {
  description = "Collation of the server and connections (a utf8mb4 collation)."
  type        = string
  default     = "utf8mb4_0900_ai_ci"

  validation {
    condition     = startswith(var.collation, "utf8mb4_")
    error_message = "collation must be a utf8mb4 collation, e.g. utf8mb4_0900_ai_ci."
  }
}

variable "slow_query_seconds" {
  description = "Queries slower than this many seconds go to the slow query log (exported to CloudWatch)."
  type        = number
  default     = 1

  validation {
    condition     = var.slow_query_seconds > 0 && var.slow_query_seconds <= 60
    error_message = "slow_query_seconds must be in (0, 60]."
  }
}

variable "require_tls" {
  description = "Refuse unencrypted client connections (require_secure_transport)."
  type        = bool
  default     = true
}

variable "performance_insights_enabled" {
  description = "Performance Insights (not available on the smallest burstable classes)."
  type        = bool
  default     = true
}

variable "enhanced_monitoring_interval_seconds" {
  description = "Enhanced monitoring granularity in seconds (0 disables it)."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.enhanced_monitoring_interval_seconds)
    error_message = "enhanced_monitoring_interval_seconds must be 0, 1, 5, 10, 15, 30 or 60."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the exported error and slow query logs (RDS would otherwise create their groups without expiry)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ... 365)."
  }
}

variable "log_kms_key_arn" {
  description = "ARN of the KMS key encrypting the exported log groups (the observability key)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN."
  }
}
