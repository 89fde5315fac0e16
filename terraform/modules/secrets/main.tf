# The Secrets Manager secret holding the application config (Jasypt-encrypted values synced by the
# secrets play). Terraform creates the container and its key only: no secret value is ever in
# Terraform code, variables or state.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:Key policies must name the key itself as "*"; the account root keeps administration so the key never becomes unmanageable.
  #checkov:skip=CKV_AWS_111:Key policies must name the key itself as "*"; use is granted to roles by their IAM policies.
  #checkov:skip=CKV_AWS_356:In a key policy "*" means this key only.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "app_config" {
  description             = "${var.name}: application config secret"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "app_config" {
  name          = "alias/${var.name}-app-config"
  target_key_id = aws_kms_key.app_config.key_id
}

resource "aws_secretsmanager_secret" "app_config" {
  #checkov:skip=CKV2_AWS_57:The application config is not a credential AWS can rotate; it is re-encrypted and synced from the config repository by the secrets play.
  name                    = "${var.name}/app-config"
  description             = "Dailyge application config (Jasypt ENC(...) values), synced by the secrets play"
  kms_key_id              = aws_kms_key.app_config.arn
  recovery_window_in_days = var.recovery_window_in_days
}
