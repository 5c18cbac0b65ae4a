"""The OBS contents import tasks read: seeded folders of files and manifests, and released versions' manifests.

Nothing is stored per file. A seeded entry (``seed.py``, kind ``obs`` in the store) is either a folder
(a path ending in ``/``) holding ``files`` files named ``IMG_00000.jpg``, ``IMG_00001.jpg``, ... or a
manifest (a path ending in ``.manifest``) listing ``files`` files in the folder of the same name next
to it, labelled per ``labels`` (interleaved) with the first ``hard`` of them hard examples. The
files a manifest lists can also be imported as a folder. A released version's ``manifest_path`` is
a manifest too (the doc example imports ``.../annotation/V002/V002.manifest``): it lists the
version's samples with the labels they had at the release.

Paths are accepted as ``/bucket/key``, ``s3://bucket/key`` or ``obs://bucket/key`` and kept as
``/bucket/key``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_modelarts.emulator import ids, samples
from pulumi_modelarts.emulator.context import Ctx

Doc = dict[str, Any]

KIND = "obs"
FILE_TYPES = {"image": 0, "text": 1, "audio": 2}
MANIFEST_SUFFIX = ".manifest"
SCHEMES = ("s3://", "obs://")


def normalize(path: str) -> str | None:
    """``/bucket/key`` for an OBS path in any accepted form, or None when it is not an OBS path."""
    for scheme in SCHEMES:
        if path.startswith(scheme):
            path = "/" + path[len(scheme) :]
            break
    if not path.startswith("/") or path.startswith("//") or any(part in (".", "..") for part in path.split("/")):
        return None
    return path if len(path) > 1 else None


def as_obs_url(path: str) -> str:
    """``/bucket/key`` as ``obs://bucket/key``, the form of the doc examples' answers."""
    return "obs://" + path[1:]


def folder(path: str) -> str:
    return path if path.endswith("/") else path + "/"


@dataclass(frozen=True)
class ObsFile:
    path: str  # /bucket/key
    sample_type: int
    labels: tuple[str, ...] = ()  # label names, from a manifest
    hard: bool = False

    @property
    def size(self) -> int:
        """A stable size in bytes."""
        return 10_000 + int(ids.fraction(self.path, "size") * 490_000)

    @property
    def origin(self) -> str:
        return "s3:/" + self.path

    def to_json(self) -> list[Any]:
        return [self.path, self.sample_type, list(self.labels), self.hard]

    @classmethod
    def from_json(cls, data: list[Any]) -> ObsFile:
        return cls(data[0], data[1], tuple(data[2]), data[3])


def put(ctx: Ctx, entry: Mapping[str, Any]) -> None:
    """Store a seeded folder or manifest (checked by ``seed.check``)."""
    path = normalize(str(entry["path"]))
    assert path is not None
    doc = {key: entry[key] for key in ("files", "type", "labels", "hard") if key in entry}
    ctx.tx.put(KIND, path, {"path": path, **doc}, created_ms=ctx.now_ms)


def _files(entry: Doc) -> Iterator[ObsFile]:
    sample_type = FILE_TYPES[entry.get("type", "image")]
    count = int(entry.get("files", 0))
    path: str = entry["path"]
    if not path.endswith(MANIFEST_SUFFIX):
        for index in range(count):
            yield ObsFile(path + samples.file_name(sample_type, index), sample_type)
        return
    names = samples.interleave(entry.get("labels") or {})
    hard = int(entry.get("hard", 0))
    base = folder(path[: -len(MANIFEST_SUFFIX)])
    for index in range(count):
        labels = (names[index],) if index < len(names) else ()
        yield ObsFile(base + samples.file_name(sample_type, index), sample_type, labels, index < hard)


def listing(ctx: Ctx, path: str) -> list[ObsFile]:
    """Every file in the folder ``path`` and its sub-folders, in path order."""
    prefix = folder(path)
    found = {
        file.path: file for entry in ctx.tx.objects(KIND) for file in _files(entry) if file.path.startswith(prefix)
    }
    return [found[key] for key in sorted(found)]


def manifest(ctx: Ctx, path: str) -> list[ObsFile] | None:
    """The files a manifest lists, or None when there is no manifest at ``path``."""
    entry = ctx.tx.get(KIND, path)
    if entry is not None:
        return list(_files(entry)) if path.endswith(MANIFEST_SUFFIX) else None
    for version in ctx.tx.objects("version"):
        if version.get("manifest_path") == path and version.get("_final") and version.get("_delete_at") is None:
            return _version_files(ctx, version)
    return None


def _version_files(ctx: Ctx, version: Doc) -> list[ObsFile]:
    found = ctx.tx.samples_by_id(version["dataset_id"], version["_ids"])
    files = []
    for sample_id in version["_ids"]:
        sample = found.get(sample_id)
        if sample is None:  # deleted since the release
            continue
        names = tuple(dict.fromkeys(str(label.get("name")) for label in version["_labels"].get(sample_id, [])))
        path = normalize(str(sample["origin"]))
        if path is not None:
            files.append(ObsFile(path, sample["sample_type"], names, bool(sample.get("hard"))))
    return files
