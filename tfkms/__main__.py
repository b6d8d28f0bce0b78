from tfkms.cli import main

main()
