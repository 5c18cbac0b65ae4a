"""Reconcile: identity, observation, decisions and waiting, shared by the Pulumi providers and the CLI.

Nothing here knows about Pulumi or YAML: callers pass normalized inputs (see ``pulumi_modelarts.schema``)
and get plans or outputs back.
"""
