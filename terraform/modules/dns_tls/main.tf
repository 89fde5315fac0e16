# The hosted zone of the environment, one record per sub-domain, and the two ACM certificates
# (the ALB's in the region, CloudFront's in us-east-1) validated through DNS records in the zone.

locals {
  # Sub-domain label of each host; the keys are the names the rest of the stack uses.
  subdomain_labels = {
    api        = "api"
    api_dev    = "api-dev"
    api_docs   = "api-docs"
    monitoring = "monitoring"
    www        = "www"
  }
  hostnames = { for key, label in local.subdomain_labels : key => "${label}.${var.domain_name}" }

  # Served by the ALB; www and the apex are served by CloudFront.
  alb_hosts = ["api", "api_dev", "api_docs", "monitoring"]

  alb_certificate_names        = [var.domain_name, "*.${var.domain_name}"]
  cloudfront_certificate_names = [var.domain_name, local.hostnames.www]

  # A wildcard is validated by the record of its parent name, so the distinct names below are all
  # the validation records both certificates need (both certificates share them).
  validation_names = toset(distinct([for name in concat(local.alb_certificate_names, local.cloudfront_certificate_names) : trimprefix(name, "*.")]))
  validation_records = {
    for option in concat(tolist(aws_acm_certificate.alb.domain_validation_options), tolist(aws_acm_certificate.cloudfront.domain_validation_options)) :
    trimprefix(option.domain_name, "*.") => option...
  }
}

resource "aws_route53_zone" "this" {
  #checkov:skip=CKV2_AWS_38:DNSSEC signing needs a KMS key in us-east-1 and a DS record at the registrar, managed outside this stack.
  #checkov:skip=CKV2_AWS_39:Query logging needs a us-east-1 log group; the zone serves five public names and the ALB/CloudFront logs already record every request.
  name    = var.domain_name
  comment = "Dailyge: API, docs, monitoring and web sub-domains of ${var.domain_name}"
}

# --- Certificates ------------------------------------------------------------------------------

resource "aws_acm_certificate" "alb" {
  domain_name               = var.domain_name
  subject_alternative_names = ["*.${var.domain_name}"]
  validation_method         = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_acm_certificate" "cloudfront" {
  provider = aws.us_east_1

  domain_name               = var.domain_name
  subject_alternative_names = [local.hostnames.www]
  validation_method         = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = local.validation_names

  zone_id         = aws_route53_zone.this.zone_id
  name            = local.validation_records[each.key][0].resource_record_name
  type            = local.validation_records[each.key][0].resource_record_type
  records         = [local.validation_records[each.key][0].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "alb" {
  certificate_arn         = aws_acm_certificate.alb.arn
  validation_record_fqdns = [for name in local.alb_certificate_names : aws_route53_record.validation[trimprefix(name, "*.")].fqdn]
}

resource "aws_acm_certificate_validation" "cloudfront" {
  provider = aws.us_east_1

  certificate_arn         = aws_acm_certificate.cloudfront.arn
  validation_record_fqdns = [for name in local.cloudfront_certificate_names : aws_route53_record.validation[trimprefix(name, "*.")].fqdn]
}

# --- Records of the sub-domains ------------------------------------------------------------------

resource "aws_route53_record" "alb_hosts" {
  for_each = toset(local.alb_hosts)

  zone_id = aws_route53_zone.this.zone_id
  name    = local.hostnames[each.key]
  type    = "A"

  alias {
    name                   = var.alb_dns_name
    zone_id                = var.alb_zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "web" {
  for_each = { for pair in setproduct(["apex", "www"], ["A", "AAAA"]) : "${pair[0]}-${pair[1]}" => { host = pair[0], type = pair[1] } }

  zone_id = aws_route53_zone.this.zone_id
  name    = each.value.host == "apex" ? var.domain_name : local.hostnames.www
  type    = each.value.type

  alias {
    name                   = var.cloudfront_domain_name
    zone_id                = var.cloudfront_zone_id
    evaluate_target_health = false
  }
}
