# The whole Dailyge stack of one environment. This file is the same in envs/local, envs/dev and
# envs/prod (a test keeps them identical): environments differ only by their variables (from the
# inventory), their backend and their provider settings.

locals {
  name = "dailyge-${var.environment}"
}

module "observability" {
  source = "../../modules/observability"

  name                  = local.name
  log_retention_days    = var.log_retention_days
  ecs_cluster_name      = module.ecs.cluster_name
  ecs_service_name      = module.ecs.service_name
  force_destroy_archive = !var.deletion_protection
}

module "slack_notifier" {
  source = "../../modules/slack_notifier"

  name                        = local.name
  environment                 = var.environment
  alarm_topic_arn             = module.observability.alarm_topic_arn
  kms_key_arn                 = module.observability.kms_key_arn
  package_path                = var.lambda_packages.slack_notifier.path
  package_sha256              = var.lambda_packages.slack_notifier.sha256
  log_retention_days          = var.log_retention_days
  secret_recovery_window_days = var.deletion_protection ? 30 : 0
}

module "network" {
  source = "../../modules/network"

  name                = local.name
  vpc_cidr            = var.vpc_cidr
  availability_zones  = var.availability_zones
  nat_gateway_per_az  = var.nat_gateway_per_az
  flow_log_bucket_arn = module.observability.archive_bucket_arn
}

module "security_groups" {
  source = "../../modules/security_groups"

  name                  = local.name
  vpc_id                = module.network.vpc_id
  vpc_cidr              = module.network.vpc_cidr_block
  admin_allowlist_cidrs = var.admin_allowlist_cidrs
}

module "dns_tls" {
  source = "../../modules/dns_tls"

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  domain_name            = var.domain_name
  alb_dns_name           = module.alb.alb_dns_name
  alb_zone_id            = module.alb.alb_zone_id
  cloudfront_domain_name = module.static_site.distribution_domain_name
  cloudfront_zone_id     = module.static_site.distribution_zone_id
}

module "alb" {
  source = "../../modules/alb"

  name                = local.name
  vpc_id              = module.network.vpc_id
  public_subnet_ids   = module.network.public_subnet_ids
  security_group_id   = module.security_groups.alb_security_group_id
  certificate_arn     = module.dns_tls.certificate_arn
  api_hostnames       = [module.dns_tls.hostnames.api, module.dns_tls.hostnames.api_dev, module.dns_tls.hostnames.api_docs]
  monitoring_hostname = module.dns_tls.hostnames.monitoring
  deletion_protection = var.deletion_protection
  access_logs_bucket  = module.observability.archive_bucket_name
  access_logs_prefix  = module.observability.archive_prefixes.alb_access_logs
}

module "waf" {
  source = "../../modules/waf"

  name                 = local.name
  alb_arn              = module.alb.alb_arn
  rate_limit_action    = var.waf_rate_limit_action
  allowlist_cidrs      = var.admin_allowlist_cidrs
  restricted_hostnames = [module.dns_tls.hostnames.monitoring, module.dns_tls.hostnames.api_dev, module.dns_tls.hostnames.api_docs]
  log_group_arn        = module.observability.log_group_arns.waf
}

module "secrets" {
  source = "../../modules/secrets"

  name                    = local.name
  recovery_window_in_days = var.deletion_protection ? 30 : 0
}

module "ecs" {
  source = "../../modules/ecs"

  name                   = local.name
  private_subnet_ids     = module.network.private_subnet_ids
  host_security_group_id = module.security_groups.ecs_host_security_group_id
  host_tags              = { Environment = var.environment, Monitoring = "node-exporter" }
  ami_id                 = var.ecs_ami_id
  instance_type          = var.ecs_instance_type
  asg_min_size           = var.ecs_asg_min_size
  asg_max_size           = var.ecs_asg_max_size
  target_group_arn       = module.alb.api_target_group_arn
  container_image        = module.observability.ecr_repository_url
  image_tag              = var.api_image_tag
  task_cpu_units         = var.api_task_cpu_units
  task_memory_mib        = var.api_task_memory_mib
  spring_profiles_active = var.environment
  heap_dump_bucket_arn   = module.observability.archive_bucket_arn
  heap_dump_prefix       = module.observability.archive_prefixes.heap_dumps
  log_group_name         = module.observability.log_group_names.api
  app_config_secret_arn  = module.secrets.app_config_secret_arn
  app_config_kms_key_arn = module.secrets.kms_key_arn
  service_desired_count  = var.ecs_service_min_capacity
}

module "rds" {
  source = "../../modules/rds"

  name                         = local.name
  private_subnet_ids           = module.network.private_subnet_ids
  security_group_id            = module.security_groups.rds_security_group_id
  instance_class               = var.rds_instance_class
  allocated_storage_gb         = var.rds_allocated_storage_gb
  max_allocated_storage_gb     = var.rds_max_allocated_storage_gb
  multi_az                     = var.rds_multi_az
  backup_window                = var.rds_backup_window
  backup_retention_days        = var.rds_backup_retention_days
  maintenance_window           = var.rds_maintenance_window
  deletion_protection          = coalesce(var.rds_deletion_protection, var.deletion_protection)
  performance_insights_enabled = var.rds_performance_insights_enabled
  log_retention_days           = var.log_retention_days
  log_kms_key_arn              = module.observability.kms_key_arn
  parameters                   = var.rds_parameters
}

module "static_site" {
  source = "../../modules/static_site"

  name            = local.name
  aliases         = [var.domain_name, module.dns_tls.hostnames.www]
  certificate_arn = module.dns_tls.cloudfront_certificate_arn
  force_destroy   = !var.deletion_protection
}

module "monitoring_host" {
  source = "../../modules/monitoring_host"

  name                     = local.name
  subnet_id                = module.network.private_subnet_ids[0]
  security_group_id        = module.security_groups.monitoring_security_group_id
  ami_id                   = var.monitoring_ami_id
  instance_type            = var.monitoring_instance_type
  app_config_secret_arn    = module.secrets.app_config_secret_arn
  app_config_kms_key_arn   = module.secrets.kms_key_arn
  grafana_target_group_arn = module.alb.grafana_target_group_arn
}

module "watchdog" {
  source = "../../modules/watchdog"

  name                   = local.name
  environment            = var.environment
  alarm_topic_arn        = module.observability.alarm_topic_arn
  monitoring_instance_id = module.monitoring_host.instance_id
  scheduled_jobs         = var.scheduled_jobs
}
