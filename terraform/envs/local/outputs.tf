# The contract with the Ansible half: `terraform output -json` becomes the `stack` fact. These names
# are read by the plays; add names freely, never rename or remove one, never output a secret.
# This file is the same in envs/local, envs/dev and envs/prod (a test keeps them identical).

output "environment" {
  description = "Name of the environment."
  value       = var.environment
}

output "aws_region" {
  description = "AWS region of the environment."
  value       = var.aws_region
}

output "name_prefix" {
  description = "Prefix of the resource names (dailyge-<environment>)."
  value       = local.name
}

# --- Network -------------------------------------------------------------------------------------

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = module.network.vpc_cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (ALB, NAT)."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (ECS hosts, RDS, monitoring)."
  value       = module.network.private_subnet_ids
}

# --- Load balancer -------------------------------------------------------------------------------

output "alb_arn" {
  description = "ARN of the ALB."
  value       = module.alb.alb_arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the ALB (LoadBalancer dimension of its CloudWatch metrics)."
  value       = module.alb.alb_arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the ALB."
  value       = module.alb.alb_dns_name
}

output "alb_zone_id" {
  description = "Route53 zone ID of the ALB."
  value       = module.alb.alb_zone_id
}

output "alb_security_group_id" {
  description = "Security group of the ALB."
  value       = module.security_groups.alb_security_group_id
}

output "alb_https_listener_arn" {
  description = "ARN of the HTTPS listener."
  value       = module.alb.https_listener_arn
}

output "api_target_group_arn" {
  description = "ARN of the API target group (ECS registers the tasks on their dynamic ports)."
  value       = module.alb.api_target_group_arn
}

output "grafana_target_group_arn" {
  description = "ARN of the Grafana target group (the monitoring host)."
  value       = module.alb.grafana_target_group_arn
}

# --- DNS and TLS ---------------------------------------------------------------------------------

output "route53_zone_id" {
  description = "ID of the hosted zone of the environment."
  value       = module.dns_tls.zone_id
}

output "route53_name_servers" {
  description = "Name servers of the hosted zone (delegate the domain to them)."
  value       = module.dns_tls.name_servers
}

output "domain_name" {
  description = "Parent domain of the environment."
  value       = module.dns_tls.domain_name
}

output "hostnames" {
  description = "Fully qualified name of each sub-domain: api, api_dev, api_docs, monitoring, www."
  value       = module.dns_tls.hostnames
}

output "certificate_arn" {
  description = "ARN of the validated ACM certificate of the ALB."
  value       = module.dns_tls.certificate_arn
}

output "cloudfront_certificate_arn" {
  description = "ARN of the validated ACM certificate of CloudFront (us-east-1)."
  value       = module.dns_tls.cloudfront_certificate_arn
}

# --- ECS -----------------------------------------------------------------------------------------

output "ecs_cluster_name" {
  description = "Name of the ECS cluster."
  value       = module.ecs.cluster_name
}

output "ecs_cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = module.ecs.cluster_arn
}

output "ecs_service_name" {
  description = "Name of the API service."
  value       = module.ecs.service_name
}

output "ecs_service_names" {
  description = "Names of every ECS service of the cluster."
  value       = module.ecs.service_names
}

output "ecs_task_definition_family" {
  description = "Family of the API task definition."
  value       = module.ecs.task_definition_family
}

output "ecs_container_name" {
  description = "Name of the API container."
  value       = module.ecs.container_name
}

output "ecs_container_port" {
  description = "Port of the API inside the container."
  value       = module.ecs.container_port
}

output "ecs_autoscaling_group_name" {
  description = "Name of the Auto Scaling group of the container instances."
  value       = module.ecs.autoscaling_group_name
}

output "ecs_asg_min_size" {
  description = "Minimum number of container instances."
  value       = module.ecs.asg_min_size
}

output "ecs_asg_max_size" {
  description = "Maximum number of container instances."
  value       = module.ecs.asg_max_size
}

output "ecs_capacity_provider_name" {
  description = "Name of the capacity provider of the cluster."
  value       = module.ecs.capacity_provider_name
}

