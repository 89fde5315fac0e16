variable "name" {
  description = "Name of the ECS cluster and prefix of its companions, e.g. dailyge-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets of the container instances (at least two zones)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for id in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "private_subnet_ids must list at least two subnet IDs (subnet-...)."
  }
}

variable "host_security_group_id" {
  description = "Security group of the container instances."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.host_security_group_id))
    error_message = "host_security_group_id must be a security group ID (sg-...)."
  }
}

variable "ami_id" {
  description = "AMI of the container instances; null reads the ECS-optimised Amazon Linux 2023 AMI from ami_ssm_parameter_name (dev, prod)."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be null or an AMI ID (ami-...)."
  }
}

variable "ami_ssm_parameter_name" {
  description = "Public SSM parameter holding the recommended ECS-optimised AMI (used when ami_id is null)."
  type        = string
  default     = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"

  validation {
    condition     = startswith(var.ami_ssm_parameter_name, "/aws/service/ecs/optimized-ami/")
    error_message = "ami_ssm_parameter_name must be one of the public /aws/service/ecs/optimized-ami/ parameters."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the container instances."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like t3.small."
  }
}

variable "root_volume_size_gb" {
  description = "Root volume of each container instance in GiB (images, heap dumps)."
  type        = number
  default     = 30

  validation {
    condition     = var.root_volume_size_gb >= 30 && var.root_volume_size_gb <= 1024
    error_message = "root_volume_size_gb must be 30-1024 (the ECS-optimised AMI needs 30)."
  }
}

variable "asg_min_size" {
  description = "Minimum number of container instances."
  type        = number

  validation {
    condition     = var.asg_min_size >= 0 && floor(var.asg_min_size) == var.asg_min_size
    error_message = "asg_min_size must be a whole number >= 0."
  }
}

variable "asg_max_size" {
  description = "Maximum number of container instances (what ECS managed scaling may reach)."
  type        = number

  validation {
    condition     = var.asg_max_size >= 1 && var.asg_max_size >= var.asg_min_size && floor(var.asg_max_size) == var.asg_max_size
    error_message = "asg_max_size must be a whole number >= 1 and >= asg_min_size."
  }
}

variable "capacity_target_percent" {
  description = "Target utilisation of the capacity provider's managed scaling (100: no idle instance)."
  type        = number
  default     = 100

  validation {
    condition     = var.capacity_target_percent >= 1 && var.capacity_target_percent <= 100
    error_message = "capacity_target_percent must be 1-100."
  }
}

variable "target_group_arn" {
  description = "ALB target group ECS registers the API tasks in (on their dynamic host ports)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:.*:targetgroup/", var.target_group_arn))
    error_message = "target_group_arn must be an ELB target group ARN."
  }
}

variable "container_image" {
  description = "Image repository of the API (without tag), e.g. the ECR repository URL."
  type        = string

  validation {
    condition     = length(var.container_image) > 0 && !strcontains(var.container_image, "@")
    error_message = "container_image must be a repository name or URL without a tag or digest."
  }
}

variable "image_tag" {
  description = "Tag of the bootstrap image: the first deploy runs it, then playbooks/release.yml owns the image."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid image tag."
  }
}

variable "container_port" {
  description = "Port the API listens on inside the container."
  type        = number
  default     = 8080

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535
    error_message = "container_port must be a TCP port."
  }
}

variable "task_cpu_units" {
  description = "CPU units reserved for the API container (1024 = one vCPU)."
  type        = number
  default     = 512

  validation {
    condition     = var.task_cpu_units >= 128 && var.task_cpu_units <= 10240
    error_message = "task_cpu_units must be 128-10240."
  }
}

variable "task_memory_mib" {
  description = "Hard memory limit of the API container in MiB (the JVM sizes its heap from it)."
  type        = number
  default     = 1024

  validation {
    condition     = var.task_memory_mib >= 256 && var.task_memory_mib <= 30720
    error_message = "task_memory_mib must be 256-30720."
  }
}

variable "jvm_options" {
  description = "JVM options besides the heap-dump flags the module always sets."
  type        = list(string)
  default     = ["-XX:MaxRAMPercentage=75.0", "-XX:+ExitOnOutOfMemoryError"]

  validation {
    condition     = alltrue([for option in var.jvm_options : startswith(option, "-")]) && !anytrue([for option in var.jvm_options : strcontains(option, "HeapDump")])
    error_message = "jvm_options must be JVM flags (starting with -) and must not override the heap-dump flags."
  }
}

variable "spring_profiles_active" {
  description = "Spring profiles of the API (SPRING_PROFILES_ACTIVE)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9,-]+$", var.spring_profiles_active))
    error_message = "spring_profiles_active must be a comma-separated list of lowercase profile names."
  }
}

variable "heap_dump_host_path" {
  description = "Folder on each container instance where the JVM writes heap dumps (mounted at /heapdumps)."
  type        = string
  default     = "/var/lib/dailyge/heapdumps"

  validation {
    condition     = startswith(var.heap_dump_host_path, "/") && !endswith(var.heap_dump_host_path, "/")
    error_message = "heap_dump_host_path must be an absolute path without a trailing slash."
  }
}

variable "heap_dump_bucket_arn" {
  description = "ARN of the bucket the container instances upload heap dumps to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}$", var.heap_dump_bucket_arn))
    error_message = "heap_dump_bucket_arn must be an S3 bucket ARN."
  }
}

variable "heap_dump_prefix" {
  description = "Key prefix of the heap dumps in the bucket."
  type        = string
  default     = "heapdumps"

  validation {
    condition     = length(var.heap_dump_prefix) > 0 && !startswith(var.heap_dump_prefix, "/") && !endswith(var.heap_dump_prefix, "/")
    error_message = "heap_dump_prefix must not be empty and must not start or end with /."
  }
}

variable "heap_dump_slack_webhook_secret_arn" {
  description = "Secrets Manager secret holding the Slack webhook URL the heap dump uploader posts to; empty: no Slack post."
  type        = string
  default     = ""

  validation {
    condition     = var.heap_dump_slack_webhook_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:", var.heap_dump_slack_webhook_secret_arn))
    error_message = "heap_dump_slack_webhook_secret_arn must be empty or a Secrets Manager secret ARN."
  }
}

variable "log_group_name" {
  description = "CloudWatch log group of the API containers (awslogs driver)."
  type        = string

  validation {
    condition     = length(var.log_group_name) > 0
    error_message = "log_group_name must not be empty."
  }
}

variable "app_config_secret_arn" {
  description = "ARN of the application config secret the API reads at start."
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

variable "service_desired_count" {
  description = "Tasks of the API service at creation; afterwards the autoscaling play owns desired_count."
  type        = number
  default     = 1

  validation {
    condition     = var.service_desired_count >= 0 && floor(var.service_desired_count) == var.service_desired_count
    error_message = "service_desired_count must be a whole number >= 0."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing ALB health checks after a task starts (JVM warm-up)."
  type        = number
  default     = 120

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647
    error_message = "health_check_grace_period_seconds must be >= 0."
  }
}

variable "host_tags" {
  description = "Tags of the ECS host instances and their volumes (e.g. Environment, and Monitoring = node-exporter for Prometheus's EC2 discovery)."
  type        = map(string)
  default     = {}
}

variable "node_exporter_version" {
  description = "Release of Prometheus's node exporter installed on every ECS host (port 9100)."
  type        = string
  default     = "1.8.2"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.node_exporter_version))
    error_message = "node_exporter_version must be a release number such as 1.8.2 (no leading v)."
  }
}
