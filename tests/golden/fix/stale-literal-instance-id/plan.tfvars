# Variables the case's pipeline passes to terraform plan (secrets: the canary the state holds).
orders_db_password = "CANARY-s3cr3t-7f3a9"
