"""HCL text of the synthetic monorepo's stacks and shared module (used by gen_monorepo.py).

Placeholders are ``{{name}}``; ``${...}`` is Terraform's own interpolation and stays as is.
Every template is `terraform fmt`-clean once filled (alignment included).
"""
from __future__ import annotations

from dataclasses import dataclass

MODULE_DIR = "modules/kms-key"

# --------------------------------------------------------------------------- stack templates

MAIN_HEAD = '''\
# {{team}}/{{env}}-{{idx}}: network, compute and ingress for the {{team}} service ({{env}}).
# Owned by the {{team}} team; applied by the infra-live pipeline on merge to main.

locals {
  name = "${var.team}-${var.environment}-${var.stack}"
  common_tags = merge(var.tags, {
    Team        = var.team
    Environment = var.environment
    Stack       = var.stack
    ManagedBy   = "terraform"
  })
  zones = slice(data.alicloud_zones.available.zones[*].id, 0, {{zone_count}})
  ingress_rules = {
{{rules}}  }
}

data "alicloud_zones" "available" {
  available_resource_creation = "VSwitch"
}

data "alicloud_images" "base" {
  name_regex  = "^{{image}}"
  most_recent = true
  owners      = "system"
}

resource "alicloud_vpc" "main" {
  vpc_name   = "${local.name}-vpc"
  cidr_block = var.vpc_cidr
  tags       = local.common_tags
}

resource "alicloud_vswitch" "private" {
  count        = length(local.zones)
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = cidrsubnet(var.vpc_cidr, 8, count.index)
  zone_id      = local.zones[count.index]
  vswitch_name = format("%s-private-%d", local.name, count.index)
  tags         = local.common_tags
}

resource "alicloud_security_group" "app" {
  security_group_name = "${local.name}-app"
  vpc_id              = alicloud_vpc.main.id
  description         = "Application servers for ${local.name}"
  tags                = local.common_tags
}

resource "alicloud_security_group_rule" "ingress" {
  for_each          = local.ingress_rules
  type              = "ingress"
  ip_protocol       = "tcp"
  nic_type          = "intranet"
  policy            = "accept"
  port_range        = each.value.port
  priority          = each.value.priority
  security_group_id = alicloud_security_group.app.id
  cidr_ip           = each.value.cidr
}
'''

RULES = (
    ('https', '"443/443"', '"0.0.0.0/0"', 1),
    ('ssh', '"22/22"', 'var.admin_cidr', 10),
    ('app', '"8080/8080"', 'var.vpc_cidr', 20),
    ('metrics', '"9100/9100"', 'var.vpc_cidr', 30),
    ('health', '"8081/8081"', '"100.64.0.0/10"', 40),
)

ECS = '''
resource "alicloud_instance" "app" {
  count                = var.instance_count
  instance_name        = "${local.name}-app-${count.index}"
  image_id             = data.alicloud_images.base.images[0].id
  instance_type        = var.instance_type
  security_groups      = [alicloud_security_group.app.id]
  vswitch_id           = element(alicloud_vswitch.private[*].id, count.index)
  system_disk_category = "cloud_essd"
  system_disk_size     = var.system_disk_size
  tags                 = merge(local.common_tags, { Role = "app" })
{{data_disk}}
  user_data = base64encode(<<-EOT
    #!/bin/bash
    set -euo pipefail
    echo "bootstrapping ${local.name}-app-${count.index}" | logger -t bootstrap
    mkdir -p /etc/{{service}} /var/log/{{service}}
    cat > /etc/{{service}}/env <<'ENV'
    APP_ENV=${var.environment}
    APP_TEAM=${var.team}
    APP_PORT={{port}}
    ENV
    for pkg in {{packages}}; do
      apt-get install -y "$${pkg}" >/dev/null
    done
    systemctl enable --now {{units}}
    echo "$${HOSTNAME} ready" >> /var/log/{{service}}/boot.log
  EOT
  )

  lifecycle {
    ignore_changes = [image_id, user_data]
  }
}
'''

