"""Loading valid spec files: resources, options, references, order; resolving references."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pulumi_modelarts.schema import UnknownString, validate_inputs
from pulumi_modelarts.specs import (
    Location,
    Reference,
    ReferenceSyntaxError,
    ResourceOptionsSpec,
    SpecError,
    SpecSet,
    UnresolvedReferenceError,
    find_references,
    has_references,
    load_specs,
    parse_string,
    resolve_references,
)

VALID = Path(__file__).parent / "valid"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def spec_set() -> SpecSet:
    return load_specs([VALID])


def test_valid_directory_loads_yaml_and_yml_files_sorted(spec_set: SpecSet) -> None:
    assert [p.name for p in spec_set.files] == ["10_versions.yaml", "20_export.yml"]
    assert list(spec_set.resources) == ["promoted", "cand", "label", "grouping", "export-prod"]
    assert len(spec_set) == 5


def test_order_puts_dependencies_first_and_is_otherwise_file_order(spec_set: SpecSet) -> None:
    assert spec_set.order == ["cand", "promoted", "label", "grouping", "export-prod"]
    deps = {name: set(resource.dependencies) for name, resource in spec_set.resources.items()}
    assert deps == {
        "promoted": {"cand"},
        "cand": set(),
        "label": {"cand"},
        "grouping": set(),
        "export-prod": {"promoted", "label", "cand"},
    }
    position = {name: index for index, name in enumerate(spec_set.order)}
    for name, resource in spec_set.resources.items():
        assert all(position[dep] < position[name] for dep in resource.dependencies)


def test_resources_keep_type_properties_options_and_location(spec_set: SpecSet) -> None:
    cand = spec_set.resources["cand"]
    assert cand.type_token == "modelarts:DatasetVersionRef"
    assert cand.properties == {
        "dataset_name": "flowers",
        "selector": "latest",
        "requirements": {"min_annotated_ratio": 0.9},
    }
    assert cand.options == ResourceOptionsSpec(timeout_seconds=600, wait=True)
    assert cand.location == Location(str(VALID / "10_versions.yaml"), 13, 3)
    label = spec_set.resources["label"]
    assert label.options == ResourceOptionsSpec(depends_on=("cand",), protect=True)
    export = spec_set.resources["export-prod"]
    assert export.options.depends_on == ("label",)  # "${label}" is accepted too
    assert export.options.retain_on_delete is True
    assert export.location.file.endswith("20_export.yml")
    # properties are kept as written: references and escapes resolve later
    assert export.properties["path"] == "/bucket/export/${promoted.version_name}/"
    assert export.properties["export_params"]["search_conditions"][0]["sample_name"] == "literal $${not_a_ref}"
    assert spec_set.resources["grouping"].properties["config"]["n_clusters"] == "2"


def test_property_locations(spec_set: SpecSet) -> None:
    export = spec_set.resources["export-prod"]
    file = str(VALID / "20_export.yml")
    assert export.property_locations["path"] == Location(file, 19, 13)
    assert export.property_locations["export_params.search_conditions[0].sample_name"] == Location(file, 25, 26)


def test_references_are_found_with_their_paths(spec_set: SpecSet) -> None:
    promoted = spec_set.resources["promoted"]
    assert [(r.resource, r.output, r.path, r.whole) for r in promoted.references] == [
        ("cand", "dataset_id", "dataset_id", True),
        ("cand", "version_name", "version_name", False),
        ("cand", "version_name", "release.description", False),
    ]
    export = spec_set.resources["export-prod"]
    assert [r.text for r in export.references] == [
        "${promoted.version_id}",
        "${promoted.version_name}",
        "${cand.version_name}",
    ]
    assert export.references[2].parts == ("export_params", "search_conditions", 0, "sample_dir")


def test_resolving_references_gives_valid_inputs(spec_set: SpecSet) -> None:
    outputs = {
        "cand": {"dataset_id": "ds-1", "version_name": "V007", "version_id": "v7"},
        "promoted": {"version_id": "v8", "version_name": "prod-V007"},
        "label": {},
    }
    resolved = {name: resolve_references(r.properties, outputs) for name, r in spec_set.resources.items()}
    assert resolved["promoted"]["dataset_id"] == "ds-1"
    assert resolved["promoted"]["version_name"] == "prod-V007"
    assert resolved["promoted"]["release"]["description"] == "promoted from V007"
    assert resolved["export-prod"]["path"] == "/bucket/export/prod-V007/"
    condition = resolved["export-prod"]["export_params"]["search_conditions"][0]
    assert condition == {"sample_name": "literal ${not_a_ref}", "sample_dir": "/bucket/in/V007/"}
    for name, props in resolved.items():
        assert validate_inputs(spec_set.resources[name].type_token, props)[1] == []


def test_a_resource_without_references_carries_the_inputs_the_load_validated(tmp_path: Path) -> None:
    """Its options that are inputs included, normalized; a resource with references carries none (the plan
    validates it once they are resolved)."""
    write(
        tmp_path,
        "specs.yaml",
        """\
        resources:
          grouping:
            type: modelarts:IntelligentTask
            properties: {dataset_name: flowers-optioned, task_type: auto-grouping, config: {n_clusters: "3"}}
            options: {wait: false, timeoutSeconds: 900}
          labelling:
            type: modelarts:IntelligentTask
            properties: {dataset_name: "${grouping.dataset_name}", task_type: auto-label}
        """,
    )
    resources = load_specs([tmp_path]).resources
    grouping = resources["grouping"]
    assert grouping.options.inputs() == {"wait": False, "timeout_seconds": 900}
    expected, violations = validate_inputs(grouping.type_token, {**grouping.properties, **grouping.options.inputs()})
    assert violations == [] and grouping.inputs == expected
    assert grouping.inputs is not None and grouping.inputs["config"]["n_clusters"] == 3
    assert grouping.inputs["wait"] is False and grouping.inputs["timeout_seconds"] == 900
    assert resources["labelling"].references and resources["labelling"].inputs is None


def test_resolve_references_keeps_types_of_whole_references() -> None:
    outputs = {"a": {"n": 3, "flag": True, "items": [1, 2], "none": None}}
    assert resolve_references("${a.n}", outputs) == 3
    assert resolve_references({"x": ["${a.items}", "${a.none}"]}, outputs) == {"x": [[1, 2], None]}
    assert resolve_references("n=${a.n} flag=${a.flag} items=${a.items}", outputs) == "n=3 flag=true items=[1,2]"
    assert resolve_references("cost: $${a.n} $$ $", outputs) == "cost: ${a.n} $$ $"
    # read left to right: "$" then the escape "$${"
    assert resolve_references("$$${a.n}", outputs) == "$${a.n}"
    assert resolve_references("$${a.n}", outputs) == "${a.n}"
    assert resolve_references(7, outputs) == 7


def test_resolve_references_errors() -> None:
    with pytest.raises(UnresolvedReferenceError, match=r"no outputs of resource 'b' are available"):
        resolve_references("${b.x}", {"a": {}})
    with pytest.raises(UnresolvedReferenceError, match=r"resource 'a' has no output 'y' \(available: x\)"):
        resolve_references({"k": ["${a.y}"]}, {"a": {"x": 1}})
    with pytest.raises(UnresolvedReferenceError, match="null and cannot be interpolated"):
        resolve_references("v-${a.x}", {"a": {"x": None}})
    with pytest.raises(ReferenceSyntaxError):
        resolve_references("${a}", {"a": {}})


def test_parse_string_and_find_references() -> None:
    assert parse_string("plain") == ["plain"]
    assert parse_string("a $$ b $${c}") == ["a $$ b ${c}"]
    segments = parse_string("prod-${cand.version_name}-x")
    assert segments[0] == "prod-" and segments[2] == "-x"
    reference = segments[1]
    assert isinstance(reference, Reference)
    assert (reference.resource, reference.output, reference.whole) == ("cand", "version_name", False)
    whole = parse_string("${my-res_1.task_id}")
    assert len(whole) == 1 and isinstance(whole[0], Reference) and whole[0].whole
    found = find_references({"a": [{"b": "${x.y}"}, "${z.w} and ${x.v}"], "c": 1})
    assert [(r.path, r.text) for r in found] == [("a[0].b", "${x.y}"), ("a[1]", "${z.w}"), ("a[1]", "${x.v}")]
    assert has_references("${x.y}") and not has_references("$${x.y}") and not has_references("x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${cand}", "it names no output"),
        ("${cand.a.b}", "not nested fields"),
        ("${cand.items[0]}", "not nested fields"),
        ("${ cand.x }", "expected ${resource.output}"),
        ("${}", "expected ${resource.output}"),
        ("abc ${cand.x", "unterminated reference"),
        ("${1abc.x}", "expected ${resource.output}"),
    ],
)
def test_bad_references(text: str, message: str) -> None:
    with pytest.raises(ReferenceSyntaxError, match=message.replace("$", r"\$").replace("{", r"\{")):
        find_references({"k": text})


def test_empty_documents(tmp_path: Path) -> None:
    write(tmp_path, "empty.yaml", "")
    write(tmp_path, "blank.yaml", "---\n---\n# only a comment\n")
    write(tmp_path, "none.yaml", "resources:\n")
    write(tmp_path, "ignored.json", "{not yaml")
    spec_set = load_specs([tmp_path])
    assert spec_set.resources == {} and spec_set.order == []
    assert [p.name for p in spec_set.files] == ["blank.yaml", "empty.yaml", "none.yaml"]


def test_files_and_directories_can_be_mixed_and_are_read_once(tmp_path: Path) -> None:
    a = write(
        tmp_path,
        "a.yaml",
        """\
        resources:
          v:
            type: modelarts:DatasetVersionRef
            properties: {dataset_name: flowers, selector: current}
        """,
    )
    spec_set = load_specs([a, tmp_path, str(a)])
    assert list(spec_set.resources) == ["v"]
    assert spec_set.files == [a]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_specs([tmp_path / "nope"])
    (problem,) = caught.value.problems
    assert problem.line is None
    assert str(problem) == f"{tmp_path / 'nope'}: no such file or directory"


def test_default_path_is_specs_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    write(
        tmp_path / "specs",
        "x.yaml",
        "resources:\n  v:\n    type: modelarts:DatasetVersionRef\n    properties: {dataset_id: d, selector: latest}\n",
    )
    spec_set = load_specs()
    assert spec_set.order == ["v"]
    assert spec_set.resources["v"].location.file == str(Path("specs") / "x.yaml")


def test_references_to_inputs_are_allowed(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """\
        resources:
          label:
            type: modelarts:IntelligentTask
            properties: {dataset_name: flowers, task_type: auto-label}
          copy:
            type: modelarts:IntelligentTask
            properties:
              dataset_name: ${label.dataset_name}
              task_type: ${label.task_type}
        """,
    )
    spec_set = load_specs([tmp_path])
    assert spec_set.order == ["label", "copy"]


def test_a_broken_yaml_file_does_not_cause_unknown_resource_errors_elsewhere(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "resources:\n  cand: [\n")
    write(
        tmp_path,
        "b.yaml",
        """\
        resources:
          label:
            type: modelarts:IntelligentTask
            properties: {dataset_id: "${cand.dataset_id}", task_type: auto-label}
            options: {dependsOn: [cand]}
        """,
    )
    with pytest.raises(SpecError) as caught:
        load_specs([tmp_path])
    assert [p.file for p in caught.value.problems] == [str(tmp_path / "a.yaml")]
    assert caught.value.problems[0].message.startswith("invalid YAML:")


def test_non_utf8_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes(b"resources: \xff\xfe\n")
    with pytest.raises(SpecError) as caught:
        load_specs([tmp_path])
    assert caught.value.problems[0].message.startswith("not UTF-8 text")


def test_yaml_features_that_are_not_supported(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """\
        base: &base {dataset_name: flowers}
        resources:
          v:
            type: modelarts:DatasetVersionRef
            properties:
              <<: *base
              selector: !latest current
        """,
    )
    with pytest.raises(SpecError) as caught:
        load_specs([tmp_path])
    texts = [p.text for p in caught.value.problems]
    assert "unknown top-level key 'base'; allowed: $schema, name, description, resources" in texts
    assert "resource 'v': merge keys (<<) are not supported" in texts
    assert "resource 'v', property selector: unsupported YAML tag '!latest'" in texts


def test_anchors_and_aliases_of_plain_values_work(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """\
        resources:
          v1:
            type: modelarts:DatasetVersionRef
            properties: &props {dataset_name: flowers, selector: latest}
          v2:
            type: modelarts:DatasetVersionRef
            properties: *props
        """,
    )
    spec_set = load_specs([tmp_path])
    assert spec_set.resources["v1"].properties == spec_set.resources["v2"].properties


def test_depends_on_must_be_a_list_of_distinct_names(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """\
        resources:
          a:
            type: modelarts:DatasetVersionRef
            properties: {dataset_name: flowers, selector: latest}
          b:
            type: modelarts:DatasetVersionRef
            properties: {dataset_name: flowers, selector: current}
            options: {dependsOn: a}
          c:
            type: modelarts:DatasetVersionRef
            properties: {dataset_name: flowers, selector: current}
            options: {dependsOn: [a, "${a}", 3]}
        """,
    )
    with pytest.raises(SpecError) as caught:
        load_specs([tmp_path])
    assert [f"{p.line}:{p.column}: {p.text}" for p in caught.value.problems] == [
        "8:26: resource 'b': options.dependsOn: must be a list of resource names (got 'a')",
        "12:30: resource 'c': options.dependsOn: 'a' is listed twice",
        "12:38: resource 'c': options.dependsOn: each item must be a resource name (got 3)",
    ]


class Placeholder:
    """Like the CLI's "known after apply" values."""

    def __init__(self, reference: str) -> None:
        self.reference = reference

    def __repr__(self) -> str:
        return f"(known after apply: {self.reference})"


def test_resolving_with_values_not_known_yet() -> None:
    outputs = {"cand": {"version_name": Placeholder("cand.version_name"), "version_id": Placeholder("x")}}
    whole = resolve_references("${cand.version_id}", outputs)
    assert isinstance(whole, Placeholder)
    text = resolve_references("prod-${cand.version_name}", outputs)
    assert isinstance(text, UnknownString)
    assert text == "prod-(known after apply: cand.version_name)"
    # validation treats it as a string of unknown content, the placeholder as unknown
    props = {"dataset_id": whole, "version_name": text}
    assert (
        validate_inputs("modelarts:DatasetVersionRef", props, is_unknown=lambda v: isinstance(v, Placeholder))[1] == []
    )
    sentinel = "04da6b54"
    marked = resolve_references("v-${a.b}", {"a": {"b": sentinel}}, is_unknown=lambda v: v == sentinel)
    assert isinstance(marked, UnknownString)
    assert not isinstance(resolve_references("v-${a.b}", {"a": {"b": "x"}}), UnknownString)
