# MySQL 8.0 in the private subnets: utf8mb4 and Asia/Seoul in its parameter group, encrypted,
# never public, protected from destruction, daily backup at 03:00 KST. The master password is
# generated and kept by RDS in Secrets Manager (manage_master_user_password): it never appears in
# Terraform code, variables, state or outputs.

locals {
  exported_logs = ["error", "slowquery"]

  parameters = merge({
    character_set_client     = var.character_set
    character_set_connection = var.character_set
    character_set_database   = var.character_set
    character_set_results    = var.character_set
    character_set_server     = var.character_set
    collation_connection     = var.collation
    collation_server         = var.collation
    time_zone                = var.time_zone
    slow_query_log           = "1"
    long_query_time          = tostring(var.slow_query_seconds)
    log_output               = "FILE"
    require_secure_transport = var.require_tls ? "1" : "0"
  }, var.parameters)
}

# The groups RDS exports the error and slow query logs to, created first so that they carry a
# retention and the observability key (RDS would create them without expiry, unencrypted).
resource "aws_cloudwatch_log_group" "exports" {
  #checkov:skip=CKV_AWS_338:Logs older than a day are exported to the archive bucket by the log archive operation; CloudWatch is not the archive.
  for_each = toset(local.exported_logs)

  name              = "/aws/rds/instance/${var.name}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
}

resource "aws_db_subnet_group" "this" {
  name        = var.name
  description = "Private subnets of ${var.name}"
  subnet_ids  = var.private_subnet_ids
}

resource "aws_db_parameter_group" "this" {
  name        = "${var.name}-mysql80"
  family      = "mysql8.0"
  description = "${var.name}: utf8mb4, ${var.time_zone}, slow query log"

  dynamic "parameter" {
    for_each = local.parameters

    content {
      name  = parameter.key
      value = parameter.value
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

data "aws_iam_policy_document" "enhanced_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "enhanced_monitoring" {
  count = var.enhanced_monitoring_interval_seconds > 0 ? 1 : 0

  name               = "${var.name}-rds-enhanced-monitoring"
  assume_role_policy = data.aws_iam_policy_document.enhanced_monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "enhanced_monitoring" {
  count = var.enhanced_monitoring_interval_seconds > 0 ? 1 : 0

  role       = aws_iam_role.enhanced_monitoring[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV2_AWS_69:require_secure_transport = 1 is set in the parameter group (var.require_tls, default true) through a dynamic block checkov does not evaluate.
  #checkov:skip=CKV_AWS_354:Performance Insights data is encrypted with the AWS-managed aws/rds key; a customer key would add cost with no other consumer.
  identifier     = var.name
  engine         = "mysql"
  engine_version = var.engine_version
  instance_class = var.instance_class

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name                     = var.database_name
  username                    = var.master_username
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [var.security_group_id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = var.multi_az

  backup_window              = var.backup_window
  backup_retention_period    = var.backup_retention_days
  maintenance_window         = var.maintenance_window
  copy_tags_to_snapshot      = true
  auto_minor_version_upgrade = true
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = false
  final_snapshot_identifier  = "${var.name}-final"

  iam_database_authentication_enabled   = true
  enabled_cloudwatch_logs_exports       = local.exported_logs
  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_retention_period = var.performance_insights_enabled ? 7 : null
  monitoring_interval                   = var.enhanced_monitoring_interval_seconds
  monitoring_role_arn                   = var.enhanced_monitoring_interval_seconds > 0 ? aws_iam_role.enhanced_monitoring[0].arn : null

  lifecycle {
    prevent_destroy = true
  }

  depends_on = [aws_iam_role_policy_attachment.enhanced_monitoring, aws_cloudwatch_log_group.exports]
}

# The attachment above is the whole set of the role: a policy attached or put by hand is drift in
# every plan and removed by the next apply.
resource "aws_iam_role_policy_attachments_exclusive" "enhanced_monitoring" {
  count = var.enhanced_monitoring_interval_seconds > 0 ? 1 : 0

  role_name   = aws_iam_role.enhanced_monitoring[0].name
  policy_arns = [aws_iam_role_policy_attachment.enhanced_monitoring[0].policy_arn]
}

resource "aws_iam_role_policies_exclusive" "enhanced_monitoring" {
  count = var.enhanced_monitoring_interval_seconds > 0 ? 1 : 0

  role_name    = aws_iam_role.enhanced_monitoring[0].name
  policy_names = []
}