DATA_DISK = '''
  # Data disk encrypted with the team CMK (created by the platform stack).
  data_disks {
    category   = "cloud_essd"
    size       = 100
    encrypted  = true
    kms_key_id = var.disk_kms_key_id
  }
'''

SLB = '''
resource "alicloud_slb_load_balancer" "app" {
  load_balancer_name = "${local.name}-slb"
  address_type       = "intranet"
  load_balancer_spec = var.slb_spec
  vswitch_id         = alicloud_vswitch.private[0].id
  tags               = local.common_tags
}

resource "alicloud_slb_server_group" "app" {
  load_balancer_id = alicloud_slb_load_balancer.app.id
  name             = "${local.name}-app"
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id          = alicloud_slb_load_balancer.app.id
  server_group_id           = alicloud_slb_server_group.app.id
  frontend_port             = 80
  backend_port              = {{port}}
  protocol                  = "http"
  bandwidth                 = -1
  health_check_uri          = "/healthz"
  health_check_connect_port = {{port}}
}
'''

NAT = '''
resource "alicloud_nat_gateway" "egress" {
  vpc_id           = alicloud_vpc.main.id
  nat_gateway_name = "${local.name}-nat"
  payment_type     = "PayAsYouGo"
  vswitch_id       = alicloud_vswitch.private[0].id
  nat_type         = "Enhanced"
}

resource "alicloud_eip_address" "egress" {
  address_name         = "${local.name}-egress"
  bandwidth            = var.environment == "prod" ? "50" : "10"
  internet_charge_type = "PayByTraffic"
}
'''

VARIABLES = '''\
variable "team" {
  description = "Owning team, used in names and tags."
  type        = string
  default     = "{{team}}"
}

variable "environment" {
  description = "Deployment environment."
  type        = string
  default     = "{{env}}"

  validation {
    condition     = contains(["dev", "staging", "prod", "qa", "perf"], var.environment)
    error_message = "The environment must be one of dev, staging, prod, qa or perf."
  }
}

variable "stack" {
  description = "Short stack name, unique within the team."
  type        = string
  default     = "{{env}}-{{idx}}"
}

variable "region" {
  description = "Alibaba Cloud region of this stack."
  type        = string
  default     = "{{region}}"
}

variable "vpc_cidr" {
  description = "CIDR block of the stack VPC."
  type        = string
  default     = "{{cidr}}"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "The vpc_cidr value must be a valid IPv4 CIDR block."
  }
}

variable "admin_cidr" {
  description = "Bastion network allowed to reach SSH."
  type        = string
  default     = "10.255.0.0/24"
}

variable "instance_type" {
  description = "ECS instance type of the application tier."
  type        = string
  default     = "{{instance_type}}"
}

variable "instance_count" {
  description = "Number of application servers."
  type        = number
  default     = {{instance_count}}
}

variable "system_disk_size" {
  description = "System disk size in GiB."
  type        = number
  default     = {{disk_size}}
}

variable "tags" {
  description = "Extra tags merged into every resource."
  type        = map(string)
  default = {
    CostCenter = "{{cost_center}}"
  }
}
'''

VAR_SLB = '''
variable "slb_spec" {
  description = "SLB instance specification."
  type        = string
  default     = "slb.s2.small"
}
'''

VAR_DISK_KEY = '''
variable "disk_kms_key_id" {
  description = "CMK that encrypts data disks (from the platform stack outputs)."
  type        = string
  default     = "key-{{disk_key}}"
}
'''