output "ecs_host_security_group_id" {
  description = "Security group of the container instances."
  value       = module.security_groups.ecs_host_security_group_id
}

output "ecs_heap_dump_host_path" {
  description = "Folder on each container instance holding the API's heap dumps."
  value       = module.ecs.heap_dump_host_path
}

output "ecs_service_min_capacity" {
  description = "Minimum tasks of the API service, for the autoscaling play (scaling is managed outside Terraform)."
  value       = var.ecs_service_min_capacity
}

output "ecs_service_max_capacity" {
  description = "Maximum tasks of the API service, for the autoscaling play (scaling is managed outside Terraform)."
  value       = var.ecs_service_max_capacity
}

# --- Database ------------------------------------------------------------------------------------

output "rds_instance_identifier" {
  description = "Identifier of the MySQL instance."
  value       = module.rds.instance_identifier
}

output "rds_endpoint" {
  description = "Host name of the MySQL instance (without the port)."
  value       = module.rds.endpoint
}

output "rds_port" {
  description = "Port of the MySQL instance."
  value       = module.rds.port
}

output "rds_database_name" {
  description = "Name of the application schema."
  value       = module.rds.database_name
}

output "rds_parameter_group_name" {
  description = "Name of the parameter group (utf8mb4, Asia/Seoul)."
  value       = module.rds.parameter_group_name
}

output "rds_security_group_id" {
  description = "Security group of the database."
  value       = module.security_groups.rds_security_group_id
}

output "rds_backup_window" {
  description = "Daily automated backup window (UTC)."
  value       = module.rds.backup_window
}

output "rds_backup_retention_days" {
  description = "Days automated backups are kept."
  value       = module.rds.backup_retention_days
}

output "rds_master_user_secret_arn" {
  description = "ARN of the secret RDS keeps the master password in (ARN only; null when not managed by RDS)."
  value       = module.rds.master_user_secret_arn
}

# --- Static site ---------------------------------------------------------------------------------

output "static_site_bucket_name" {
  description = "Bucket of the web front end build."
  value       = module.static_site.bucket_name
}

output "cloudfront_distribution_id" {
  description = "ID of the CloudFront distribution of the web front end."
  value       = module.static_site.distribution_id
}

output "cloudfront_domain_name" {
  description = "Domain name of the CloudFront distribution."
  value       = module.static_site.distribution_domain_name
}

# --- WAF -----------------------------------------------------------------------------------------

output "waf_web_acl_arn" {
  description = "ARN of the web ACL of the ALB."
  value       = module.waf.web_acl_arn
}

output "waf_web_acl_name" {
  description = "Name of the web ACL."
  value       = module.waf.web_acl_name
}

output "waf_web_acl_id" {
  description = "ID of the web ACL."
  value       = module.waf.web_acl_id
}

output "waf_rate_limit" {
  description = "Requests per client IP within the window above which the rate rule acts."
  value       = module.waf.rate_limit
}

output "waf_rate_limit_window_sec" {
  description = "Evaluation window of the rate rule in seconds."
  value       = module.waf.rate_limit_window_sec
}

output "waf_rate_limit_action" {
  description = "What the rate rule does above the limit (block or count)."
  value       = module.waf.rate_limit_action
}

output "waf_rate_rule_name" {
  description = "Name of the rate rule inside the web ACL."
  value       = module.waf.rate_rule_name
}

output "waf_ip_set_arn" {
  description = "ARN of the allowlist IP set."
  value       = module.waf.ip_set_arn
}

# --- Secrets -------------------------------------------------------------------------------------

output "app_config_secret_arn" {
  description = "ARN of the application config secret."
  value       = module.secrets.app_config_secret_arn
}

output "app_config_secret_name" {
  description = "Name of the application config secret."
  value       = module.secrets.app_config_secret_name
}

# --- Observability -------------------------------------------------------------------------------

output "log_group_names" {
  description = "Names of the CloudWatch log groups of the environment (API, WAF, RDS exports, Slack notifier)."
  value       = concat(values(module.observability.log_group_names), module.rds.log_group_names, [module.slack_notifier.log_group_name])
}

