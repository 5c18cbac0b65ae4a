"""The corpus of broken spec files: each gives its precise problems, at the right place."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_modelarts.specs import SpecError, SpecProblem, load_specs

NEW_DATASET_NEEDS = (
    "export_new_dataset_name and export_new_dataset_work_path are required when export_dest is "
    "'NEW_DATASET' (the new dataset needs a name and an OBS work path)"
)


BROKEN = Path(__file__).parent / "broken"

# file -> expected problems as "line:column: text"; a trailing "..." matches a prefix.
EXPECTED: dict[str, list[str]] = {
    "bad_yaml.yaml": [
        "7:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 6, column 18)",
    ],
    "not_mapping.yaml": [
        "1:1: a spec document must be a mapping with a 'resources' key (got a list)",
    ],
    "unknown_type.yaml": [
        "3:11: resource 'label': unknown type 'modelarts:IntelligentTsk'; allowed: "
        "modelarts:IntelligentTask, "
        "modelarts:ExportTask, modelarts:ImportTask, modelarts:DatasetVersionRef; did you mean"
        " 'modelarts:IntelligentTask'?",
    ],
    "unknown_property.yaml": [
        "8:9: resource 'label', property config.algoritm_type: unknown property 'algoritm_type'; "
        "allowed: algorithm_type, ambiguity, annotation_output, ...",
    ],
    "wrong_enum.yaml": [
        "11:22: resource 'export-prod', property export_params.export_dest: must be one of 'DIR', "
        "'NEW_DATASET' "
        "(got 'NEW')",
    ],
    "wrong_type.yaml": [
        "7:27: resource 'label', property collect_key_sample: must be true or false (got 'yes')",
        "11:29: resource 'label', property config.inf_config_list[0].instance_count: must be an integer (got 'many')",
    ],
    "float_for_integer.yaml": [
        "9:20: resource 'grouping', property config.stop_time: must be an integer (got 1.5)",
    ],
    "unknown_resource_reference.yaml": [
        "11:19: resource 'export-prod', property version_id: reference ${candidate.version_id} names an "
        "unknown "
        "resource 'candidate'; did you mean 'cand'?",
    ],
    "unknown_output.yaml": [
        "11:19: resource 'export-prod', property version_id: reference ${cand.versionid}: resource 'cand' "
        "(modelarts:DatasetVersionRef) has no output 'versionid'; did you mean 'version_id'? (outputs: "
        "dataset_id, "
        "version_id, version_name, ...",
    ],
    "unset_input_reference.yaml": [
        "12:13: resource 'export-prod', property path: reference ${cand.release}: resource 'cand' does not set its "
        "input 'release', so the reference would be null; set it there, or refer to one of its outputs (dataset_id, "
        "version_id, ...",
    ],
    "bad_reference.yaml": [
        "11:19: resource 'export-prod', property version_id: bad reference '${cand}': it names no output: "
        "expected ${resource.output}",
        "12:13: resource 'export-prod', property path: unterminated reference '${cand.version_name': "
        "expected ${resource.output} (write $${ for a literal ${)",
    ],
    "cycle.yaml": [
        "2:3: resource 'a': dependency cycle: a -> b -> c -> a",
    ],
    "self_reference.yaml": [
        "6:19: resource 'cand', property version_id: reference ${cand.version_id} refers to resource 'cand' itself",
        "8:19: resource 'cand': options.dependsOn: a resource cannot depend on itself",
    ],
    "duplicate_name.yaml": [
        "9:3: resource 'cand': duplicate resource name 'cand' (first declared at {dir}/duplicate_name.yaml:2:3)",
    ],
    "duplicate_key.yaml": [
        "7:7: resource 'cand', property selector: duplicate key 'selector' (first at line 6, column 7)",
    ],
    "unknown_option.yaml": [
        "8:7: resource 'cand': unknown option 'protected'; allowed: dependsOn, protect, retainOnDelete, "
        "wait, "
        "timeoutSeconds; did you mean 'protect'?",
        "9:7: resource 'cand': unknown option 'depends_on'; allowed: dependsOn, protect, retainOnDelete, "
        "wait, "
        "timeoutSeconds; did you mean 'dependsOn'?",
    ],
    "unknown_depends_on.yaml": [
        "15:11: resource 'label': options.dependsOn: unknown resource 'candd'; did you mean 'cand'?",
    ],
    "options_misplaced.yaml": [
        "7:7: resource 'label', property wait: must be set as options.wait, not as a property",
        "8:5: resource 'label': unknown key 'dependsOn'; allowed: type, properties, options; "
        "write it as options.dependsOn",
        "10:23: resource 'label': options.timeoutSeconds: must be an integer between 1 and 604800 (got 0)",
        "11:13: resource 'label': options.wait: must be true or false (got 'no')",
    ],
    "top_level.yaml": [
        "1:1: unknown top-level key 'nmae'; allowed: $schema, name, description, resources; did you mean 'name'?",
        "3:3: resource '9lives': invalid resource name: use 1 to 63 characters from A-Z, a-z, 0-9, '_' and "
        "'-', "
        "starting with a letter",
        "5:5: resource '9lives': only one of dataset_id, dataset_name may be given (got dataset_id, dataset_name)",
        "9:7: resource '9lives', property release: can only be used together with version_name (which is missing)",
        "10:22: resource '9lives', property release.description: must be at most 256 characters, "
        "none of ! < > = & \" ' (got 'a <b>')",
    ],
    "several.yaml": [
        "5:5: resource 'label': exactly one of dataset_id, dataset_name is required (got none)",
        "5:5: resource 'label', property model_id: model_id is required when task_type is 'pre-label'",
        "8:25: resource 'label', property config.algorithm_type: must be one of 'fast', 'accurate', "
        "'supervisory' "
        "(got 'slow')",
        "9:27: resource 'label', property config.confidence_scope: must be a range \"min-max\" of two "
        "numbers "
        "between 0 and 1, like 0.10-0.90 (got '0.1 to 0.9')",
        "12:5: resource 'export-prod', property path: path is required: the OBS path to export to, or for "
        "export_dest 'NEW_DATASET' the path the API also requires there (docs/api.md)",
        f"14:7: resource 'export-prod', property export_params.export_new_dataset_name: {NEW_DATASET_NEEDS}",
        f"14:7: resource 'export-prod', property export_params.export_new_dataset_work_path: {NEW_DATASET_NEEDS}",
        "17:19: resource 'export-prod', property export_params.search_conditions[0].hard: must be one of "
        "'0', '1' "
        "(got 1)",
        "22:21: resource 'ref', property version_name: must be a version name of 1 to 32 characters from "
        "A-Z, a-z, "
        "0-9, '_' and '-' (got 'release 1')",
        "24:30: resource 'ref', property requirements.min_annotated_ratio: must be between 0 and 1 (got 2)",
    ],
}


def load_problems(*paths: Path) -> list[SpecProblem]:
    with pytest.raises(SpecError) as caught:
        load_specs(list(paths))
    return caught.value.problems


def matches(problem: SpecProblem, expected: str) -> bool:
    got = f"{problem.line}:{problem.column}: {problem.text}"
    if expected.endswith("..."):
        return got.startswith(expected[:-3])
    return got == expected


def test_every_broken_file_has_expectations() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file(name: str) -> None:
    file = BROKEN / name
    expected = [line.replace("{dir}", str(BROKEN)) for line in EXPECTED[name]]
    problems = load_problems(file)
    got = [f"{p.line}:{p.column}: {p.text}" for p in problems]
    assert len(problems) == len(expected), got
    for problem, wanted in zip(problems, expected, strict=True):
        assert problem.file == str(file)
        assert matches(problem, wanted), (problem, wanted)
        assert str(problem).startswith(f"{file}:{problem.line}:{problem.column}: ")


def test_problem_fields() -> None:
    (problem,) = load_problems(BROKEN / "wrong_enum.yaml")
    assert problem == SpecProblem(
        file=str(BROKEN / "wrong_enum.yaml"),
        line=11,
        column=22,
        resource="export-prod",
        path="export_params.export_dest",
        message="must be one of 'DIR', 'NEW_DATASET' (got 'NEW')",
    )
    assert str(problem) == (
        f"{BROKEN / 'wrong_enum.yaml'}:11:22: resource 'export-prod', property export_params.export_dest: "
        "must be one of 'DIR', 'NEW_DATASET' (got 'NEW')"
    )


def test_duplicate_name_across_files_names_the_first_place() -> None:
    directory = BROKEN / "across"
    (problem,) = load_problems(directory)
    assert problem.file == str(directory / "b.yaml")
    assert (problem.line, problem.column, problem.resource) == (7, 3, "cand")
    assert problem.message == f"duplicate resource name 'cand' (first declared at {directory / 'a.yaml'}:2:3)"


def test_all_files_are_checked_in_one_run() -> None:
    problems = load_problems(BROKEN)
    files = sorted({Path(p.file).relative_to(BROKEN).parts for p in problems})
    # The sub-directory is read too, and sorts by its relative path.
    assert files == sorted([("across", "b.yaml"), *((name,) for name in EXPECTED)])
    expected_count = sum(len(lines) for lines in EXPECTED.values())
    # Loaded together, names repeat across files: more duplicate-name problems, nothing lost.
    assert len(problems) >= expected_count - 2  # bad_yaml hides unknown-resource problems elsewhere
    ordered = [(files.index(Path(p.file).relative_to(BROKEN).parts), p.line or 0, p.column or 0) for p in problems]
    assert ordered == sorted(ordered)


def test_spec_error_message_lists_every_problem() -> None:
    with pytest.raises(SpecError) as caught:
        load_specs([BROKEN / "several.yaml"])
    text = str(caught.value)
    assert text.startswith("10 problems in spec files:\n")
    assert text.count("several.yaml:") == 10