OUTPUTS = '''\
# Outputs consumed by downstream stacks through terraform_remote_state.
{{decoy}}
output "stack_name" {
  description = "Name prefix used by every resource in this stack."
  value       = local.name
}

output "vpc_id" {
  description = "ID of the stack VPC."
  value       = alicloud_vpc.main.id
}

output "vswitch_ids" {
  description = "IDs of the private vswitches, one per zone."
  value       = alicloud_vswitch.private[*].id
}

output "security_group_id" {
  description = "Security group of the application tier."
  value       = alicloud_security_group.app.id
}

output "instance_ids" {
  description = "IDs of the application servers."
  value       = alicloud_instance.app[*].id
}

output "private_ips" {
  description = "Private IP addresses of the application servers."
  value       = alicloud_instance.app[*].private_ip
}

output "zone_ids" {
  description = "Zones the stack spans, in vswitch order."
  value       = local.zones
}

output "ingress_rules" {
  description = "Ingress rule IDs keyed by rule name."
  value       = { for k, r in alicloud_security_group_rule.ingress : k => r.id }
}

output "tags" {
  description = "Tags applied to every resource of the stack."
  value       = local.common_tags
}
'''

DECOY_COMMENT = '''\
# Encryption keys are not created here: disks use the platform CMK
# (alicloud_kms_key.platform in stacks/platform), passed in as disk_kms_key_id.
'''

OUT_SLB = '''
output "slb_address" {
  description = "Intranet address of the load balancer."
  value       = alicloud_slb_load_balancer.app.address
}
'''

OUT_NAT = '''
output "egress_ip" {
  description = "Public egress address of the NAT gateway."
  value       = alicloud_eip_address.egress.ip_address
}
'''

VERSIONS = '''\
# Provider and backend pins for {{team}}/{{env}}-{{idx}}.
# Bump the alicloud constraint with the platform upgrade calendar, never ad hoc.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "{{constraint}}"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  backend "oss" {
    bucket              = "acme-terraform-state-{{env}}"
    prefix              = "stacks/{{team}}/{{env}}-{{idx}}"
    key                 = "terraform.tfstate"
    region              = "cn-hangzhou"
    tablestore_endpoint = "https://tf-lock.cn-hangzhou.ots.aliyuncs.com"
    tablestore_table    = "terraform_state_locks"
    encrypt             = true
  }
}

provider "alicloud" {
  region               = var.region
  configuration_source = "acme/infra-live/stacks/{{team}}/{{env}}-{{idx}}"

  assume_role {
    role_arn           = "acs:ram::1284{{account}}:role/terraform-deployer"
    session_name       = "terraform-${var.team}-${var.environment}"
    session_expiration = 3600
  }
}
'''

PROVIDER_DR = '''
provider "alicloud" {
  alias  = "dr"
  region = "{{dr_region}}"
}
'''

LOCK = '''\
# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "{{version}}"
  constraints = "{{constraint}}"
  hashes = [
{{hashes}}  ]
}
'''

# --------------------------------------------------------------------------- KMS content

@dataclass
class KmsContent:
    """What a KMS variant adds to a stack, and the config addresses it declares."""
    main: str
    variables: str = ""
    outputs: str = ""
    addresses: tuple[str, ...] = ()
    needs_dr_provider: bool = False


