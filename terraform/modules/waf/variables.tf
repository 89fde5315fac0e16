variable "name" {
  description = "Name prefix of the web ACL and IP set, e.g. dailyge-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "alb_arn" {
  description = "ARN of the ALB the web ACL protects."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:", var.alb_arn))
    error_message = "alb_arn must be an ELB ARN."
  }
}

variable "rate_limit" {
  description = "Requests per client IP within the evaluation window above which the rate rule acts."
  type        = number
  default     = 1000

  validation {
    condition     = var.rate_limit >= 10 && var.rate_limit <= 2000000000 && floor(var.rate_limit) == var.rate_limit
    error_message = "rate_limit must be a whole number from 10 to 2,000,000,000 (WAF's limits)."
  }
}

variable "rate_limit_window_sec" {
  description = "Evaluation window of the rate rule in seconds."
  type        = number
  default     = 60

  validation {
    condition     = contains([60, 120, 300, 600], var.rate_limit_window_sec)
    error_message = "rate_limit_window_sec must be 60, 120, 300 or 600 (the windows WAF offers)."
  }
}

variable "rate_limit_action" {
  description = "What the rate rule does above the limit: block, or count only (load tests)."
  type        = string
  default     = "block"

  validation {
    condition     = contains(["block", "count"], var.rate_limit_action)
    error_message = "rate_limit_action must be \"block\" or \"count\"."
  }
}

variable "allowlist_cidrs" {
  description = "IPv4 CIDRs allowed to reach the restricted host names."
  type        = list(string)

  validation {
    condition     = length(var.allowlist_cidrs) > 0 && alltrue([for cidr in var.allowlist_cidrs : can(cidrhost(cidr, 0)) && !endswith(cidr, "/0")])
    error_message = "allowlist_cidrs must list at least one IPv4 CIDR, none of them /0."
  }
}

variable "restricted_hostnames" {
  description = "Host names reachable only from allowlist_cidrs (monitoring, api-dev, api-docs)."
  type        = list(string)

  validation {
    condition     = length(var.restricted_hostnames) >= 2 && length(var.restricted_hostnames) <= 10
    error_message = "restricted_hostnames must list 2 to 10 host names."
  }
}

variable "log_group_arn" {
  description = "ARN of the CloudWatch log group receiving the WAF logs (its name starts with aws-waf-logs-)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:logs:[^:]+:[0-9]+:log-group:aws-waf-logs-", var.log_group_arn))
    error_message = "log_group_arn must be the ARN of a log group whose name starts with aws-waf-logs-."
  }
}
