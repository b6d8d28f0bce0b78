include "root" {
  path = find_in_parent_folders("root.hcl")
}

terraform {
  source = "../../../modules//kms"
}

inputs = {
  name        = "NAME"
  team        = "NAME-team"
  db_password = "SECRET"
}