output "api_log_group_name" {
  description = "CloudWatch log group of the API containers."
  value       = module.observability.log_group_names.api
}

output "waf_log_group_name" {
  description = "CloudWatch log group of the WAF."
  value       = module.observability.log_group_names.waf
}

output "log_retention_days" {
  description = "Days CloudWatch keeps the logs."
  value       = module.observability.log_retention_days
}

output "archive_bucket_name" {
  description = "Bucket of the exported logs, ALB access logs, VPC flow logs and heap dumps."
  value       = module.observability.archive_bucket_name
}

output "archive_prefixes" {
  description = "Key prefix of each producer in the archive bucket (cloudwatch_logs, alb_access_logs, vpc_flow_logs, heap_dumps)."
  value       = module.observability.archive_prefixes
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms publish to."
  value       = module.observability.alarm_topic_arn
}

output "slack_notifier_function_name" {
  description = "Lambda that posts the alarm topic's notifications to Slack."
  value       = module.slack_notifier.function_name
}

output "slack_webhook_secret_name" {
  description = "Secret the secrets phase fills with the Slack webhook URL (read by the notifier Lambda)."
  value       = module.slack_notifier.webhook_secret_name
}

output "ecs_cpu_alarm_name" {
  description = "Name of the CPU alarm of the API service."
  value       = module.observability.ecs_cpu_alarm_name
}

output "ecr_repository_url" {
  description = "URL of the ECR repository of the API image."
  value       = module.observability.ecr_repository_url
}

output "ecr_repository_name" {
  description = "Name of the ECR repository of the API image (playbooks/release.yml resolves tags in it)."
  value       = module.observability.ecr_repository_name
}

output "api_release_parameter" {
  description = "SSM parameter with the API's release record (owned by playbooks/release.yml, read by Terraform)."
  value       = module.ecs.release_parameter_name
}

# --- Monitoring host -----------------------------------------------------------------------------

output "monitoring_instance_id" {
  description = "ID of the monitoring instance (reach it through SSM)."
  value       = module.monitoring_host.instance_id
}

output "monitoring_private_ip" {
  description = "Private address of the monitoring instance."
  value       = module.monitoring_host.private_ip
}

output "monitoring_ssm_bucket_name" {
  description = "Bucket of Ansible's file transfers to the monitoring instance through SSM Session Manager."
  value       = module.monitoring_host.ansible_ssm_bucket_name
}

output "monitoring_security_group_id" {
  description = "Security group of the monitoring instance."
  value       = module.security_groups.monitoring_security_group_id
}

# --- Security groups -----------------------------------------------------------------------------

output "security_group_ids" {
  description = "ID of every security group of the environment, by role (alb, ecs_hosts, rds, monitoring)."
  value       = module.security_groups.security_group_ids
}

output "security_group_managed_rule_ids" {
  description = "Rule IDs (sgr-...) Terraform manages on those groups: any other rule is drift, revoked by a deploy."
  value       = module.security_groups.managed_rule_ids
}

# --- Watchdog --------------------------------------------------------------------------------------

output "watchdog_heartbeat_alarm_name" {
  description = "CloudWatch alarm on the monitoring host's heartbeat (missing data is breaching)."
  value       = module.watchdog.heartbeat_alarm_name
}

output "watchdog_status_check_alarm_name" {
  description = "CloudWatch alarm on the monitoring instance's EC2 status checks."
  value       = module.watchdog.status_check_alarm_name
}

output "watchdog_job_alarm_names" {
  description = "CloudWatch alarm of each scheduled job on its JobSucceeded metric, by job."
  value       = module.watchdog.job_alarm_names
}

output "watchdog_heartbeat_namespace" {
  description = "CloudWatch namespace the monitoring host publishes its Heartbeat to."
  value       = module.watchdog.heartbeat_namespace
}

output "watchdog_jobs_namespace" {
  description = "CloudWatch namespace the scheduled jobs publish JobSucceeded to."
  value       = module.watchdog.jobs_namespace
}
