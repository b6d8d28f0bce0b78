db_password = "CANARY-s3cr3t-7f3a9"
