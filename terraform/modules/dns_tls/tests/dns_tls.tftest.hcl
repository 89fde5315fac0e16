# Two mocked providers: the region's and us-east-1 (CloudFront's certificates).
mock_provider "aws" {}

mock_provider "aws" {
  alias = "us_east_1"
}

variables {
  domain_name            = "dailyge.test"
  alb_dns_name           = "dailyge-test-123.ap-northeast-2.elb.amazonaws.com"
  alb_zone_id            = "ZWKZPGTI48KDX"
  cloudfront_domain_name = "d111111abcdef8.cloudfront.net"
  cloudfront_zone_id     = "Z2FDTNDATAQYW2"
}

# ACM answers the validation records only once the certificates exist: give both the records ACM
# computes (a wildcard shares the record of its parent name).
override_resource {
  target = aws_acm_certificate.alb
  values = {
    arn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/00000000-0000-0000-0000-000000000001"
    domain_validation_options = [
      { domain_name = "dailyge.test", resource_record_name = "_a1.dailyge.test.", resource_record_type = "CNAME", resource_record_value = "_b1.acm-validations.aws." },
      { domain_name = "*.dailyge.test", resource_record_name = "_a1.dailyge.test.", resource_record_type = "CNAME", resource_record_value = "_b1.acm-validations.aws." },
    ]
  }
}

override_resource {
  target = aws_acm_certificate.cloudfront
  values = {
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000002"
    domain_validation_options = [
      { domain_name = "dailyge.test", resource_record_name = "_a1.dailyge.test.", resource_record_type = "CNAME", resource_record_value = "_b1.acm-validations.aws." },
      { domain_name = "www.dailyge.test", resource_record_name = "_a2.www.dailyge.test.", resource_record_type = "CNAME", resource_record_value = "_b2.acm-validations.aws." },
    ]
  }
}

run "one_record_per_sub_domain" {
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  assert {
    condition = output.hostnames == {
      api        = "api.dailyge.test"
      api_dev    = "api-dev.dailyge.test"
      api_docs   = "api-docs.dailyge.test"
      monitoring = "monitoring.dailyge.test"
      www        = "www.dailyge.test"
    }
    error_message = "hostnames must map api, api_dev, api_docs, monitoring and www to their names."
  }

  assert {
    condition     = toset([for record in aws_route53_record.alb_hosts : record.name]) == toset(["api.dailyge.test", "api-dev.dailyge.test", "api-docs.dailyge.test", "monitoring.dailyge.test"])
    error_message = "api, api-dev, api-docs and monitoring must point at the ALB."
  }

  assert {
    condition     = alltrue([for record in aws_route53_record.alb_hosts : one(record.alias).name == var.alb_dns_name && record.type == "A"])
    error_message = "The ALB host records must be A aliases of the ALB."
  }

  assert {
    condition     = toset([for record in aws_route53_record.web : "${record.name} ${record.type}"]) == toset(["dailyge.test A", "dailyge.test AAAA", "www.dailyge.test A", "www.dailyge.test AAAA"])
    error_message = "The apex and www must point at CloudFront (IPv4 and IPv6)."
  }

  assert {
    condition     = aws_route53_zone.this.name == "dailyge.test"
    error_message = "The hosted zone is the environment's domain."
  }
}

run "certificates_validated_through_dns" {
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  assert {
    condition     = aws_acm_certificate.alb.validation_method == "DNS" && aws_acm_certificate.alb.subject_alternative_names == toset(["*.dailyge.test"])
    error_message = "The ALB certificate covers the apex and every sub-domain, validated through DNS."
  }

  assert {
    condition     = toset([for record in aws_route53_record.validation : record.name]) == toset(["_a1.dailyge.test.", "_a2.www.dailyge.test."])
    error_message = "Each distinct validation record must be created once."
  }

  assert {
    condition     = length(aws_acm_certificate_validation.alb.validation_record_fqdns) == 1 && length(aws_acm_certificate_validation.cloudfront.validation_record_fqdns) == 2
    error_message = "Each certificate must wait for the validation records of its names (apex and wildcard share one)."
  }

  assert {
    condition     = output.certificate_arn == aws_acm_certificate_validation.alb.certificate_arn && output.cloudfront_certificate_arn == aws_acm_certificate_validation.cloudfront.certificate_arn
    error_message = "The certificates are handed out only once validated."
  }
}

run "domain_with_trailing_dot_is_refused" {
  command = plan

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  variables {
    domain_name = "dailyge.test."
  }

  expect_failures = [var.domain_name]
}
