# Variables the case's pipeline passes to terraform plan (secrets: the canary the state holds).
vault_token = "CANARY-s3cr3t-7f3a9"
