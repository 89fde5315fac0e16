mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "ap-northeast-2"
    }
  }

  mock_data "aws_ssm_parameter" {
    defaults = {
      value = "ami-0fae3369c34baac8b"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/dailyge-test-role"
    }
  }

  mock_resource "aws_iam_instance_profile" {
    defaults = {
      arn = "arn:aws:iam::123456789012:instance-profile/dailyge-test-ecs-host"
    }
  }

  mock_resource "aws_launch_template" {
    defaults = {
      id = "lt-0123456789abcdef0"
    }
  }

  mock_resource "aws_autoscaling_group" {
    defaults = {
      arn = "arn:aws:autoscaling:ap-northeast-2:123456789012:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/dailyge-test-ecs-hosts"
    }
  }

  mock_resource "aws_ecs_cluster" {
    defaults = {
      arn = "arn:aws:ecs:ap-northeast-2:123456789012:cluster/dailyge-test"
    }
  }

  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn = "arn:aws:ecs:ap-northeast-2:123456789012:task-definition/dailyge-test-api:1"
    }
  }
}

variables {
  name                   = "dailyge-test"
  private_subnet_ids     = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  host_security_group_id = "sg-0123456789abcdef0"
  ami_id                 = "ami-00da44fa6c44151a5"
  instance_type          = "t3.small"
  asg_min_size           = 1
  asg_max_size           = 3
  target_group_arn       = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/dailyge-test-api/0123456789abcdef"
  container_image        = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/dailyge-test-api"
  image_tag              = "abc1234"
  spring_profiles_active = "dev"
  heap_dump_bucket_arn   = "arn:aws:s3:::dailyge-test-archive"
  log_group_name         = "/dailyge-test/ecs/api"
  app_config_secret_arn  = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:dailyge-test/app-config-AbCdEf"
  app_config_kms_key_arn = "arn:aws:kms:ap-northeast-2:123456789012:key/00000000-0000-0000-0000-000000000000"
}

run "bridge_mode_with_dynamic_host_ports" {
  assert {
    condition     = aws_ecs_task_definition.api.network_mode == "bridge" && aws_ecs_task_definition.api.requires_compatibilities == toset(["EC2"])
    error_message = "Tasks must run on EC2 in bridge mode."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.api.container_definitions)[0].portMappings == [{ containerPort = 8080, hostPort = 0, protocol = "tcp" }]
    error_message = "The API must map container port 8080 to a dynamic host port (hostPort = 0)."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.api.container_definitions)[0].image == "${var.container_image}:abc1234"
    error_message = "The container must run the tagged image of the repository."
  }
}

run "the_release_owns_the_image" {
  assert {
    condition     = aws_ssm_parameter.release.name == "/dailyge-test/api/release" && aws_ssm_parameter.release.type == "String"
    error_message = "The release record must be the String parameter /<name>/api/release."
  }

  assert {
    condition     = jsondecode(aws_ssm_parameter.release.insecure_value) == { image = "${var.container_image}:abc1234" }
    error_message = "Before any release the record holds only the bootstrap image (the tagged image of the repository)."
  }

  assert {
    condition     = aws_ecs_task_definition.api.track_latest
    error_message = "The task definition must track the newest revision: releases register revisions of the family too."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.api.container_definitions)[0].image == jsondecode(aws_ssm_parameter.release.insecure_value).image
    error_message = "The task definition's image must come from the release record."
  }
}

run "logs_and_heap_dumps" {
  assert {
    condition = jsondecode(aws_ecs_task_definition.api.container_definitions)[0].logConfiguration == {
      logDriver = "awslogs"
      options   = { awslogs-group = "/dailyge-test/ecs/api", awslogs-region = "ap-northeast-2", awslogs-stream-prefix = "api" }
    }
    error_message = "The container must log to CloudWatch with the awslogs driver."
  }

  assert {
    condition     = strcontains(one([for env in jsondecode(aws_ecs_task_definition.api.container_definitions)[0].environment : env.value if env.name == "JAVA_TOOL_OPTIONS"]), "-XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=/heapdumps")
    error_message = "The JVM must write a heap dump to /heapdumps on OutOfMemoryError."
  }

  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.api.container_definitions)[0].mountPoints, { sourceVolume = "heapdumps", containerPath = "/heapdumps", readOnly = false })
    error_message = "/heapdumps must be a mounted volume."
  }

  assert {
    condition     = one([for volume in aws_ecs_task_definition.api.volume : volume.host_path if volume.name == "heapdumps"]) == "/var/lib/dailyge/heapdumps"
    error_message = "The heap dump volume must be a folder of the host (it survives the container)."
  }
}

run "heap_dump_uploader_installed_by_the_user_data" {
  assert {
    condition     = strcontains(base64decode(aws_launch_template.host.user_data), "systemctl enable --now dailyge-heapdump-uploader.service")
    error_message = "The user data must install and start the heap dump uploader service."
  }

  assert {
    condition = alltrue([for line in [
      "DAILYGE_HEAPDUMP_DIR=/var/lib/dailyge/heapdumps",
      "DAILYGE_HEAPDUMP_BUCKET=dailyge-test-archive",
      "DAILYGE_HEAPDUMP_PREFIX=heapdumps",
      "DAILYGE_ECS_CLUSTER=dailyge-test",
    ] : strcontains(base64decode(aws_launch_template.host.user_data), "\n${line}\n")])
    error_message = "The uploader must watch the heap dump folder and upload to heapdumps/<cluster>/ of the archive bucket."
  }

  assert {
    condition     = length(base64decode(aws_launch_template.host.user_data)) < 16384
    error_message = "EC2 user data is limited to 16 KB."
  }
}

