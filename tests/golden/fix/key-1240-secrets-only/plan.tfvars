# Variables the case's pipeline passes to terraform plan (secrets: the canary the state holds).
grafana_admin_password = "CANARY-s3cr3t-7f3a9"
datadog_api_key        = "CANARY-s3cr3t-7f3a9"
