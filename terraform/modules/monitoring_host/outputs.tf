output "instance_id" {
  description = "ID of the monitoring instance."
  value       = aws_instance.this.id
}

output "private_ip" {
  description = "Private address of the monitoring instance."
  value       = aws_instance.this.private_ip
}

output "role_name" {
  description = "IAM role of the monitoring instance."
  value       = aws_iam_role.this.name
}

output "instance_profile_name" {
  description = "Instance profile of the monitoring instance."
  value       = aws_iam_instance_profile.this.name
}

output "ansible_ssm_bucket_name" {
  description = "Bucket of Ansible's file transfers through SSM Session Manager (amazon.aws.aws_ssm)."
  value       = aws_s3_bucket.ansible_ssm.bucket
}