KMS_VARIANTS: tuple[KmsContent, ...] = (
    KmsContent(  # 0: one key per tenant (for_each), aliases over the keys
        main='''
locals {
  tenant_keys = { for t in var.tenants : t => "Customer master key for tenant ${t}" }
}

resource "alicloud_kms_key" "tenant" {
  for_each               = local.tenant_keys
  description            = each.value
  pending_window_in_days = 7
  automatic_rotation     = "Disabled"
  tags                   = merge(local.common_tags, { Tenant = each.key })
}

resource "alicloud_kms_alias" "tenant" {
  for_each   = alicloud_kms_key.tenant
  alias_name = "alias/${local.name}/${each.key}"
  key_id     = each.value.id
}
''',
        variables='''
variable "tenants" {
  description = "Tenants that get their own customer master key."
  type        = list(string)
  default     = ["acme", "globex", "initech"]
}
''',
        outputs='''
output "tenant_key_ids" {
  description = "Customer master key per tenant."
  value       = { for t, k in alicloud_kms_key.tenant : t => k.id }
}
''',
        addresses=("alicloud_kms_alias.tenant", "alicloud_kms_key.tenant"),
    ),
    KmsContent(  # 1: envelope key, alias, database secret encrypted by it
        main='''
resource "alicloud_kms_key" "app" {
  description            = "Envelope key for ${local.name}"
  key_spec               = "Aliyun_AES_256"
  protection_level       = "SOFTWARE"
  pending_window_in_days = 30
  status                 = "Enabled"
  tags                   = local.common_tags
}

resource "alicloud_kms_alias" "app" {
  alias_name = "alias/${local.name}-app"
  key_id     = alicloud_kms_key.app.id
}

resource "alicloud_kms_secret" "db" {
  secret_name                   = "${local.name}-db-password"
  description                   = "Database master password"
  secret_data                   = var.db_password
  version_id                    = "v1"
  encryption_key_id             = alicloud_kms_key.app.id
  force_delete_without_recovery = var.environment != "prod"
}
''',
        variables='''
variable "db_password" {
  description = "Initial database master password (rotated by the pipeline)."
  type        = string
  sensitive   = true
}
''',
        outputs='''
output "app_key_id" {
  description = "Envelope key of the application."
  value       = alicloud_kms_key.app.id
}
''',
        addresses=("alicloud_kms_alias.app", "alicloud_kms_key.app", "alicloud_kms_secret.db"),
    ),
    KmsContent(  # 2: backup keys with count, an existing-key lookup
        main='''
data "alicloud_kms_keys" "shared" {
  status            = "Enabled"
  description_regex = "^${var.team}-shared"
}

resource "alicloud_kms_key" "backup" {
  count                  = var.backup_key_count
  description            = "Backup key ${count.index} for ${local.name}"
  key_usage              = "ENCRYPT/DECRYPT"
  pending_window_in_days = 14
  automatic_rotation     = "Enabled"
  rotation_interval      = "31536000s"
}

resource "alicloud_kms_alias" "backup" {
  count      = var.backup_key_count
  alias_name = "alias/${local.name}-backup-${count.index}"
  key_id     = alicloud_kms_key.backup[count.index].id
}
''',
        variables='''
variable "backup_key_count" {
  description = "Number of backup encryption keys."
  type        = number
  default     = 2
}
''',
        addresses=("alicloud_kms_alias.backup", "alicloud_kms_key.backup", "data.alicloud_kms_keys.shared"),
    ),
    KmsContent(  # 3: per-service secrets (for_each) under one key that gets a new version
        main='''
data "alicloud_kms_aliases" "platform" {
  name_regex = "^alias/platform-"
}

resource "alicloud_kms_key" "secrets" {
  description            = "Secrets key for ${local.name}"
  pending_window_in_days = 7
}

resource "alicloud_kms_key_version" "secrets" {
  key_id = alicloud_kms_key.secrets.id
}

resource "alicloud_kms_secret" "service" {
  for_each          = toset(var.service_secrets)
  secret_name       = "${local.name}/${each.key}"
  secret_data       = "bootstrap-placeholder"
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.secrets.id

  lifecycle {
    ignore_changes = [secret_data, version_id]
  }
}
''',
        variables='''
variable "service_secrets" {
  description = "Secrets the services read at start-up."
  type        = list(string)
  default     = ["api-token", "smtp-password"]
}
''',
        addresses=("alicloud_kms_key.secrets", "alicloud_kms_key_version.secrets", "alicloud_kms_secret.service",
                   "data.alicloud_kms_aliases.platform"),
    ),
    KmsContent(  # 4: HSM key in the DR region, a ciphertext, a secrets lookup
        main='''
resource "alicloud_kms_key" "hsm" {
  provider               = alicloud.dr
  description            = "HSM-backed signing key for ${local.name}"
  key_spec               = "Aliyun_AES_256"
  protection_level       = "HSM"
  pending_window_in_days = 30
}

resource "alicloud_kms_ciphertext" "bootstrap" {
  provider  = alicloud.dr
  key_id    = alicloud_kms_key.hsm.id
  plaintext = var.bootstrap_token
  encryption_context = {
    stack = local.name
  }
}

data "alicloud_kms_secrets" "legacy" {
  name_regex = "^${var.team}-legacy-"
}
''',
        variables='''
variable "bootstrap_token" {
  description = "Token sealed for the first boot."
  type        = string
  sensitive   = true
  default     = ""
}
''',
        addresses=("alicloud_kms_ciphertext.bootstrap", "alicloud_kms_key.hsm", "data.alicloud_kms_secrets.legacy"),
        needs_dr_provider=True,
    ),
)

