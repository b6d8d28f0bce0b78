# Variables the case's pipeline passes to terraform plan (secrets: the canary the state holds).
session_secret = "CANARY-s3cr3t-7f3a9"
