# Slack notifier: the Lambda (lambda/slack_notifier, Python 3.12) subscribed to the alarm topic, which
# turns each CloudWatch alarm notification into a Slack message. Terraform deploys the zip the project
# builds (dailyge.infra.lambda_package, called by roles/terraform) and creates the secret that holds the
# webhook URL; the URL itself is put by the secrets phase (playbooks/secrets.yml) from the vault, so it
# never enters Terraform's state.

locals {
  function_name = "${var.name}-slack-notifier"
}

resource "aws_secretsmanager_secret" "webhook" {
  #checkov:skip=CKV2_AWS_57:An incoming-webhook URL cannot be rotated by a Lambda: Slack issues it; it is replaced by hand in the vault and re-synced.
  name                    = "${var.name}/slack-webhook"
  description             = "Slack incoming-webhook URL of the alarm notifier (value put by playbooks/secrets.yml)."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Logs are exported to the archive bucket by the log archive operation; CloudWatch is not the archive.
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "ReadWebhookUrl"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.webhook.arn]
  }

  statement {
    sid       = "DecryptWebhookUrl"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "this" {
  name               = local.function_name
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "this" {
  name   = "slack-notifier"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The function only calls Secrets Manager and Slack over the internet; a VPC would add a NAT path and nothing else.
  #checkov:skip=CKV_AWS_116:SNS invokes asynchronously and Lambda retries twice; a failed notification is logged, and alarms stay visible in CloudWatch and Alertmanager.
  #checkov:skip=CKV_AWS_272:The package is built from this repository by the deployment itself (dailyge.infra.lambda_package); there is no signing authority in this project.
  function_name                  = local.function_name
  description                    = "CloudWatch alarm notifications from ${var.alarm_topic_arn} to Slack."
  role                           = aws_iam_role.this.arn
  runtime                        = "python3.12"
  handler                        = "handler.handler"
  filename                       = var.package_path
  source_code_hash               = var.package_sha256
  timeout                        = 15
  memory_size                    = 128
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = {
      SLACK_WEBHOOK_SECRET_ARN = aws_secretsmanager_secret.webhook.arn
      DAILYGE_ENVIRONMENT      = var.environment
    }
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

resource "aws_lambda_permission" "sns" {
  statement_id  = "AllowAlarmTopic"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = var.alarm_topic_arn
}

resource "aws_sns_topic_subscription" "this" {
  topic_arn = var.alarm_topic_arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.this.arn

  depends_on = [aws_lambda_permission.sns]
}

# The inline policy above is the whole set of the role: a policy attached or put by hand is drift in
# every plan and removed by the next apply.
resource "aws_iam_role_policy_attachments_exclusive" "this" {
  role_name   = aws_iam_role.this.name
  policy_arns = []
}

resource "aws_iam_role_policies_exclusive" "this" {
  role_name    = aws_iam_role.this.name
  policy_names = [aws_iam_role_policy.this.name]
}
