# Rules a platform team holds every ModelArts plan to, over the plan document of
# `pulumi-modelarts plan --format json` (or the saved `plan --out plan.json`); its JSON Schema is
# `pulumi-modelarts schema --plan`. Each rule adds a message to `deny`; an empty `deny` passes.
#
#   opa eval --fail-defined --format pretty -d examples/policy/modelarts.rego -i plan.json \
#     'data.modelarts.plan.deny[message]'
#
# Review decisions come in as data (see README.md): `data.review.allow_stops` is true when a
# reviewer approved stopping tasks (for instance a pull-request label turned into review.json).
package modelarts.plan

# Every write the plan makes, with the resource (or orphaned task) it belongs to.
writes contains {"resource": resource.name, "write": write} if {
	some resource in input.resources
	some write in resource.writes
}

writes contains {"resource": orphan.resource, "write": write} if {
	some orphan in input.orphans.tasks
	some write in orphan.writes
}

resources[resource.name] := resource if some resource in input.resources

# A DatasetVersionRef that gates what follows: at least one count requirement (status alone is the default).
count_requirements := {"min_total_samples", "min_annotated_samples", "min_annotated_ratio"}

gated(name) if {
	ref := resources[name]
	ref.type == "modelarts:DatasetVersionRef"
	some key, _ in object.get(ref.inputs, "requirements", {})
	key in count_requirements
}

# The export's version is that gated reference's: its output (known after apply), or the version it pinned.
version_of(export, name) if export.inputs.version_id == {"$unknown": sprintf("%s.version_id", [name])}

version_of(export, name) if {
	export.inputs.version_id == resources[name].target_id
	resources[name].target_id != null
}

# 1. An export to a new dataset is a promotion: it must export a version that a DatasetVersionRef with
#    requirements pinned, and depend on it (so a failing gate blocks the export).
deny contains message if {
	some resource in input.resources
	resource.type == "modelarts:ExportTask"
	some write in resource.writes
	write.kind == "start-export"
	write.body.export_params.export_dest == "NEW_DATASET"
	not gated_export(resource)
	message := sprintf(
		"%s: an export to a new dataset must export a version pinned by a DatasetVersionRef with requirements, and depend on it",
		[resource.name],
	)
}

gated_export(export) if {
	some name in export.depends_on
	gated(name)
	version_of(export, name)
}

# 2. Stopping a task (a replaced one, or an orphan under --prune) loses its work: only after review.
deny contains message if {
	some item in writes
	item.write.kind == "stop-task"
	not data.review.allow_stops
	message := sprintf(
		"%s: stops task %v, which needs review (set allow_stops in the review data once approved)",
		[item.resource, item.write.target],
	)
}

# 3. A release cannot be undone: a DatasetVersionRef that releases a version must state its requirements.
deny contains message if {
	some resource in input.resources
	some write in resource.writes
	write.kind == "release-version"
	not gated(resource.name)
	message := sprintf("%s: releases version %v without requirements", [resource.name, write.target])
}

# 4. Only plans that were made: a failed plan is not approved by passing this policy.
deny contains message if {
	not input.ok
	message := sprintf("the plan did not succeed: %v", [input.error])
}
