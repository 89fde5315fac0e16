# Every run plans only: the instance carries prevent_destroy, so an applied test state could not be
# torn down. All the asserted values are known at plan time.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/dailyge-test-rds-enhanced-monitoring"
    }
  }
}

variables {
  name               = "dailyge-test"
  private_subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_id  = "sg-0123456789abcdef0"
  instance_class     = "db.t4g.micro"
  log_retention_days = 14
  log_kms_key_arn    = "arn:aws:kms:ap-northeast-2:123456789012:key/00000000-0000-0000-0000-000000000000"
}

run "private_encrypted_mysql80" {
  command = plan

  assert {
    condition     = aws_db_instance.this.engine == "mysql" && aws_db_instance.this.engine_version == "8.0"
    error_message = "The database must be MySQL 8.0."
  }

  assert {
    condition     = aws_db_instance.this.publicly_accessible == false
    error_message = "The database must not be publicly accessible."
  }

  assert {
    condition     = aws_db_instance.this.storage_encrypted
    error_message = "Storage must be encrypted."
  }

  assert {
    condition     = aws_db_instance.this.vpc_security_group_ids == toset([var.security_group_id]) && aws_db_subnet_group.this.subnet_ids == toset(var.private_subnet_ids)
    error_message = "The database lives in the private subnets behind its own security group."
  }

  assert {
    condition     = aws_db_instance.this.deletion_protection && aws_db_instance.this.multi_az && !aws_db_instance.this.skip_final_snapshot
    error_message = "By default the database is protected from deletion, multi-AZ and keeps a final snapshot."
  }
}

run "password_managed_by_rds" {
  command = plan

  assert {
    condition     = aws_db_instance.this.manage_master_user_password && aws_db_instance.this.password == null
    error_message = "The master password must be generated and kept by RDS, never given by Terraform."
  }
}

run "backup_at_03_kst" {
  command = plan

  assert {
    condition     = aws_db_instance.this.backup_window == "18:00-18:30"
    error_message = "The daily backup runs at 18:00 UTC (03:00 Asia/Seoul)."
  }

  assert {
    condition     = aws_db_instance.this.backup_retention_period == 7 && aws_db_instance.this.copy_tags_to_snapshot
    error_message = "Backups are kept backup_retention_days and carry the tags."
  }
}

run "utf8mb4_and_seoul_time" {
  command = plan

  assert {
    condition     = aws_db_parameter_group.this.family == "mysql8.0"
    error_message = "The parameter group must be of the mysql8.0 family."
  }

  assert {
    condition     = { for parameter in aws_db_parameter_group.this.parameter : parameter.name => parameter.value }["time_zone"] == "Asia/Seoul"
    error_message = "time_zone must be Asia/Seoul."
  }

  assert {
    condition = alltrue([
      for name in ["character_set_server", "character_set_client", "character_set_connection", "character_set_database", "character_set_results"] :
      { for parameter in aws_db_parameter_group.this.parameter : parameter.name => parameter.value }[name] == "utf8mb4"
    ])
    error_message = "Every character set of the server must be utf8mb4."
  }

  assert {
    condition     = { for parameter in aws_db_parameter_group.this.parameter : parameter.name => parameter.value }["collation_server"] == "utf8mb4_0900_ai_ci"
    error_message = "collation_server must be a utf8mb4 collation."
  }

  assert {
    condition     = aws_db_instance.this.parameter_group_name == aws_db_parameter_group.this.name
    error_message = "The instance must use the parameter group."
  }

  assert {
    condition     = contains(aws_db_instance.this.enabled_cloudwatch_logs_exports, "slowquery")
    error_message = "Slow queries must reach CloudWatch."
  }

  assert {
    condition     = toset([for group in aws_cloudwatch_log_group.exports : group.name]) == toset(["/aws/rds/instance/dailyge-test/error", "/aws/rds/instance/dailyge-test/slowquery"]) && alltrue([for group in aws_cloudwatch_log_group.exports : group.retention_in_days == 14])
    error_message = "The exported log groups exist before the instance, with a retention."
  }
}

run "disposable_environment" {
  command = plan

  variables {
    deletion_protection                  = false
    multi_az                             = false
    enhanced_monitoring_interval_seconds = 0
  }

  assert {
    condition     = !aws_db_instance.this.deletion_protection && length(aws_iam_role.enhanced_monitoring) == 0
    error_message = "deletion_protection and enhanced monitoring follow their variables."
  }
}

run "mysql57_is_refused" {
  command = plan

  variables {
    engine_version = "5.7"
  }

  expect_failures = [var.engine_version]
}

run "backup_window_format" {
  command = plan

  variables {
    backup_window = "3am"
  }

  expect_failures = [var.backup_window]
}
