# ECS on EC2: a cluster whose capacity is an Auto Scaling group of ECS-optimised instances (through
# a capacity provider), and the API service. Tasks run in bridge mode with hostPort = 0, so Docker
# gives each task its own ephemeral host port and several tasks share a host; ECS registers each
# task in the ALB target group on that port. The Auto Scaling group registers nothing in the ALB.
# desired_count is owned by the autoscaling play (ECS target tracking), not by Terraform.

data "aws_region" "current" {}

data "aws_ssm_parameter" "ecs_ami" {
  count = var.ami_id == null ? 1 : 0

  name = var.ami_ssm_parameter_name
}

# --- Who owns the image: the release -------------------------------------------------------------
# playbooks/release.yml owns the image the API runs. It registers a revision of this family that differs
# only in the image, moves the service onto it, and writes its record (JSON, `image` the reference pinned
# by tag and digest) into this parameter. Terraform creates the parameter once, with the bootstrap image,
# never writes it again, and builds the task definition from it. So a deploy (site.yml) renders exactly
# the revision the release registered (track_latest reads the newest revision): no change, and the
# running image is never moved by an infrastructure deploy. A change Terraform does make to the task
# definition (memory, environment) keeps the released image.
resource "aws_ssm_parameter" "release" {
  #checkov:skip=CKV2_AWS_34:the release record is public metadata (image reference, tag, digest, revision, commit), never a secret; Terraform reads it as plain text
  name           = "/${var.name}/api/release"
  description    = "Release record of the API (written by playbooks/release.yml; Terraform sets only the bootstrap image)."
  type           = "String"
  insecure_value = jsonencode({ image = "${var.container_image}:${var.image_tag}" })

  lifecycle {
    ignore_changes = [insecure_value]
  }
}

locals {
  released_image           = jsondecode(aws_ssm_parameter.release.insecure_value).image
  ami_id                   = var.ami_id != null ? var.ami_id : nonsensitive(data.aws_ssm_parameter.ecs_ami[0].value)
  service_name             = "api"
  container_name           = "api"
  heap_dump_container_path = "/heapdumps"
  heap_dump_flags          = ["-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=${local.heap_dump_container_path}"]

  container_definitions = [{
    name              = local.container_name
    image             = local.released_image
    essential         = true
    cpu               = var.task_cpu_units
    memory            = var.task_memory_mib
    memoryReservation = floor(var.task_memory_mib * 0.75)
    # Dynamic host port: bridge mode maps the container port to an ephemeral port of the host.
    portMappings = [{ containerPort = var.container_port, hostPort = 0, protocol = "tcp" }]
    environment = [
      { name = "APP_CONFIG_SECRET_ID", value = var.app_config_secret_arn },
      { name = "JAVA_TOOL_OPTIONS", value = join(" ", concat(local.heap_dump_flags, var.jvm_options)) },
      { name = "SPRING_PROFILES_ACTIVE", value = var.spring_profiles_active },
    ]
    mountPoints = [
      { sourceVolume = "heapdumps", containerPath = local.heap_dump_container_path, readOnly = false },
      { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
    ]
    readonlyRootFilesystem = true
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_group_name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = local.container_name
      }
    }
  }]

  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    cat >> /etc/ecs/ecs.config <<'CONFIG'
    ECS_CLUSTER=${var.name}
    ECS_ENABLE_CONTAINER_METADATA=true
    ECS_CONTAINER_STOP_TIMEOUT=60s
    CONFIG
    # Heap dumps of the API land here (mounted at ${local.heap_dump_container_path} in the container).
    install -d -m 0777 ${var.heap_dump_host_path}
    # The heap dump uploader (this module's files/heapdump_uploader.py): each finished dump is gzipped,
    # uploaded to s3://<archive>/${var.heap_dump_prefix}/<cluster>/<instance-id>/<time>.hprof.gz, verified
    # (size, ETag), announced in Slack, and only then removed. Its failure never stops the ECS agent.
    {
      dnf install -y python3-boto3 &&
      echo '${local.heap_dump_uploader_gzip}' | base64 -d | gunzip > /usr/local/bin/dailyge-heapdump-uploader &&
      chmod 0755 /usr/local/bin/dailyge-heapdump-uploader &&
      cat > /etc/dailyge-heapdump-uploader.env <<'ENV' &&
    DAILYGE_HEAPDUMP_DIR=${var.heap_dump_host_path}
    DAILYGE_HEAPDUMP_BUCKET=${local.heap_dump_bucket_name}
    DAILYGE_HEAPDUMP_PREFIX=${var.heap_dump_prefix}
    DAILYGE_ECS_CLUSTER=${var.name}
    DAILYGE_SLACK_WEBHOOK_SECRET_ID=${var.heap_dump_slack_webhook_secret_arn}
    AWS_DEFAULT_REGION=${data.aws_region.current.name}
    ENV
      cat > /etc/systemd/system/dailyge-heapdump-uploader.service <<'UNIT' &&
    [Unit]
    Description=Dailyge heap dump uploader (S3, then Slack, then delete)
    Wants=network-online.target
    After=network-online.target
    [Service]
    EnvironmentFile=/etc/dailyge-heapdump-uploader.env
    ExecStart=/usr/bin/python3 /usr/local/bin/dailyge-heapdump-uploader
    Restart=always
    RestartSec=30
    [Install]
    WantedBy=multi-user.target
    UNIT
      systemctl daemon-reload &&
      systemctl enable --now dailyge-heapdump-uploader.service
    } || echo "dailyge: the heap dump uploader could not be installed" >&2
    # Prometheus's node exporter (found by the monitoring host's ec2_sd through the instance tags),
    # from the official release, checked against the release's own sha256sums.txt.
    {
      release=https://github.com/prometheus/node_exporter/releases/download/v${var.node_exporter_version}
      archive=node_exporter-${var.node_exporter_version}.linux-amd64.tar.gz
      cd /tmp &&
      curl -fsSLO "$release/$archive" && curl -fsSLO "$release/sha256sums.txt" &&
      sha256sum --check --ignore-missing sha256sums.txt &&
      tar -xzf "$archive" &&
      install -m 0755 "node_exporter-${var.node_exporter_version}.linux-amd64/node_exporter" /usr/local/bin/node_exporter &&
      useradd --system --no-create-home --shell /sbin/nologin node_exporter &&
      cat > /etc/systemd/system/node_exporter.service <<'UNIT' &&
    [Unit]
    Description=Prometheus node exporter
    After=network-online.target
    [Service]
    User=node_exporter
    ExecStart=/usr/local/bin/node_exporter --web.listen-address=:9100
    Restart=always
    [Install]
    WantedBy=multi-user.target
    UNIT
      systemctl daemon-reload &&
      systemctl enable --now node_exporter.service
    } || echo "dailyge: the node exporter could not be installed" >&2
  EOT

  # The uploader travels gzipped in the user data (16 KB limit); tests/*/test_heapdump_uploader.py test it.
  heap_dump_uploader_gzip = base64gzip(file("${path.module}/files/heapdump_uploader.py"))
  heap_dump_bucket_name   = regex("[^:]+$", var.heap_dump_bucket_arn)
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

