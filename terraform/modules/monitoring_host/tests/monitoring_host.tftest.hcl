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

run "private_instance_with_the_monitoring_group" {
  assert {
    condition     = aws_instance.this.subnet_id == var.subnet_id && aws_instance.this.vpc_security_group_ids == toset([var.security_group_id])
    error_message = "The monitoring host lives in the given private subnet with the monitoring group."
  }

  assert {
    condition     = aws_instance.this.associate_public_ip_address != true
    error_message = "The monitoring host gets no public address."
  }

  assert {
    condition     = aws_instance.this.metadata_options[0].http_tokens == "required" && aws_instance.this.root_block_device[0].encrypted
    error_message = "IMDSv2 only, encrypted root volume."
  }

  assert {
    condition     = aws_instance.this.ami == "ami-087e08db3e40f7429" && data.aws_ssm_parameter.ami[0].name == "/aws/service/debian/release/bookworm/latest/amd64"
    error_message = "Without ami_id the latest Debian 12 AMI comes from SSM (the monitoring roles install Debian packages)."
  }

  assert {
    condition     = aws_lb_target_group_attachment.grafana.target_id == aws_instance.this.id && aws_lb_target_group_attachment.grafana.port == 3000
    error_message = "Grafana (3000) is registered in its ALB target group."
  }
}

run "instance_profile_for_discovery_and_reads" {
  assert {
    condition     = aws_iam_role_policy_attachment.ssm.policy_arn == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" && aws_iam_instance_profile.this.role == aws_iam_role.this.name
    error_message = "The host is reachable through SSM with its instance profile."
  }

  assert {
    condition = alltrue([
      for action in ["ec2:Describe*", "ecs:List*", "ecs:Describe*", "cloudwatch:GetMetricData", "cloudwatch:ListMetrics"] :
      contains(flatten([for statement in data.aws_iam_policy_document.monitoring.statement : statement.actions]), action)
    ])
    error_message = "Prometheus and Grafana need ec2:Describe*, ecs:List*/Describe* and CloudWatch reads."
  }

  assert {
    condition = one([
      for statement in data.aws_iam_policy_document.monitoring.statement : statement.resources
      if contains(statement.actions, "secretsmanager:GetSecretValue")
    ]) == toset([var.app_config_secret_arn])
    error_message = "Secrets Manager reads are limited to the application config secret."
  }

  assert {
    condition = !anytrue([for statement in data.aws_iam_policy_document.monitoring.statement : anytrue([for action in statement.actions : can(regex(":(Put|Create|Delete|Update|Modify|Run|Terminate)", action))])
    if !contains(["AnsibleSsmTransfers", "PublishWatchdogMetrics"], statement.sid)])
    error_message = "The monitoring role must not write anything but Ansible's transfer files and the watchdog's metrics."
  }

  assert {
    condition = one([
      for statement in data.aws_iam_policy_document.monitoring.statement : statement.resources
      if statement.sid == "AnsibleSsmTransfers"
    ]) == toset(["${aws_s3_bucket.ansible_ssm.arn}/*"])
    error_message = "The only writes are objects of the SSM transfer bucket."
  }
}

run "a_newer_ami_does_not_replace_the_host" {
  variables {
    ami_id = "ami-0123456789abcdef0"
  }

  assert {
    condition     = aws_instance.this.ami == "ami-087e08db3e40f7429" && aws_instance.this.id == "i-0123456789abcdef0"
    error_message = "A changed AMI must not replace the monitoring host (and its Prometheus data)."
  }
}

run "reachable_by_ansible_through_ssm" {
  assert {
    condition     = strcontains(aws_instance.this.user_data, "amazon-ssm-agent.deb") && strcontains(aws_instance.this.user_data, "systemctl enable --now amazon-ssm-agent")
    error_message = "Debian images carry no SSM agent: the user data installs and starts it (Ansible connects through SSM only)."
  }

  assert {
    condition     = aws_s3_bucket.ansible_ssm.bucket == "dailyge-test-ansible-ssm" && output.ansible_ssm_bucket_name == "dailyge-test-ansible-ssm"
    error_message = "Ansible's SSM file transfers need a bucket, named after the environment and given as an output."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.ansible_ssm.block_public_acls,
      aws_s3_bucket_public_access_block.ansible_ssm.block_public_policy,
      aws_s3_bucket_public_access_block.ansible_ssm.ignore_public_acls,
      aws_s3_bucket_public_access_block.ansible_ssm.restrict_public_buckets,
    ])
    error_message = "The transfer bucket is never public."
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.ansible_ssm.rule).expiration[0].days == 1
    error_message = "Transfer files expire after a day."
  }
}

run "the_host_publishes_only_the_watchdog_metrics" {
  command = plan

  assert {
    condition = anytrue([for statement in data.aws_iam_policy_document.monitoring.statement :
      toset(statement.actions) == toset(["cloudwatch:PutMetricData"]) &&
      anytrue([for condition in statement.condition : condition.variable == "cloudwatch:namespace" && condition.test == "StringEquals" &&
      toset(condition.values) == toset(["Dailyge/Watchdog", "Dailyge/Jobs"])])
    ])
    error_message = "The host may put metric data, only into the heartbeat and job namespaces of the watchdog."
  }
}

run "an_aws_namespace_is_refused" {
  command = plan

  variables {
    metric_namespaces = ["AWS/EC2"]
  }

  expect_failures = [var.metric_namespaces]
}
