"""The root Pulumi program: declare every resource in specs/ (see README, "Use it with Pulumi")."""

import pulumi

from pulumi_modelarts import specs

resources = specs.declare(paths=["specs"])
pulumi.export("resources", {name: resource.urn for name, resource in resources.items()})
