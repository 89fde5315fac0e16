# A fresh state: a given ami_id (local) is used as is and SSM is not read.
mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "ap-northeast-2"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_ssm_parameter" {
    defaults = {
      value = "ami-087e08db3e40f7429"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_instance" {
    defaults = {
      id = "i-0123456789abcdef0"
    }
  }
}

variables {
  name                     = "dailyge-test"
  subnet_id                = "subnet-0123456789abcdef0"
  security_group_id        = "sg-0123456789abcdef0"
  instance_type            = "t3.small"
  app_config_secret_arn    = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:dailyge-test/app-config-AbCdEf"
  app_config_kms_key_arn   = "arn:aws:kms:ap-northeast-2:123456789012:key/00000000-0000-0000-0000-000000000000"
  grafana_target_group_arn = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/dailyge-test-grafana/0123456789abcdef"
}

run "given_ami_skips_ssm" {
  variables {
    ami_id = "ami-0123456789abcdef0"
  }

  assert {
    condition     = aws_instance.this.ami == "ami-0123456789abcdef0" && length(data.aws_ssm_parameter.ami) == 0
    error_message = "A given ami_id is used as is (local)."
  }
}
