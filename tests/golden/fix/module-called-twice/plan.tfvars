# Variables the case's pipeline passes to terraform plan (secrets: the canary the state holds).
payments_db_password = "CANARY-s3cr3t-7f3a9"
orders_db_password   = "CANARY-s3cr3t-7f3a9"
