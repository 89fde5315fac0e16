mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:ap-northeast-2:123456789012:key/00000000-0000-0000-0000-000000000000"
      key_id = "00000000-0000-0000-0000-000000000000"
    }
  }
}

variables {
  name = "dailyge-test"
}

run "app_config_secret_without_a_value" {
  assert {
    condition     = aws_secretsmanager_secret.app_config.name == "dailyge-test/app-config"
    error_message = "The application config secret is <name>/app-config."
  }

  assert {
    condition     = aws_secretsmanager_secret.app_config.kms_key_id == aws_kms_key.app_config.arn && aws_kms_key.app_config.enable_key_rotation
    error_message = "The secret is encrypted with its own rotating key."
  }

  assert {
    condition     = output.app_config_secret_arn == aws_secretsmanager_secret.app_config.arn
    error_message = "The ARN of the secret is an output (its value never is)."
  }

  assert {
    condition     = aws_secretsmanager_secret.app_config.recovery_window_in_days == 30
    error_message = "A deleted secret stays recoverable for 30 days by default."
  }
}

run "bad_recovery_window_is_refused" {
  command = plan

  variables {
    recovery_window_in_days = 3
  }

  expect_failures = [var.recovery_window_in_days]
}
