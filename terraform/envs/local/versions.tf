terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # The state path comes from the inventory: terraform init -backend-config=path=.state/terraform/local/terraform.tfstate
  backend "local" {}
}
