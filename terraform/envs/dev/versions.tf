terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration from the inventory (bucket, key, region, encrypt, use_lockfile):
  # terraform init -backend-config=bucket=... (see inventories/dev/group_vars/all/terraform.yml).
  backend "s3" {}
}
