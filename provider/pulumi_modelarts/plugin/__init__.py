"""A Pulumi provider plugin (``pulumi-resource-modelarts``) serving the three resources and two functions.

It runs the same code as the dynamic resources, through ``bridge``; see README, "The provider plugin".
"""
