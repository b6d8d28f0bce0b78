"""The commands, one module each: flags -> typed options -> one service call -> render -> exit status.

Shared pieces: `options` (option types and closed choices), `environment` (the terminal, looked at once),
`errors` (the one way a command fails), `reporting` (a Result to stdout or a file). tfkms/cli.py
assembles the app. Command modules import only typer and these at import time; the services and
everything heavy are imported inside the command functions, so `tfkms --help` stays fast.
"""
