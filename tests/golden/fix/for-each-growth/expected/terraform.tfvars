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
}
