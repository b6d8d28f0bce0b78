# 数据平台 KMS 配置 (data platform KMS)
# 负责人：数据安全组 —— 变更前请先在 #data-sec 频道确认
# This file is edited on Windows by the data team: keep CRLF + tabs.
terraform {
	required_providers {
		alicloud = {
			source  = "aliyun/alicloud"
			version = "~> 1.230.0"
		}
	}
}

provider "alicloud" {
	region = "${var.region}"
}

variable "region" {
	default = "cn-hangzhou"
}

variable "env" {
	default = "prod"
}

variable "account_id" {
	default = "5284173690251847"
}

variable "deletion_days" {
	default = 30
}

variable "warehouse_db_password" {
	sensitive = true
}

# 数仓主密钥：加密 MaxCompute 导出文件 {不要删除}
resource "alicloud_kms_key" "warehouse" {
	description = "${var.env}-warehouse"   # 旧的插值写法，保持原样
	pending_window_in_days = "${var.deletion_days}"
	policy = <<POLICY
{
  "Version": "1",
  "Statement": [
    {
      "Sid": "kms default key policy",
      "Effect": "Allow",
      "Principal": {"RAM": ["acs:ram::${var.account_id}:*"]},
      "Action": ["kms:*"],
      "Resource": ["*"]
    }
  ]
}
POLICY
}

/* 数据库密码 —— 由流水线注入，不要写进代码
   (db password, injected by the pipeline) */
resource "alicloud_kms_secret" "warehouse_db" {
	secret_name = "${var.env}/warehouse/db"
	secret_data = "${var.warehouse_db_password}"
	version_id = "v2"
	encryption_key_id = "${alicloud_kms_key.warehouse.id}"
	description = "数仓数据库密码"
}
