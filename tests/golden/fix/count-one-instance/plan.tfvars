# Variables the case's pipeline passes to terraform plan (secrets: the canary the state holds).
sasl_passwords = ["CANARY-s3cr3t-7f3a9", "CANARY-s3cr3t-7f3a9", "CANARY-s3cr3t-7f3a9"]
