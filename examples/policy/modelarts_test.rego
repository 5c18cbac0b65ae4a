# `opa test examples/policy`: the rules on small plan documents (tests/cli/test_policy.py runs the policy on real
# plans made against the emulator).
package modelarts.plan_test

import data.modelarts.plan

pin(requirements) := {
	"name": "candidate", "type": "modelarts:DatasetVersionRef", "depends_on": [], "writes": [],
	"target_id": "V-ID", "inputs": {"requirements": requirements},
}

export(depends_on, version_id) := {
	"name": "promote", "type": "modelarts:ExportTask", "depends_on": depends_on, "target_id": null,
	"inputs": {"version_id": version_id},
	"writes": [{"kind": "start-export", "body": {"export_params": {"export_dest": "NEW_DATASET"}}}],
}

document(resources, orphans) := {"ok": true, "error": null, "resources": resources, "orphans": {"tasks": orphans}}

test_a_gated_promotion_passes if {
	count(plan.deny) == 0 with input as document([pin({"min_annotated_ratio": 0.3}), export(["candidate"], "V-ID")], [])
}

test_a_promotion_of_the_version_it_will_pin_passes if {
	unknown := {"$unknown": "candidate.version_id"}
	count(plan.deny) == 0 with input as document([pin({"min_total_samples": 1}), export(["candidate"], unknown)], [])
}

test_a_promotion_without_count_requirements_is_denied if {
	plan.deny["promote: an export to a new dataset must export a version pinned by a DatasetVersionRef with requirements, and depend on it"] with input as document([pin({"status": "ready"}), export(["candidate"], "V-ID")], [])
}

test_a_promotion_of_another_version_is_denied if {
	count(plan.deny) == 1 with input as document([pin({"min_annotated_ratio": 0.3}), export(["candidate"], "OTHER")], [])
}

test_a_stop_needs_review if {
	orphan := {"resource": "old-al", "writes": [{"kind": "stop-task", "target": "T1"}]}
	plan.deny["old-al: stops task T1, which needs review (set allow_stops in the review data once approved)"] with input as document([], [orphan])
	count(plan.deny) == 0 with input as document([], [orphan]) with data.review.allow_stops as true
}

test_a_release_without_requirements_is_denied if {
	release := object.union(pin({}), {"writes": [{"kind": "release-version", "target": "V003"}]})
	plan.deny["candidate: releases version V003 without requirements"] with input as document([release], [])
}

test_a_failed_plan_is_denied if {
	plan.deny["the plan did not succeed: blocked: candidate"] with input as {"ok": false, "error": "blocked: candidate", "resources": [], "orphans": {"tasks": []}}
}
