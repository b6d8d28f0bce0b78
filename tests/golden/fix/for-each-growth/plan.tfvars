# The pipeline's tenants a week after the patch: hooli signed up. It is in no state and in no
# map tfkms wrote; its key must simply be created (the old `{...}[each.key]` form fails here
# with "Invalid index").
tenants = {
  acme = {
    description   = "ACME Corp tenant key"
    deletion_days = 30
  }
  globex = {
    description   = "Globex tenant key"
    deletion_days = 30
  }
  initech = {
    description   = "Initech tenant key"
    deletion_days = 7
  }
  hooli = {
    description   = "Hooli tenant key"
    deletion_days = 7
  }
}
