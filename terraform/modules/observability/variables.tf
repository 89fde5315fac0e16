variable "name" {
  description = "Name prefix of every resource, e.g. dailyge-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the logs; older logs are exported to the archive bucket and removed by the log archive operation before that."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "archive_transition_to_ia_days" {
  description = "Days after which archived objects move to S3 Standard-IA."
  type        = number
  default     = 30

  validation {
    condition     = var.archive_transition_to_ia_days >= 30 && floor(var.archive_transition_to_ia_days) == var.archive_transition_to_ia_days
    error_message = "archive_transition_to_ia_days must be a whole number of at least 30 (the S3 minimum for Standard-IA)."
  }
}

variable "archive_transition_to_glacier_days" {
  description = "Days after which archived objects move to S3 Glacier Flexible Retrieval."
  type        = number
  default     = 90

  validation {
    condition     = var.archive_transition_to_glacier_days >= var.archive_transition_to_ia_days + 30 && floor(var.archive_transition_to_glacier_days) == var.archive_transition_to_glacier_days
    error_message = "archive_transition_to_glacier_days must be a whole number at least 30 days after archive_transition_to_ia_days."
  }
}

variable "archive_expiration_days" {
  description = "Days after which archived objects (logs, heap dumps) are deleted."
  type        = number
  default     = 730

  validation {
    condition     = var.archive_expiration_days > var.archive_transition_to_glacier_days + 90 && floor(var.archive_expiration_days) == var.archive_expiration_days
    error_message = "archive_expiration_days must be a whole number more than 90 days after archive_transition_to_glacier_days (Glacier's minimum storage)."
  }
}

variable "ecs_cluster_name" {
  description = "Name of the ECS cluster whose API service the CPU alarm watches."
  type        = string

  validation {
    condition     = length(var.ecs_cluster_name) > 0
    error_message = "ecs_cluster_name must not be empty."
  }
}

variable "ecs_service_name" {
  description = "Name of the ECS API service the CPU alarm watches."
  type        = string

  validation {
    condition     = length(var.ecs_service_name) > 0
    error_message = "ecs_service_name must not be empty."
  }
}

variable "ecs_cpu_alarm_threshold_percent" {
  description = "Average CPU of the API service (percent) above which the alarm fires; above the 75 % autoscaling target."
  type        = number
  default     = 90

  validation {
    condition     = var.ecs_cpu_alarm_threshold_percent > 0 && var.ecs_cpu_alarm_threshold_percent <= 100
    error_message = "ecs_cpu_alarm_threshold_percent must be in (0, 100]."
  }
}

variable "ecs_cpu_alarm_evaluation_minutes" {
  description = "Consecutive one-minute periods above the threshold before the alarm fires."
  type        = number
  default     = 5

  validation {
    condition     = var.ecs_cpu_alarm_evaluation_minutes >= 1 && var.ecs_cpu_alarm_evaluation_minutes <= 60 && floor(var.ecs_cpu_alarm_evaluation_minutes) == var.ecs_cpu_alarm_evaluation_minutes
    error_message = "ecs_cpu_alarm_evaluation_minutes must be a whole number from 1 to 60."
  }
}

variable "ecr_images_to_keep" {
  description = "Images the ECR lifecycle policy keeps (the most recent); older ones expire."
  type        = number
  default     = 5

  validation {
    condition     = var.ecr_images_to_keep >= 1 && var.ecr_images_to_keep <= 1000 && floor(var.ecr_images_to_keep) == var.ecr_images_to_keep
    error_message = "ecr_images_to_keep must be a whole number from 1 to 1000."
  }
}

variable "force_destroy_archive" {
  description = "Allow destroying the archive bucket with objects in it (never in prod)."
  type        = bool
  default     = false
}
