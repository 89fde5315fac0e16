mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn                         = "arn:aws:s3:::dailyge-test-web-123456789012"
      bucket_regional_domain_name = "dailyge-test-web-123456789012.s3.ap-northeast-2.amazonaws.com"
    }
  }

  mock_resource "aws_cloudfront_distribution" {
    defaults = {
      arn = "arn:aws:cloudfront::123456789012:distribution/E0123456789ABC"
    }
  }
}

variables {
  name            = "dailyge-test"
  aliases         = ["dailyge.test", "www.dailyge.test"]
  certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
}

run "private_encrypted_versioned_bucket" {
  assert {
    condition = (
      aws_s3_bucket_public_access_block.web.block_public_acls && aws_s3_bucket_public_access_block.web.block_public_policy &&
      aws_s3_bucket_public_access_block.web.ignore_public_acls && aws_s3_bucket_public_access_block.web.restrict_public_buckets
    )
    error_message = "Every public access of the web bucket must be blocked."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.web.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "The web bucket must be encrypted."
  }

  assert {
    condition     = aws_s3_bucket_versioning.web.versioning_configuration[0].status == "Enabled"
    error_message = "The web bucket must be versioned."
  }

  assert {
    condition     = aws_s3_bucket.web.bucket == "dailyge-test-web-123456789012"
    error_message = "The bucket name carries the account ID (bucket names are global)."
  }
}

run "cloudfront_reads_through_origin_access_control" {
  assert {
    condition     = one(aws_cloudfront_distribution.web.origin).origin_access_control_id == aws_cloudfront_origin_access_control.web.id
    error_message = "The distribution must read the bucket through the origin access control."
  }

  assert {
    condition     = aws_cloudfront_origin_access_control.web.signing_behavior == "always" && aws_cloudfront_origin_access_control.web.signing_protocol == "sigv4" && aws_cloudfront_origin_access_control.web.origin_access_control_origin_type == "s3"
    error_message = "The origin access control must sign every request with SigV4."
  }

  assert {
    condition = anytrue([
      for statement in data.aws_iam_policy_document.web.statement : contains(flatten([for principal in statement.principals : principal.identifiers]), "cloudfront.amazonaws.com")
      && contains(flatten([for condition in statement.condition : condition.values]), aws_cloudfront_distribution.web.arn)
    ])
    error_message = "The bucket policy must let only this distribution (by its ARN) read the bucket."
  }
}

run "spa_fallback_and_tls" {
  assert {
    condition = anytrue([
      for response in aws_cloudfront_distribution.web.custom_error_response :
      response.error_code == 403 && response.response_code == 200 && response.response_page_path == "/index.html"
    ])
    error_message = "403 from the origin must be answered with /index.html and 200 (SPA routing)."
  }

  assert {
    condition     = aws_cloudfront_distribution.web.viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021" && aws_cloudfront_distribution.web.viewer_certificate[0].ssl_support_method == "sni-only"
    error_message = "Viewers must use TLS 1.2 or later."
  }

  assert {
    condition     = one(aws_cloudfront_distribution.web.default_cache_behavior).viewer_protocol_policy == "redirect-to-https"
    error_message = "HTTP viewers must be redirected to HTTPS."
  }

  assert {
    condition     = aws_cloudfront_distribution.web.aliases == toset(["dailyge.test", "www.dailyge.test"]) && aws_cloudfront_distribution.web.default_root_object == "index.html"
    error_message = "The distribution answers the apex and www with index.html."
  }
}

run "certificate_outside_us_east_1_is_refused" {
  command = plan

  variables {
    certificate_arn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  }

  expect_failures = [var.certificate_arn]
}
