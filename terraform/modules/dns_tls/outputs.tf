output "zone_id" {
  description = "ID of the Route53 hosted zone of the environment."
  value       = aws_route53_zone.this.zone_id
}

output "name_servers" {
  description = "Name servers of the hosted zone (to delegate the domain to)."
  value       = aws_route53_zone.this.name_servers
}

output "domain_name" {
  description = "Parent domain of the environment."
  value       = var.domain_name
}

output "hostnames" {
  description = "Fully qualified name of each sub-domain: api, api_dev, api_docs, monitoring, www."
  value       = local.hostnames
}

output "alb_hostnames" {
  description = "The sub-domains served by the ALB (api, api_dev, api_docs, monitoring)."
  value       = { for key in local.alb_hosts : key => local.hostnames[key] }
}

output "certificate_arn" {
  description = "ARN of the validated regional certificate of the ALB (apex and *.domain)."
  value       = aws_acm_certificate_validation.alb.certificate_arn
}

output "cloudfront_certificate_arn" {
  description = "ARN of the validated us-east-1 certificate of CloudFront (apex and www)."
  value       = aws_acm_certificate_validation.cloudfront.certificate_arn
}