MODULE_CALLS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ('''
module "kms" {
  source      = "{{rel}}"
  name        = local.name
  description = "Data key for ${local.name}"
  tags        = local.common_tags
}
''', ("kms",), ""),
    ('''
module "tenant_kms" {
  for_each = toset(var.kms_tenants)
  source   = "{{rel}}"
  name     = "${local.name}-${each.key}"
  tags     = merge(local.common_tags, { Tenant = each.key })
}
''', ("tenant_kms",), '''
variable "kms_tenants" {
  description = "Tenants that get a key from the shared module."
  type        = list(string)
  default     = ["north", "south"]
}
'''),
    ('''
module "logs_key" {
  source                 = "{{rel}}"
  name                   = "${local.name}-logs"
  description            = "Log archive key"
  pending_window_in_days = 30
}

module "data_key" {
  source             = "{{rel}}"
  name               = "${local.name}-data"
  automatic_rotation = "Enabled"
}
''', ("data_key", "logs_key"), ""),
)
MODULE_ADDRESSES = ("alicloud_kms_alias.this", "alicloud_kms_key.this")

MODULE_MAIN = '''\
# Shared module: one customer master key with a friendly alias.
# Called from stacks through a relative source ("../../../modules/kms-key").

terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= 1.200.0"
    }
  }
}

variable "name" {
  description = "Name of the key; the alias is alias/<name>."
  type        = string
}

variable "description" {
  description = "Key description."
  type        = string
  default     = "Managed by modules/kms-key"
}

variable "pending_window_in_days" {
  description = "Days before a deleted key is destroyed."
  type        = number
  default     = 7
}

variable "automatic_rotation" {
  description = "Enabled or Disabled."
  type        = string
  default     = "Disabled"
}

variable "tags" {
  description = "Tags for the key."
  type        = map(string)
  default     = {}
}

resource "alicloud_kms_key" "this" {
  description            = var.description
  pending_window_in_days = var.pending_window_in_days
  automatic_rotation     = var.automatic_rotation
  tags                   = var.tags
}

resource "alicloud_kms_alias" "this" {
  alias_name = "alias/${var.name}"
  key_id     = alicloud_kms_key.this.id
}

output "key_id" {
  description = "ID of the key."
  value       = alicloud_kms_key.this.id
}

output "alias_name" {
  description = "Alias of the key."
  value       = alicloud_kms_alias.this.alias_name
}
'''

# --------------------------------------------------------------------------- fix variant content

FIX_KMS = KmsContent(
    main='''
resource "alicloud_kms_key" "app" {
  description            = "Envelope key for ${local.name}"
  pending_window_in_days = 30
  automatic_rotation     = "Disabled"
  tags                   = local.common_tags
}

resource "alicloud_kms_secret" "db" {
  secret_name       = "${local.name}-db-password"
  description       = "Database master password"
  secret_data       = var.db_password
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.app.id
}
''',
    variables=KMS_VARIANTS[1].variables,
    outputs=KMS_VARIANTS[1].outputs,
    addresses=("alicloud_kms_key.app", "alicloud_kms_secret.db"),
)
FIX_PROVIDER_VERSION = "1.220.1"  # keys need dkms_instance_id below 1.235.0, secrets always
