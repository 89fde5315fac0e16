output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "Name of the API service."
  value       = aws_ecs_service.api.name
}

output "service_names" {
  description = "Names of every service of the cluster."
  value       = [aws_ecs_service.api.name]
}

output "task_definition_family" {
  description = "Family of the API task definition."
  value       = aws_ecs_task_definition.api.family
}

output "task_definition_arn" {
  description = "ARN of the current API task definition revision."
  value       = aws_ecs_task_definition.api.arn
}

output "container_name" {
  description = "Name of the API container (the ALB target of the service)."
  value       = local.container_name
}

output "container_port" {
  description = "Port of the API inside the container."
  value       = var.container_port
}

output "network_mode" {
  description = "Docker network mode of the tasks (bridge: dynamic host ports)."
  value       = aws_ecs_task_definition.api.network_mode
}

output "autoscaling_group_name" {
  description = "Name of the Auto Scaling group of container instances."
  value       = aws_autoscaling_group.hosts.name
}

output "asg_min_size" {
  description = "Minimum number of container instances."
  value       = aws_autoscaling_group.hosts.min_size
}

output "asg_max_size" {
  description = "Maximum number of container instances."
  value       = aws_autoscaling_group.hosts.max_size
}

output "capacity_provider_name" {
  description = "Name of the capacity provider backed by the Auto Scaling group."
  value       = aws_ecs_capacity_provider.hosts.name
}

output "launch_template_id" {
  description = "ID of the launch template of the container instances."
  value       = aws_launch_template.host.id
}

output "ami_id" {
  description = "AMI of the container instances."
  value       = local.ami_id
}

output "heap_dump_host_path" {
  description = "Folder on each container instance holding the heap dumps."
  value       = var.heap_dump_host_path
}

output "heap_dump_container_path" {
  description = "Folder inside the container the JVM writes heap dumps to."
  value       = local.heap_dump_container_path
}

output "host_role_name" {
  description = "IAM role of the container instances."
  value       = aws_iam_role.host.name
}

output "task_role_arn" {
  description = "IAM role of the API tasks."
  value       = aws_iam_role.task.arn
}

output "task_execution_role_arn" {
  description = "IAM role the ECS agent starts the API tasks with."
  value       = aws_iam_role.task_execution.arn
}

output "release_parameter_name" {
  description = "SSM parameter holding the release record of the API (owned by playbooks/release.yml)."
  value       = aws_ssm_parameter.release.name
}
