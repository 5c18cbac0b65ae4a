"""A local emulator of the ModelArts dataset API (v2) and the IAM calls a client needs.

Run it with ``python -m pulumi_modelarts.emulator --help``. The package never imports the client
(``pulumi_modelarts.api``); it shares only ``pulumi_modelarts.signing`` with it.
"""
