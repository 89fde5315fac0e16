mock_provider "aws" {
  mock_resource "aws_lb" {
    defaults = {
      arn      = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/dailyge-test/0123456789abcdef"
      dns_name = "dailyge-test-123.ap-northeast-2.elb.amazonaws.com"
      zone_id  = "ZWKZPGTI48KDX"
    }
  }

  mock_resource "aws_lb_target_group" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/dailyge-test-api/0123456789abcdef"
    }
  }

  mock_resource "aws_lb_listener" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:listener/app/dailyge-test/0123456789abcdef/0123456789abcdef"
    }
  }
}

variables {
  name                = "dailyge-test"
  vpc_id              = "vpc-0123456789abcdef0"
  public_subnet_ids   = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_id   = "sg-0123456789abcdef0"
  certificate_arn     = "arn:aws:acm:ap-northeast-2:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  api_hostnames       = ["api.dailyge.test", "api-dev.dailyge.test", "api-docs.dailyge.test"]
  monitoring_hostname = "monitoring.dailyge.test"
  access_logs_bucket  = "dailyge-test-archive"
}

run "https_with_a_tls12_policy" {
  assert {
    condition     = aws_lb_listener.https.port == 443 && aws_lb_listener.https.protocol == "HTTPS"
    error_message = "The ALB must listen for HTTPS on 443."
  }

  assert {
    condition     = aws_lb_listener.https.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    error_message = "The HTTPS listener must use the TLS 1.2+ policy ELBSecurityPolicy-TLS13-1-2-2021-06."
  }

  assert {
    condition     = aws_lb_listener.https.certificate_arn == var.certificate_arn
    error_message = "The HTTPS listener must use the validated certificate."
  }
}

run "http_redirects_to_https" {
  assert {
    condition     = aws_lb_listener.http.port == 80 && aws_lb_listener.http.default_action[0].type == "redirect"
    error_message = "HTTP must be answered by a redirect."
  }

  assert {
    condition = (
      aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" &&
      aws_lb_listener.http.default_action[0].redirect[0].port == "443" &&
      aws_lb_listener.http.default_action[0].redirect[0].status_code == "HTTP_301"
    )
    error_message = "HTTP must redirect permanently to HTTPS on 443."
  }
}

run "host_header_rules" {
  assert {
    condition     = toset(flatten([for condition in aws_lb_listener_rule.api.condition : [for host in condition.host_header : host.values]])) == toset(["api.dailyge.test", "api-dev.dailyge.test", "api-docs.dailyge.test"])
    error_message = "api, api-dev and api-docs must be forwarded to the API."
  }

  assert {
    condition     = aws_lb_listener_rule.api.action[0].target_group_arn == aws_lb_target_group.api.arn
    error_message = "The API rule must forward to the API target group."
  }

  assert {
    condition     = toset(flatten([for condition in aws_lb_listener_rule.monitoring.condition : [for host in condition.host_header : host.values]])) == toset(["monitoring.dailyge.test"]) && aws_lb_listener_rule.monitoring.action[0].target_group_arn == aws_lb_target_group.grafana.arn
    error_message = "monitoring must be forwarded to Grafana."
  }

  assert {
    condition     = aws_lb_listener.https.default_action[0].type == "fixed-response" && aws_lb_listener.https.default_action[0].fixed_response[0].status_code == "404"
    error_message = "Unknown host names must get a 404."
  }
}

run "api_target_group_for_dynamic_ports" {
  assert {
    condition     = aws_lb_target_group.api.health_check[0].path == "/api/health-check" && aws_lb_target_group.api.health_check[0].port == "traffic-port"
    error_message = "The API health check must be /api/health-check on the task's own (dynamic) port."
  }

  assert {
    condition     = aws_lb_target_group.api.target_type == "instance" && aws_lb_target_group.api.port == 8080
    error_message = "ECS registers instance:hostPort targets; the nominal port is the container port 8080."
  }

  assert {
    condition     = aws_lb.this.drop_invalid_header_fields && aws_lb.this.enable_deletion_protection && !aws_lb.this.internal
    error_message = "A public ALB, protected from deletion by default, dropping invalid headers."
  }

  assert {
    condition     = aws_lb.this.access_logs[0].enabled && aws_lb.this.access_logs[0].bucket == "dailyge-test-archive" && aws_lb.this.access_logs[0].prefix == "alb-access-logs"
    error_message = "Access logs must go to the archive bucket."
  }
}

run "weak_tls_policy_is_refused" {
  command = plan

  variables {
    ssl_policy = "ELBSecurityPolicy-2016-08"
  }

  expect_failures = [var.ssl_policy]
}
