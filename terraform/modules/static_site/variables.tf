variable "name" {
  description = "Name prefix of the bucket and distribution, e.g. dailyge-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "aliases" {
  description = "Host names the distribution answers (the apex and www)."
  type        = list(string)

  validation {
    condition     = length(var.aliases) >= 1 && alltrue([for alias in var.aliases : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", alias))])
    error_message = "aliases must list at least one lowercase DNS name."
  }
}

variable "certificate_arn" {
  description = "ARN of the validated ACM certificate in us-east-1 covering the aliases."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:us-east-1:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN in us-east-1 (CloudFront's requirement)."
  }
}

variable "price_class" {
  description = "CloudFront price class; PriceClass_200 includes the edge locations in Korea."
  type        = string
  default     = "PriceClass_200"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "spa_fallback_status_codes" {
  description = "Origin status codes answered with /index.html and 200, so the single-page app routes the path (S3 answers 403 for a missing key behind OAC)."
  type        = list(number)
  default     = [403, 404]

  validation {
    condition     = contains(var.spa_fallback_status_codes, 403) && alltrue([for code in var.spa_fallback_status_codes : contains([400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504], code)])
    error_message = "spa_fallback_status_codes must include 403 and only error codes CloudFront can customise."
  }
}

variable "force_destroy" {
  description = "Allow destroying the bucket with objects in it (never in prod)."
  type        = bool
  default     = false
}
