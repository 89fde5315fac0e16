# local: every AWS service of the stack is the embedded emulator (moto's server) on loopback.
# The credentials are the emulator's placeholders, not secrets.
#
# The provider asks the emulator for the account ID (sts:GetCallerIdentity, one call) instead of
# skipping it (skip_requesting_account_id): without the account ID the provider reads every rule
# that references a security group of this very account as cross-account ("123456789012/sg-...")
# and plans to change it on every run, and builds some ARNs with an empty account.

locals {
  default_tags = {
    Project     = "dailyge"
    Environment = var.environment
    ManagedBy   = "terraform"
  }
}

provider "aws" {
  region                      = var.aws_region
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
  s3_use_path_style           = true
  max_retries                 = 2

  endpoints {
    acm            = var.aws_endpoint_url
    autoscaling    = var.aws_endpoint_url
    cloudfront     = var.aws_endpoint_url
    cloudwatch     = var.aws_endpoint_url
    ec2            = var.aws_endpoint_url
    ecr            = var.aws_endpoint_url
    ecs            = var.aws_endpoint_url
    elbv2          = var.aws_endpoint_url
    iam            = var.aws_endpoint_url
    kms            = var.aws_endpoint_url
    lambda         = var.aws_endpoint_url
    logs           = var.aws_endpoint_url
    rds            = var.aws_endpoint_url
    route53        = var.aws_endpoint_url
    s3             = var.aws_endpoint_url
    secretsmanager = var.aws_endpoint_url
    sns            = var.aws_endpoint_url
    ssm            = var.aws_endpoint_url
    sts            = var.aws_endpoint_url
    wafv2          = var.aws_endpoint_url
  }

  default_tags {
    tags = local.default_tags
  }
}

# CloudFront certificates live in us-east-1 (the emulator answers for every region).
provider "aws" {
  alias = "us_east_1"

  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
  s3_use_path_style           = true
  max_retries                 = 2

  endpoints {
    acm            = var.aws_endpoint_url
    autoscaling    = var.aws_endpoint_url
    cloudfront     = var.aws_endpoint_url
    cloudwatch     = var.aws_endpoint_url
    ec2            = var.aws_endpoint_url
    ecr            = var.aws_endpoint_url
    ecs            = var.aws_endpoint_url
    elbv2          = var.aws_endpoint_url
    iam            = var.aws_endpoint_url
    kms            = var.aws_endpoint_url
    lambda         = var.aws_endpoint_url
    logs           = var.aws_endpoint_url
    rds            = var.aws_endpoint_url
    route53        = var.aws_endpoint_url
    s3             = var.aws_endpoint_url
    secretsmanager = var.aws_endpoint_url
    sns            = var.aws_endpoint_url
    ssm            = var.aws_endpoint_url
    sts            = var.aws_endpoint_url
    wafv2          = var.aws_endpoint_url
  }

  default_tags {
    tags = local.default_tags
  }
}
