# prod.tfvars: what the production pipeline passes to terraform plan.
enabled     = true
db_password = "CANARY-s3cr3t-7f3a9"