# --- IAM -----------------------------------------------------------------------------------------

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "host" {
  name               = "${var.name}-ecs-host"
  description        = "ECS container instances of ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_role_policy_attachment" "host" {
  for_each = toset([
    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
  ])

  role       = aws_iam_role.host.name
  policy_arn = each.value
}

data "aws_iam_policy_document" "host_heap_dumps" {
  statement {
    sid = "UploadHeapDumps"
    # GetObject: the uploader verifies each upload with HeadObject; AbortMultipartUpload: large dumps.
    actions   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]
    resources = ["${var.heap_dump_bucket_arn}/${var.heap_dump_prefix}/*"]
  }

  dynamic "statement" {
    for_each = var.heap_dump_slack_webhook_secret_arn == "" ? [] : [var.heap_dump_slack_webhook_secret_arn]

    content {
      sid       = "ReadSlackWebhook"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "host_heap_dumps" {
  name   = "upload-heap-dumps"
  role   = aws_iam_role.host.id
  policy = data.aws_iam_policy_document.host_heap_dumps.json
}

resource "aws_iam_instance_profile" "host" {
  name = "${var.name}-ecs-host"
  role = aws_iam_role.host.name
}

resource "aws_iam_role" "task_execution" {
  name               = "${var.name}-api-task-execution"
  description        = "ECS agent of the ${var.name} API tasks: pull the image, write the logs"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "task_execution" {
  role       = aws_iam_role.task_execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-api-task"
  description        = "The ${var.name} API itself: read its config secret"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ReadAppConfig"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.app_config_secret_arn]
  }

  statement {
    sid       = "DecryptAppConfig"
    actions   = ["kms:Decrypt"]
    resources = [var.app_config_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "read-app-config"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# --- Capacity: launch template, Auto Scaling group, capacity provider -------------------------

resource "aws_launch_template" "host" {
  name                   = "${var.name}-ecs-host"
  description            = "ECS-optimised Amazon Linux 2023 container instance of ${var.name}"
  image_id               = local.ami_id
  instance_type          = var.instance_type
  vpc_security_group_ids = [var.host_security_group_id]
  user_data              = base64encode(local.user_data)
  ebs_optimized          = true
  update_default_version = true

  iam_instance_profile {
    arn = aws_iam_instance_profile.host.arn
  }

  # IMDSv2 only, one hop: containers in bridge mode cannot reach the host's credentials.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  monitoring {
    enabled = true
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.root_volume_size_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  # Instances launched by the Auto Scaling group do not inherit the provider's default tags: the
  # host tags (e.g. Environment, Monitoring=node-exporter for Prometheus's ec2_sd) are set here.
  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.host_tags, { Name = "${var.name}-ecs-host" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.host_tags, { Name = "${var.name}-ecs-host" })
  }
}

resource "aws_autoscaling_group" "hosts" {
  name                  = "${var.name}-ecs-hosts"
  min_size              = var.asg_min_size
  max_size              = var.asg_max_size
  desired_capacity      = var.asg_min_size
  vpc_zone_identifier   = var.private_subnet_ids
  health_check_type     = "EC2"
  protect_from_scale_in = true # required by the capacity provider's managed termination protection
  # No target_group_arns: ECS registers the tasks (host:dynamic port) in the target group itself.

  launch_template {
    id      = aws_launch_template.host.id
    version = aws_launch_template.host.latest_version
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  tag {
    key                 = "Name"
    value               = "${var.name}-ecs-host"
    propagate_at_launch = true
  }

  lifecycle {
    # ECS managed scaling (the capacity provider) sets the desired capacity at run time.
    ignore_changes = [desired_capacity]
  }
}

resource "aws_ecs_capacity_provider" "hosts" {
  name = "${var.name}-ec2"

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.hosts.arn
    managed_termination_protection = "ENABLED"

    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = var.capacity_target_percent
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = 2
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = [aws_ecs_capacity_provider.hosts.name]

  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.hosts.name
    weight            = 1
    base              = 0
  }
}

# --- The API -------------------------------------------------------------------------------------

resource "aws_ecs_task_definition" "api" {
  family                   = "${var.name}-api"
  track_latest             = true # the release registers revisions too: compare with the newest one
  network_mode             = "bridge"
  requires_compatibilities = ["EC2"]
  execution_role_arn       = aws_iam_role.task_execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode(local.container_definitions)

  volume {
    name      = "heapdumps"
    host_path = var.heap_dump_host_path
  }

  # Scratch space of the read-only container (Tomcat's work files), private to each task.
  volume {
    name = "tmp"

    docker_volume_configuration {
      scope  = "task"
      driver = "local"
    }
  }
}

resource "aws_ecs_service" "api" {
  name                               = local.service_name
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.api.arn
  desired_count                      = var.service_desired_count
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"

  capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.hosts.name
    weight            = 1
    base              = 0
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  ordered_placement_strategy {
    type  = "spread"
    field = "attribute:ecs.availability-zone"
  }

  ordered_placement_strategy {
    type  = "binpack"
    field = "memory"
  }

  lifecycle {
    # The autoscaling play (ECS target tracking at 75 % CPU) owns the number of tasks.
    ignore_changes = [desired_count]
  }

  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

# The attachments and inline policies above are members; these make them the whole set of each role,
# so a policy attached or put by hand is drift in every plan and removed by the next apply.
resource "aws_iam_role_policy_attachments_exclusive" "host" {
  role_name   = aws_iam_role.host.name
  policy_arns = [for attachment in aws_iam_role_policy_attachment.host : attachment.policy_arn]
}

resource "aws_iam_role_policies_exclusive" "host" {
  role_name    = aws_iam_role.host.name
  policy_names = [aws_iam_role_policy.host_heap_dumps.name]
}

resource "aws_iam_role_policy_attachments_exclusive" "task_execution" {
  role_name   = aws_iam_role.task_execution.name
  policy_arns = [aws_iam_role_policy_attachment.task_execution.policy_arn]
}

resource "aws_iam_role_policies_exclusive" "task_execution" {
  role_name    = aws_iam_role.task_execution.name
  policy_names = []
}

resource "aws_iam_role_policy_attachments_exclusive" "task" {
  role_name   = aws_iam_role.task.name
  policy_arns = []
}

resource "aws_iam_role_policies_exclusive" "task" {
  role_name    = aws_iam_role.task.name
  policy_names = [aws_iam_role_policy.task.name]
}
