# Set before the migration finished; the migration used another instance.
kms_instance = null
