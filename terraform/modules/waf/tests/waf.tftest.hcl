mock_provider "aws" {
  mock_resource "aws_wafv2_ip_set" {
    defaults = {
      arn = "arn:aws:wafv2:ap-northeast-2:123456789012:regional/ipset/dailyge-test-allowlist/00000000-0000-0000-0000-000000000000"
    }
  }

  mock_resource "aws_wafv2_web_acl" {
    defaults = {
      arn = "arn:aws:wafv2:ap-northeast-2:123456789012:regional/webacl/dailyge-test/00000000-0000-0000-0000-000000000001"
    }
  }
}

variables {
  name                 = "dailyge-test"
  alb_arn              = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/dailyge-test/0123456789abcdef"
  allowlist_cidrs      = ["203.0.113.10/32"]
  restricted_hostnames = ["monitoring.dailyge.test", "api-dev.dailyge.test", "api-docs.dailyge.test"]
  log_group_arn        = "arn:aws:logs:ap-northeast-2:123456789012:log-group:aws-waf-logs-dailyge-test"
}

run "rate_limit_1000_per_60s_per_ip" {
  assert {
    condition     = output.rate_limit == 1000 && output.rate_limit_window_sec == 60
    error_message = "The rate rule must allow 1000 requests per 60 s."
  }

  assert {
    condition     = one([for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].rate_based_statement[0].aggregate_key_type if rule.name == "rate-limit-per-ip"]) == "IP"
    error_message = "The rate rule must count per client IP."
  }

  assert {
    condition     = output.rate_limit_action == "block" && length(one([for rule in aws_wafv2_web_acl.this.rule : rule.action[0].count if rule.name == "rate-limit-per-ip"])) == 0
    error_message = "The rate rule blocks by default."
  }

  assert {
    condition     = aws_wafv2_web_acl.this.scope == "REGIONAL" && length(aws_wafv2_web_acl.this.default_action[0].allow) == 1
    error_message = "A regional web ACL that allows what no rule stops."
  }

  assert {
    condition     = aws_wafv2_web_acl_association.alb.resource_arn == var.alb_arn && aws_wafv2_web_acl_association.alb.web_acl_arn == aws_wafv2_web_acl.this.arn
    error_message = "The web ACL must be associated with the ALB."
  }
}

run "count_only_for_load_tests" {
  variables {
    rate_limit_action = "count"
  }

  assert {
    condition     = output.rate_limit_action == "count"
    error_message = "rate_limit_action = count must switch the rule to count."
  }

  assert {
    condition     = length(one([for rule in aws_wafv2_web_acl.this.rule : rule.action[0].block if rule.name == "rate-limit-per-ip"])) == 0
    error_message = "In count mode the rate rule must not block."
  }
}

run "restricted_hosts_answer_the_allowlist_only" {
  assert {
    condition     = aws_wafv2_ip_set.allowlist.addresses == toset(["203.0.113.10/32"]) && aws_wafv2_ip_set.allowlist.ip_address_version == "IPV4"
    error_message = "The IP set must hold the allowlist."
  }

  assert {
    condition = toset(flatten([
      for rule in aws_wafv2_web_acl.this.rule : [
        for statement in rule.statement[0].and_statement[0].statement[0].or_statement[0].statement : statement.byte_match_statement[0].search_string
      ] if rule.name == "restricted-hosts-allowlist-only"
    ])) == toset(["monitoring.dailyge.test", "api-dev.dailyge.test", "api-docs.dailyge.test"])
    error_message = "The allowlist rule must match exactly monitoring, api-dev and api-docs."
  }

  assert {
    condition = one([
      for rule in aws_wafv2_web_acl.this.rule : rule.statement[0].and_statement[0].statement[1].not_statement[0].statement[0].ip_set_reference_statement[0].arn
      if rule.name == "restricted-hosts-allowlist-only"
    ]) == aws_wafv2_ip_set.allowlist.arn
    error_message = "The allowlist rule must block requests NOT from the IP set."
  }

  assert {
    condition     = one([for rule in aws_wafv2_web_acl.this.rule : rule.priority if rule.name == "restricted-hosts-allowlist-only"]) == 0 && length(one([for rule in aws_wafv2_web_acl.this.rule : rule.action[0].block if rule.name == "restricted-hosts-allowlist-only"])) == 1
    error_message = "The allowlist rule comes first and blocks."
  }
}

run "logs_without_credentials" {
  assert {
    condition     = aws_wafv2_web_acl_logging_configuration.this.log_destination_configs == toset([var.log_group_arn])
    error_message = "WAF must log to its log group."
  }

  assert {
    condition     = toset([for field in aws_wafv2_web_acl_logging_configuration.this.redacted_fields : field.single_header[0].name]) == toset(["authorization", "cookie"])
    error_message = "Authorization headers and cookies must be redacted from the WAF logs."
  }
}

run "unknown_action_is_refused" {
  command = plan

  variables {
    rate_limit_action = "allow"
  }

  expect_failures = [var.rate_limit_action]
}

run "unsupported_window_is_refused" {
  command = plan

  variables {
    rate_limit_window_sec = 30
  }

  expect_failures = [var.rate_limit_window_sec]
}
