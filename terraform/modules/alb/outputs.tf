output "alb_arn" {
  description = "ARN of the ALB."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the ALB (the LoadBalancer dimension of its CloudWatch metrics)."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the ALB."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Route53 zone ID of the ALB (for alias records)."
  value       = aws_lb.this.zone_id
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener."
  value       = aws_lb_listener.https.arn
}

output "http_listener_arn" {
  description = "ARN of the HTTP listener (redirects to HTTPS)."
  value       = aws_lb_listener.http.arn
}

output "api_target_group_arn" {
  description = "ARN of the API target group (ECS registers the tasks on their dynamic ports)."
  value       = aws_lb_target_group.api.arn

  # ECS refuses a service whose target group no listener forwards to yet.
  depends_on = [aws_lb_listener_rule.api]
}

output "api_target_group_name" {
  description = "Name of the API target group."
  value       = aws_lb_target_group.api.name
}

output "grafana_target_group_arn" {
  description = "ARN of the Grafana target group (the monitoring host registers itself)."
  value       = aws_lb_target_group.grafana.arn

  depends_on = [aws_lb_listener_rule.monitoring]
}

output "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  value       = aws_lb_listener.https.ssl_policy
}

output "health_check_path" {
  description = "Health check path of the API target group."
  value       = aws_lb_target_group.api.health_check[0].path
}
