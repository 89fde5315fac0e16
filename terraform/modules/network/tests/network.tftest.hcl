# Plans and applies the module against a mocked AWS provider (offline, seconds).
mock_provider "aws" {}

variables {
  name                = "dailyge-test"
  vpc_cidr            = "10.20.0.0/16"
  availability_zones  = ["ap-northeast-2a", "ap-northeast-2c"]
  flow_log_bucket_arn = "arn:aws:s3:::dailyge-test-archive"
}

run "two_zones_public_and_private" {
  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2
    error_message = "Expected one public and one private subnet in each of the two zones."
  }

  assert {
    condition     = aws_subnet.public[*].cidr_block == ["10.20.0.0/20", "10.20.16.0/20"]
    error_message = "Public subnets must be the first /20 slices of the VPC."
  }

  assert {
    condition     = aws_subnet.private[*].cidr_block == ["10.20.128.0/20", "10.20.144.0/20"]
    error_message = "Private subnets must be /20 slices from the middle of the VPC."
  }

  assert {
    condition     = aws_subnet.private[*].availability_zone == ["ap-northeast-2a", "ap-northeast-2c"]
    error_message = "Private subnets must follow availability_zones."
  }

  assert {
    condition     = alltrue([for subnet in aws_subnet.public : subnet.map_public_ip_on_launch == false])
    error_message = "No subnet may hand out public addresses by default."
  }
}

run "one_shared_nat_gateway_by_default" {
  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_eip.nat) == 1
    error_message = "The cheap default is one NAT gateway shared by both zones."
  }

  assert {
    condition     = alltrue([for route in aws_route.private_nat : route.destination_cidr_block == "0.0.0.0/0" && route.nat_gateway_id == aws_nat_gateway.this[0].id])
    error_message = "Every private route table must reach the internet through the NAT gateway."
  }

  assert {
    condition     = aws_route.public_internet.gateway_id == aws_internet_gateway.this.id && aws_route.public_internet.destination_cidr_block == "0.0.0.0/0"
    error_message = "The public route table must reach the internet through the internet gateway."
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must allow nothing."
  }
}

run "nat_gateway_per_zone" {
  variables {
    nat_gateway_per_az = true
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 2
    error_message = "nat_gateway_per_az must create one NAT gateway per zone."
  }

  assert {
    condition     = [for route in aws_route.private_nat : route.nat_gateway_id] == aws_nat_gateway.this[*].id
    error_message = "Each private route table must use the NAT gateway of its own zone."
  }
}

run "flow_logs_to_the_archive_bucket" {
  assert {
    condition     = aws_flow_log.this.log_destination == "arn:aws:s3:::dailyge-test-archive/vpc-flow-logs/" && aws_flow_log.this.log_destination_type == "s3"
    error_message = "VPC flow logs must go to the vpc-flow-logs/ prefix of the archive bucket."
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "REJECT"
    error_message = "Flow logs record rejected traffic by default."
  }
}

run "one_zone_is_refused" {
  command = plan

  variables {
    availability_zones = ["ap-northeast-2a"]
  }

  expect_failures = [var.availability_zones]
}

run "tiny_vpc_is_refused" {
  command = plan

  variables {
    vpc_cidr = "10.20.0.0/24"
  }

  expect_failures = [var.vpc_cidr]
}
