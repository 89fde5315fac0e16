variable "domain_name" {
  description = "Parent domain of the environment (apex of the hosted zone), e.g. dailyge.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name without a trailing dot, e.g. dailyge.com."
  }
}

variable "alb_dns_name" {
  description = "DNS name of the ALB that serves the api, api-dev, api-docs and monitoring sub-domains."
  type        = string

  validation {
    condition     = length(var.alb_dns_name) > 0
    error_message = "alb_dns_name must not be empty."
  }
}

variable "alb_zone_id" {
  description = "Route53 zone ID of the ALB (for alias records)."
  type        = string

  validation {
    condition     = can(regex("^Z[A-Z0-9]+$", var.alb_zone_id))
    error_message = "alb_zone_id must be a Route53 hosted zone ID (Z...)."
  }
}

variable "cloudfront_domain_name" {
  description = "Domain name of the CloudFront distribution that serves www and the apex."
  type        = string

  validation {
    condition     = length(var.cloudfront_domain_name) > 0
    error_message = "cloudfront_domain_name must not be empty."
  }
}

variable "cloudfront_zone_id" {
  description = "Route53 zone ID of the CloudFront distribution (for alias records)."
  type        = string

  validation {
    condition     = can(regex("^Z[A-Z0-9]+$", var.cloudfront_zone_id))
    error_message = "cloudfront_zone_id must be a Route53 hosted zone ID (Z...)."
  }
}
