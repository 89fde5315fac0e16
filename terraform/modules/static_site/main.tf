# The static web front end: a private S3 bucket read only by CloudFront through an origin access
# control, 403 -> /index.html for the single-page app. The distribution is created once and then
# excluded from change tracking (`ignore_changes = all`), as the reference system does: its
# settings are managed by the front-end team afterwards.

data "aws_caller_identity" "current" {}

locals {
  origin_id = "s3-${var.name}-web"
  # AWS managed policies (fixed IDs documented by CloudFront).
  managed_cache_policy_caching_optimized    = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  managed_response_headers_security_headers = "67f7725c-6f97-4210-82d7-5512b31e9d03"
}

resource "aws_s3_bucket" "web" {
  #checkov:skip=CKV_AWS_144:The bucket holds build output that CI can publish again; replication doubles cost for nothing.
  #checkov:skip=CKV_AWS_18:Every read goes through CloudFront; S3 server access logs would only record CloudFront's own fetches.
  #checkov:skip=CKV2_AWS_62:No consumer of object events: deployments invalidate CloudFront themselves.
  #checkov:skip=CKV_AWS_145:Public web assets (HTML, JS, CSS) served to anyone; SSE-S3 suffices and keeps CloudFront's origin access free of KMS grants.
  bucket        = "${var.name}-web-${data.aws_caller_identity.current.account_id}"
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_public_access_block" "web" {
  bucket = aws_s3_bucket.web.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "web" {
  bucket = aws_s3_bucket.web.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "web" {
  bucket = aws_s3_bucket.web.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "web" {
  bucket = aws_s3_bucket.web.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "web" {
  bucket = aws_s3_bucket.web.id

  rule {
    id     = "expire-replaced-builds"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.web]
}

resource "aws_cloudfront_origin_access_control" "web" {
  name                              = "${var.name}-web"
  description                       = "CloudFront reads ${aws_s3_bucket.web.id} with SigV4"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "web" {
  #checkov:skip=CKV_AWS_68:A WAF web ACL on CloudFront must live in us-east-1 and costs more than the static assets it would protect; the API (the dynamic part) has its WAF on the ALB.
  #checkov:skip=CKV2_AWS_47:Same as CKV_AWS_68: no web ACL on the static distribution; the API's ALB web ACL carries the known-bad-inputs rules.
  #checkov:skip=CKV_AWS_86:Standard logging needs an ACL-enabled bucket; the archive bucket enforces bucket-owner ownership (ACLs disabled).
  #checkov:skip=CKV_AWS_310:One origin (the bucket); S3 is the failover-free source of truth of a static site.
  #checkov:skip=CKV_AWS_374:The web app is public worldwide by design.
  #checkov:skip=CKV2_AWS_32:The AWS managed SecurityHeadersPolicy (HSTS, nosniff, frame options, referrer policy) is attached by its documented ID (response_headers_policy_id); checkov only sees policies declared as resources.
  enabled             = true
  comment             = "${var.name} web front end"
  aliases             = var.aliases
  default_root_object = "index.html"
  is_ipv6_enabled     = true
  http_version        = "http2and3"
  price_class         = var.price_class

  origin {
    origin_id                = local.origin_id
    domain_name              = aws_s3_bucket.web.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.web.id
  }

  default_cache_behavior {
    target_origin_id           = local.origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.managed_cache_policy_caching_optimized
    response_headers_policy_id = local.managed_response_headers_security_headers
  }

  # The single-page app routes every path itself: a missing key is answered with the app.
  dynamic "custom_error_response" {
    for_each = var.spa_fallback_status_codes

    content {
      error_code            = custom_error_response.value
      response_code         = 200
      response_page_path    = "/index.html"
      error_caching_min_ttl = 10
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = var.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  lifecycle {
    ignore_changes = all
  }
}

data "aws_iam_policy_document" "web" {
  statement {
    sid       = "CloudFrontReadsThroughOriginAccessControl"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.web.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.web.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.web.arn, "${aws_s3_bucket.web.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "web" {
  bucket = aws_s3_bucket.web.id
  policy = data.aws_iam_policy_document.web.json

  depends_on = [aws_s3_bucket_public_access_block.web]
}
