# Variables the case's pipeline passes to terraform plan (secrets: the canary the state holds).
db_password = "CANARY-s3cr3t-7f3a9"
