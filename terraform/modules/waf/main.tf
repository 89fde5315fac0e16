# Web ACL of the ALB: the restricted host names answer only the allowlist, every client IP is
# rate-limited (1000 requests per 60 s by default, count-only during load tests), and AWS managed
# rules drop known bad inputs (Log4Shell and the like) and addresses of bad reputation.

locals {
  rate_rule_name      = "rate-limit-per-ip"
  allowlist_rule_name = "restricted-hosts-allowlist-only"
}

resource "aws_wafv2_ip_set" "allowlist" {
  name               = "${var.name}-allowlist"
  description        = "Addresses allowed to reach ${join(", ", var.restricted_hostnames)}"
  scope              = "REGIONAL"
  ip_address_version = "IPV4"
  addresses          = var.allowlist_cidrs
}

resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "Dailyge ${var.name}: allowlist for restricted hosts, per-IP rate limit, managed rules"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = local.allowlist_rule_name
    priority = 0

    action {
      block {}
    }

    statement {
      and_statement {
        statement {
          or_statement {
            dynamic "statement" {
              for_each = var.restricted_hostnames

              content {
                byte_match_statement {
                  search_string         = lower(statement.value)
                  positional_constraint = "EXACTLY"

                  field_to_match {
                    single_header {
                      name = "host"
                    }
                  }

                  text_transformation {
                    priority = 0
                    type     = "LOWERCASE"
                  }
                }
              }
            }
          }
        }

        statement {
          not_statement {
            statement {
              ip_set_reference_statement {
                arn = aws_wafv2_ip_set.allowlist.arn
              }
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-${local.allowlist_rule_name}"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = local.rate_rule_name
    priority = 1

    action {
      dynamic "block" {
        for_each = var.rate_limit_action == "block" ? [1] : []
        content {}
      }

      dynamic "count" {
        for_each = var.rate_limit_action == "count" ? [1] : []
        content {}
      }
    }

    statement {
      rate_based_statement {
        limit                 = var.rate_limit
        evaluation_window_sec = var.rate_limit_window_sec
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-${local.rate_rule_name}"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-aws-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-ip-reputation"
    priority = 11

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-aws-ip-reputation"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "alb" {
  resource_arn = var.alb_arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [var.log_group_arn]

  # Credentials and session cookies never reach the logs.
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
}
