# dev: real AWS. Credentials come from the caller's environment (AWS_PROFILE, SSO, or the CI's
# assumed role); nothing secret lives in this repository.

locals {
  default_tags = {
    Project     = "dailyge"
    Environment = var.environment
    ManagedBy   = "terraform"
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.default_tags
  }
}

# CloudFront only accepts ACM certificates from us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = local.default_tags
  }
}
