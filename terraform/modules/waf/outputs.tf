# Rate rule values as the web ACL holds them (not merely as requested).
locals {
  rate_rule = one([for rule in aws_wafv2_web_acl.this.rule : rule if rule.name == local.rate_rule_name])
}

output "web_acl_arn" {
  description = "ARN of the web ACL."
  value       = aws_wafv2_web_acl.this.arn
}

output "web_acl_id" {
  description = "ID of the web ACL."
  value       = aws_wafv2_web_acl.this.id
}

output "web_acl_name" {
  description = "Name of the web ACL."
  value       = aws_wafv2_web_acl.this.name
}

output "ip_set_arn" {
  description = "ARN of the allowlist IP set."
  value       = aws_wafv2_ip_set.allowlist.arn
}

output "rate_rule_name" {
  description = "Name of the per-IP rate rule."
  value       = local.rate_rule_name
}

output "rate_limit" {
  description = "Requests per client IP within the window above which the rate rule acts."
  value       = local.rate_rule.statement[0].rate_based_statement[0].limit
}

output "rate_limit_window_sec" {
  description = "Evaluation window of the rate rule in seconds."
  value       = local.rate_rule.statement[0].rate_based_statement[0].evaluation_window_sec
}

output "rate_limit_action" {
  description = "What the rate rule does above the limit (block or count)."
  value       = length(local.rate_rule.action[0].block) > 0 ? "block" : "count"
}
