# The monitoring host: Prometheus, Alertmanager and Grafana (installed by Ansible) on one EC2
# instance in a private subnet, reached through SSM (no SSH, no public address) and, for Grafana,
# through the ALB. Its role lets Prometheus discover EC2 and ECS targets, Grafana read CloudWatch,
# and the exporters read the application config secret.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_ssm_parameter" "ami" {
  count = var.ami_id == null ? 1 : 0

  name = var.ami_ssm_parameter_name
}

locals {
  ami_id     = var.ami_id != null ? var.ami_id : nonsensitive(data.aws_ssm_parameter.ami[0].value)
  region     = data.aws_region.current.name
  log_groups = "arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-monitoring"
  description        = "Monitoring host of ${var.name}: service discovery, CloudWatch read, app config read"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "monitoring" {
  #checkov:skip=CKV_AWS_356:Read-only discovery over the whole account: ec2:Describe*, ecs:ListClusters and ecs:DescribeTaskDefinition, cloudwatch:GetMetricData and cloudwatch:PutMetricData accept no resource but "*"; the only write, PutMetricData, is limited to the watchdog's namespaces by condition.
  # Read-only discovery and metric APIs that take no resource ARN.
  statement {
    sid = "DiscoveryAndMetricsRead"
    actions = [
      "ec2:Describe*",
      "ecs:List*",
      "ecs:Describe*",
      "cloudwatch:GetMetricData",
      "cloudwatch:GetMetricStatistics",
      "cloudwatch:ListMetrics",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:DescribeAlarmHistory",
      "cloudwatch:DescribeAlarmsForMetric",
      "logs:DescribeLogGroups",
      "logs:GetQueryResults",
      "logs:StopQuery",
      "tag:GetResources",
    ]
    resources = ["*"]
  }

  # The watchdog's metrics (terraform/modules/watchdog): the heartbeat and the jobs' JobSucceeded.
  # PutMetricData takes no resource ARN; the condition limits it to these namespaces.
  statement {
    sid       = "PublishWatchdogMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = var.metric_namespaces
    }
  }

  statement {
    sid       = "LogsRead"
    actions   = ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:GetLogGroupFields", "logs:StartQuery"]
    resources = [local.log_groups]
  }

  statement {
    sid       = "ReadAppConfig"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.app_config_secret_arn]
  }

  statement {
    sid       = "AnsibleSsmTransfers"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.ansible_ssm.arn}/*"]
  }

  statement {
    sid       = "DecryptAppConfig"
    actions   = ["kms:Decrypt"]
    resources = [var.app_config_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "monitoring" {
  name   = "monitoring-read"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.monitoring.json
}

resource "aws_iam_instance_profile" "this" {
  name = "${var.name}-monitoring"
  role = aws_iam_role.this.name
}

resource "aws_instance" "this" {
  ami                    = local.ami_id
  instance_type          = var.instance_type
  subnet_id              = var.subnet_id
  vpc_security_group_ids = [var.security_group_id]
  iam_instance_profile   = aws_iam_instance_profile.this.name
  ebs_optimized          = true
  monitoring             = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_size           = var.root_volume_size_gb
    volume_type           = "gp3"
    encrypted             = true
    delete_on_termination = true
  }

  # Debian's cloud images carry no SSM agent: install it first (Ansible reaches the host through
  # Session Manager only), then Python for Ansible's modules. Runs once, at the first boot.
  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    deb=/tmp/amazon-ssm-agent.deb
    curl -fsSL -o "$deb" "https://s3.${local.region}.amazonaws.com/amazon-ssm-${local.region}/latest/debian_amd64/amazon-ssm-agent.deb"
    dpkg -i "$deb" && rm -f "$deb"
    systemctl enable --now amazon-ssm-agent
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-boto3
  EOT

  tags = { Name = "${var.name}-monitoring" }

  lifecycle {
    # A newer AMI in the SSM parameter must not replace the host (and its Prometheus data);
    # the host is patched in place by the package manager.
    ignore_changes = [ami, user_data]
  }
}

resource "aws_lb_target_group_attachment" "grafana" {
  target_group_arn = var.grafana_target_group_arn
  target_id        = aws_instance.this.id
  port             = var.grafana_port
}

# --- Ansible's file transfers through SSM Session Manager ----------------------------------------
# The amazon.aws.aws_ssm connection copies module files through an S3 bucket; they live seconds.

resource "aws_s3_bucket" "ansible_ssm" {
  #checkov:skip=CKV_AWS_144:Transient transfer files of Ansible, deleted after a day: nothing to replicate.
  #checkov:skip=CKV_AWS_18:Transient transfer files; CloudTrail records who used the bucket.
  #checkov:skip=CKV2_AWS_62:No consumer of object events for transient transfer files.
  #checkov:skip=CKV_AWS_21:Versioning would keep transfer files that expire after a day; nothing here must survive.
  #checkov:skip=CKV_AWS_145:SSE-S3 suffices for transient module files; the session itself is encrypted.
  bucket        = "${var.name}-ansible-ssm"
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "ansible_ssm" {
  bucket = aws_s3_bucket.ansible_ssm.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "ansible_ssm" {
  bucket = aws_s3_bucket.ansible_ssm.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "ansible_ssm" {
  bucket = aws_s3_bucket.ansible_ssm.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "ansible_ssm" {
  bucket = aws_s3_bucket.ansible_ssm.id

  rule {
    id     = "expire-transfer-files"
    status = "Enabled"

    filter {}

    expiration {
      days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

# The attachment and the inline policy above are the whole set of the role: a policy attached or put
# by hand is drift in every plan and removed by the next apply.
resource "aws_iam_role_policy_attachments_exclusive" "this" {
  role_name   = aws_iam_role.this.name
  policy_arns = [aws_iam_role_policy_attachment.ssm.policy_arn]
}

resource "aws_iam_role_policies_exclusive" "this" {
  role_name    = aws_iam_role.this.name
  policy_names = [aws_iam_role_policy.monitoring.name]
}
