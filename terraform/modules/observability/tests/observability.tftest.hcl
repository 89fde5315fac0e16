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

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_elb_service_account" {
    defaults = {
      arn = "arn:aws:iam::600734575887:root"
    }
  }

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

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::dailyge-test-archive-123456789012"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:ap-northeast-2:123456789012:dailyge-test-alarms"
    }
  }
}

variables {
  name             = "dailyge-test"
  ecs_cluster_name = "dailyge-test"
  ecs_service_name = "api"
}

run "log_groups_with_retention" {
  assert {
    condition     = output.log_group_names == { api = "/dailyge-test/ecs/api", waf = "aws-waf-logs-dailyge-test" }
    error_message = "Expected the API log group and the WAF log group (aws-waf-logs- prefix)."
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.this : group.retention_in_days == 14 && group.kms_key_id == aws_kms_key.observability.arn])
    error_message = "Every log group keeps log_retention_days and is encrypted with the observability key."
  }
}

run "cpu_alarm_to_the_topic" {
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.ecs_api_cpu_high.namespace == "AWS/ECS" && aws_cloudwatch_metric_alarm.ecs_api_cpu_high.metric_name == "CPUUtilization" &&
      aws_cloudwatch_metric_alarm.ecs_api_cpu_high.period == 60 && aws_cloudwatch_metric_alarm.ecs_api_cpu_high.threshold == 90
    )
    error_message = "The alarm watches the average ECS CPU per minute against 90 %."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.ecs_api_cpu_high.dimensions == tomap({ ClusterName = "dailyge-test", ServiceName = "api" })
    error_message = "The alarm watches the API service of the cluster."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.ecs_api_cpu_high.alarm_actions == toset([aws_sns_topic.alarms.arn])
    error_message = "The alarm notifies the alarm topic."
  }
}

run "archive_bucket" {
  assert {
    condition = (
      aws_s3_bucket_public_access_block.archive.block_public_acls && aws_s3_bucket_public_access_block.archive.block_public_policy &&
      aws_s3_bucket_public_access_block.archive.ignore_public_acls && aws_s3_bucket_public_access_block.archive.restrict_public_buckets
    )
    error_message = "Every public access of the archive bucket must be blocked."
  }

  assert {
    condition     = aws_s3_bucket_versioning.archive.versioning_configuration[0].status == "Enabled"
    error_message = "The archive bucket must be versioned."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.archive.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "The archive bucket must be encrypted (SSE-S3: ALB access logs accept nothing else)."
  }

  assert {
    condition     = { for transition in aws_s3_bucket_lifecycle_configuration.archive.rule[0].transition : transition.storage_class => transition.days } == { STANDARD_IA = 30, GLACIER = 90 }
    error_message = "Archived objects move to Standard-IA after 30 days and Glacier after 90."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.archive.rule[0].expiration[0].days == 730
    error_message = "Archived objects expire after two years."
  }
}

run "cloudwatch_logs_may_export_into_the_archive" {
  assert {
    condition = anytrue([
      for statement in data.aws_iam_policy_document.archive.statement :
      contains(statement.actions, "s3:PutObject") && contains(flatten([for principal in statement.principals : principal.identifiers]), "logs.ap-northeast-2.amazonaws.com")
      && contains(statement.resources, "arn:aws:s3:::dailyge-test-archive-123456789012/cloudwatch-logs/*")
    ])
    error_message = "CloudWatch Logs (logs.<region>.amazonaws.com) must be allowed to write exports under cloudwatch-logs/."
  }

  assert {
    condition = anytrue([
      for statement in data.aws_iam_policy_document.archive.statement :
      contains(statement.actions, "s3:GetBucketAcl") && contains(flatten([for principal in statement.principals : principal.identifiers]), "logs.ap-northeast-2.amazonaws.com")
    ])
    error_message = "CloudWatch Logs must be allowed to check the bucket ACL before exporting."
  }

  assert {
    condition = anytrue([
      for statement in data.aws_iam_policy_document.archive.statement :
      contains(flatten([for principal in statement.principals : principal.identifiers]), "arn:aws:iam::600734575887:root")
    ])
    error_message = "The region's ELB account must be allowed to write the ALB access logs."
  }
}

run "ecr_keeps_five_images" {
  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.api.policy).rules[0].selection == { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 5 }
    error_message = "The ECR lifecycle policy must keep the 5 most recent images."
  }

  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.api.policy).rules[0].action.type == "expire"
    error_message = "Images beyond the 5 most recent must expire."
  }

  assert {
    condition     = aws_ecr_repository.api.image_tag_mutability == "IMMUTABLE" && aws_ecr_repository.api.image_scanning_configuration[0].scan_on_push
    error_message = "Tags are immutable and images scanned on push."
  }
}

run "glacier_before_ia_is_refused" {
  command = plan

  variables {
    archive_transition_to_glacier_days = 40
  }

  expect_failures = [var.archive_transition_to_glacier_days]
}
