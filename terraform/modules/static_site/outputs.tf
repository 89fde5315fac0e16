output "bucket_name" {
  description = "Name of the bucket holding the web build."
  value       = aws_s3_bucket.web.id
}

output "bucket_arn" {
  description = "ARN of the bucket holding the web build."
  value       = aws_s3_bucket.web.arn
}

output "distribution_id" {
  description = "ID of the CloudFront distribution (for invalidations)."
  value       = aws_cloudfront_distribution.web.id
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution."
  value       = aws_cloudfront_distribution.web.arn
}

output "distribution_domain_name" {
  description = "Domain name of the CloudFront distribution."
  value       = aws_cloudfront_distribution.web.domain_name
}

output "distribution_zone_id" {
  description = "Route53 zone ID of the CloudFront distribution (for alias records)."
  value       = aws_cloudfront_distribution.web.hosted_zone_id
}

output "origin_access_control_id" {
  description = "ID of the origin access control CloudFront reads the bucket with."
  value       = aws_cloudfront_origin_access_control.web.id
}
