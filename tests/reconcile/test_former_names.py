"""`identity.resource_name_of`: the resource name a task's tag carries in a namespace, for orphans (cli/orphans.py).

A name is given back only when its tag in that namespace is exactly the task's: never for another namespace's tag,
a legacy tag (the hash of the name alone), or a name the slug cannot give back.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_modelarts.reconcile import identity

# Names the slug gives back: lowercase letters and digits, '-' and '_' between parts (up to four), short enough.
NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}([-_][a-z0-9]{1,6}){0,4}", fullmatch=True)


@given(name=NAMES, namespace=st.text(min_size=1, max_size=20))
def test_the_name_comes_back_in_its_namespace_only(name: str, namespace: str) -> None:
    tag = identity.resource_tag(name, namespace)
    assert identity.resource_name_of(tag, namespace) == name
    assert identity.resource_name_of(tag, namespace + "-other") is None
    assert identity.resource_name_of(identity.legacy_tag(name), namespace) is None


@pytest.mark.parametrize(
    "name",
    [
        "Pets",  # capitals: the slug lowercases them
        "a__b",  # a run of separators becomes one '-'
        "a-b-c-d-e-f_g",  # more than four separators, mixed
        "a" * 41,  # longer than the slug keeps
    ],
)
def test_names_the_slug_cannot_give_back_are_never_attributed(name: str) -> None:
    assert identity.resource_name_of(identity.resource_tag(name, "team"), "team") is None


def test_many_separators_of_one_kind_still_come_back() -> None:
    for name in ("a-b-c-d-e-f-g", "a_b_c_d_e_f_g"):
        assert identity.resource_name_of(identity.resource_tag(name, "team"), "team") == name


@pytest.mark.parametrize("tag", ["pm-x", "pm--abcdef", "pm-Abc-abcdef", "xx-abc-abcdef", "pm-abc-abcdeg"])
def test_what_is_not_a_tag_is_nobody_s(tag: str) -> None:
    assert identity.resource_name_of(tag, "team") is None