run "node_exporter_on_every_host_found_by_its_tags" {
  variables {
    host_tags = { Environment = "test", Monitoring = "node-exporter" }
  }

  assert {
    condition = alltrue([for fragment in [
      "releases/download/v1.8.2",
      "sha256sum --check --ignore-missing sha256sums.txt",
      "--web.listen-address=:9100",
      "systemctl enable --now node_exporter.service",
    ] : strcontains(base64decode(aws_launch_template.host.user_data), fragment)])
    error_message = "The user data installs the checksum-verified node exporter on :9100 and starts it."
  }

  assert {
    condition = alltrue([for spec in aws_launch_template.host.tag_specifications :
    spec.tags.Monitoring == "node-exporter" && spec.tags.Environment == "test" && spec.tags.Name == "dailyge-test-ecs-host"])
    error_message = "Instances and volumes carry the host tags that Prometheus's ec2_sd filters on, and their name."
  }
}

run "node_exporter_version_must_be_a_release_number" {
  command = plan

  variables {
    node_exporter_version = "v1.8.2"
  }

  expect_failures = [var.node_exporter_version]
}

run "service_behind_the_alb_with_rollback" {
  assert {
    condition     = aws_ecs_service.api.deployment_circuit_breaker[0].enable && aws_ecs_service.api.deployment_circuit_breaker[0].rollback
    error_message = "Deployments must stop and roll back when tasks fail."
  }

  assert {
    condition     = one([for lb in aws_ecs_service.api.load_balancer : lb.container_port if lb.target_group_arn == var.target_group_arn]) == 8080
    error_message = "ECS must register the API container (port 8080) in the target group."
  }

  assert {
    condition     = one(aws_ecs_service.api.capacity_provider_strategy).capacity_provider == aws_ecs_capacity_provider.hosts.name
    error_message = "The service must run on the EC2 capacity provider."
  }

  assert {
    condition     = aws_ecs_service.api.desired_count == 1
    error_message = "The service starts with service_desired_count tasks."
  }
}

run "auto_scaling_group_registers_nothing_in_the_alb" {
  assert {
    condition     = length(aws_autoscaling_group.hosts.target_group_arns) == 0 && length(aws_autoscaling_group.hosts.load_balancers) == 0
    error_message = "The Auto Scaling group must not register instances in any target group (ECS registers the tasks)."
  }

  assert {
    condition     = aws_autoscaling_group.hosts.min_size == 1 && aws_autoscaling_group.hosts.max_size == 3 && aws_autoscaling_group.hosts.protect_from_scale_in
    error_message = "The group spans asg_min_size..asg_max_size and is protected from scale-in (managed termination)."
  }

  assert {
    condition     = aws_ecs_capacity_provider.hosts.auto_scaling_group_provider[0].managed_termination_protection == "ENABLED" && aws_ecs_capacity_provider.hosts.auto_scaling_group_provider[0].managed_scaling[0].status == "ENABLED"
    error_message = "The capacity provider manages scaling and termination of the hosts."
  }

  assert {
    condition     = aws_launch_template.host.image_id == "ami-00da44fa6c44151a5" && length(data.aws_ssm_parameter.ecs_ami) == 0
    error_message = "A given ami_id is used as is (local)."
  }

  assert {
    condition     = aws_launch_template.host.metadata_options[0].http_tokens == "required" && aws_launch_template.host.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "Hosts require IMDSv2 and keep containers away from the host credentials."
  }

  assert {
    condition     = strcontains(base64decode(aws_launch_template.host.user_data), "ECS_CLUSTER=dailyge-test")
    error_message = "Hosts must join the cluster."
  }
}

run "ami_from_ssm_when_not_given" {
  variables {
    ami_id = null
  }

  assert {
    condition     = data.aws_ssm_parameter.ecs_ami[0].name == "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    error_message = "dev/prod read the recommended ECS-optimised AL2023 AMI from SSM."
  }

  assert {
    condition     = aws_launch_template.host.image_id == "ami-0fae3369c34baac8b"
    error_message = "The launch template must use the AMI read from SSM."
  }
}

run "max_below_min_is_refused" {
  command = plan

  variables {
    asg_min_size = 3
    asg_max_size = 2
  }

  expect_failures = [var.asg_max_size]
}

run "heap_dump_flag_override_is_refused" {
  command = plan

  variables {
    jvm_options = ["-XX:HeapDumpPath=/tmp"]
  }

  expect_failures = [var.jvm_options]
}

run "iam_roles_own_their_whole_set_of_policies" {
  assert {
    condition     = toset(aws_iam_role_policy_attachments_exclusive.host.policy_arns) == toset([for attachment in aws_iam_role_policy_attachment.host : attachment.policy_arn])
    error_message = "The host role's exclusive attachments must be exactly its policy attachments."
  }

  assert {
    condition     = toset(aws_iam_role_policies_exclusive.host.policy_names) == toset([aws_iam_role_policy.host_heap_dumps.name]) && toset(aws_iam_role_policies_exclusive.task.policy_names) == toset([aws_iam_role_policy.task.name])
    error_message = "Each role's exclusive inline policies must be exactly its aws_iam_role_policy resources."
  }

  assert {
    condition     = length(aws_iam_role_policy_attachments_exclusive.task.policy_arns) == 0 && length(aws_iam_role_policies_exclusive.task_execution.policy_names) == 0
    error_message = "A role with no attachment (task) or no inline policy (task execution) must allow none."
  }
}
