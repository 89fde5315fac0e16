mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_secretsmanager_secret" {
    defaults = {
      arn = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:dailyge-test/slack-webhook-AbCdEf"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:ap-northeast-2:123456789012:log-group:/aws/lambda/dailyge-test-slack-notifier"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/dailyge-test-slack-notifier"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn = "arn:aws:lambda:ap-northeast-2:123456789012:function:dailyge-test-slack-notifier"
    }
  }
}

variables {
  name            = "dailyge-test"
  environment     = "test"
  alarm_topic_arn = "arn:aws:sns:ap-northeast-2:123456789012:dailyge-test-alarms"
  kms_key_arn     = "arn:aws:kms:ap-northeast-2:123456789012:key/00000000-0000-0000-0000-000000000000"
  package_path    = "../../../.state/terraform/test/lambda/slack_notifier.zip"
  package_sha256  = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
}

run "the_function_runs_the_built_package" {
  assert {
    condition = (
      aws_lambda_function.this.runtime == "python3.12" && aws_lambda_function.this.handler == "handler.handler" &&
      aws_lambda_function.this.filename == var.package_path && aws_lambda_function.this.source_code_hash == var.package_sha256
    )
    error_message = "The function is the Python 3.12 handler of the zip the project built, redeployed when its hash changes."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables == tomap({ SLACK_WEBHOOK_SECRET_ARN = aws_secretsmanager_secret.webhook.arn, DAILYGE_ENVIRONMENT = "test" })
    error_message = "The function reads the webhook URL from the secret (never from its configuration) and names the environment."
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 5 && aws_lambda_function.this.kms_key_arn == var.kms_key_arn
    error_message = "The notifier's concurrency is capped and its environment encrypted with the given key."
  }
}

run "the_alarm_topic_invokes_the_function" {
  assert {
    condition = (
      aws_sns_topic_subscription.this.protocol == "lambda" && aws_sns_topic_subscription.this.topic_arn == var.alarm_topic_arn &&
      aws_sns_topic_subscription.this.endpoint == aws_lambda_function.this.arn
    )
    error_message = "The function is subscribed to the alarm topic."
  }

  assert {
    condition = (
      aws_lambda_permission.sns.principal == "sns.amazonaws.com" && aws_lambda_permission.sns.source_arn == var.alarm_topic_arn &&
      aws_lambda_permission.sns.action == "lambda:InvokeFunction"
    )
    error_message = "Only the alarm topic may invoke the function."
  }
}

run "the_webhook_secret_and_the_logs" {
  assert {
    condition     = aws_secretsmanager_secret.webhook.name == "dailyge-test/slack-webhook" && aws_secretsmanager_secret.webhook.kms_key_id == var.kms_key_arn
    error_message = "The webhook URL lives in its own KMS-encrypted secret."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/dailyge-test-slack-notifier" && aws_cloudwatch_log_group.this.retention_in_days == 14
    error_message = "The function logs to its own group with a retention."
  }
}

run "a_hash_that_is_not_a_sha256_is_refused" {
  command = plan

  variables {
    package_sha256 = "not-a-hash"
  }

  expect_failures = [var.package_sha256]
}

run "a_package_that_is_not_a_zip_is_refused" {
  command = plan

  variables {
    package_path = "lambda/slack_notifier/handler.py"
  }

  expect_failures = [var.package_path]
}

run "an_alarm_topic_that_is_not_an_sns_arn_is_refused" {
  command = plan

  variables {
    alarm_topic_arn = "dailyge-test-alarms"
  }

  expect_failures = [var.alarm_topic_arn]
}
