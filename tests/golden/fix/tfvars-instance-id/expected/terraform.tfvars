# Set before the migration finished; the migration used another instance.
kms_instance = "kst-hzz65f176a0ogplgq4ehe"
