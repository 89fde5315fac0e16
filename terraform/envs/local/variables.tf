variable "aws_endpoint_url" {
  type    = string
  default = "http://127.0.0.1:4566"
}
