"""A small renderer for the part of kustomize that deploy/k8s uses, so tests can check the
manifests without kubectl (no Python package ships kustomize, and no binary may be
downloaded here).

Supported, with kustomize's meaning:
- ``resources``: YAML files (several documents each) and directories with their own
  ``kustomization.yaml``, rendered first (bases before the overlay's changes);
- ``configMapGenerator`` and ``secretGenerator`` with ``files``, ``literals`` and ``envs``
  (``KEY=value`` lines, ``#`` comments), and ``behavior: merge|replace`` onto a generated
  object of a base; only with ``generatorOptions.disableNameSuffixHash: true``;
- ``patches`` with a ``path`` (or an inline ``patch``): strategic merge onto the object of
  the same kind and name; maps merge key by key, lists of maps that all have a ``name``
  merge item by item on it (containers, env, volumes, ports), other lists are replaced;
- ``images`` (``name`` → ``newName``/``newTag``), ``replicas``, ``namespace`` and
  ``labels`` (``pairs`` on every object's metadata).

Anything else in a kustomization raises :class:`Unsupported`, so a manifest never
silently means something else here than in a cluster.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]

KNOWN_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "patches",
    "images",
    "replicas",
    "namespace",
    "labels",
}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}


class Unsupported(ValueError):
    """The kustomization uses something this renderer does not implement."""


def render(directory: Path) -> list[Manifest]:
    """Every object ``kubectl kustomize directory`` would print, in order."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text()) or {}
    unknown = set(kustomization) - KNOWN_FIELDS
    if unknown:
        raise Unsupported(f"{directory}: {sorted(unknown)}")
    objects: list[Manifest] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        if path.is_dir():
            objects.extend(render(path))
        else:
            objects.extend(load_documents(path))
    generated = _generators(directory, kustomization)
    for item in generated:
        behavior = item.pop("_behavior", "create")
        if behavior == "create":
            if _find(objects, item["kind"], item["metadata"]["name"]) is not None:
                raise ValueError(f"{directory}: {item['metadata']['name']} exists already")
            objects.append(item)
            continue
        target = _find(objects, item["kind"], item["metadata"]["name"])
        if target is None:
            raise ValueError(f"{directory}: nothing to {behavior} for {item['metadata']['name']}")
        if behavior == "replace":
            target["data"] = item.get("data", {})
        else:
            target.setdefault("data", {}).update(item.get("data", {}))
    for patch in kustomization.get("patches", []):
        for document in _patch_documents(directory, patch):
            target = _find(objects, document["kind"], document["metadata"]["name"])
            if target is None:
                raise ValueError(f"{directory}: the patch names no object: {document['metadata']}")
            merged = strategic_merge(target, document)
            target.clear()
            target.update(merged)
    for image in kustomization.get("images", []):
        _set_image(objects, image)
    for replica in kustomization.get("replicas", []):
        target = _find(objects, "Deployment", replica["name"])
        if target is None:
            raise ValueError(f"{directory}: no Deployment {replica['name']} to scale")
        target["spec"]["replicas"] = int(replica["count"])
    if "namespace" in kustomization:
        for item in objects:
            if item["kind"] not in CLUSTER_SCOPED:
                item["metadata"]["namespace"] = kustomization["namespace"]
    for label in kustomization.get("labels", []):
        if set(label) - {"pairs"}:
            raise Unsupported(f"{directory}: labels options {sorted(set(label) - {'pairs'})}")
        for item in objects:
            item["metadata"].setdefault("labels", {}).update(label["pairs"])
    return objects


def load_documents(path: Path) -> list[Manifest]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def strategic_merge(base: Any, patch: Any) -> Any:
    """``patch`` laid over ``base`` (neither is changed)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(base)
        for key, value in patch.items():
            merged[key] = strategic_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if _named_list(base) and _named_list(patch):
        merged_list = copy.deepcopy(base)
        for item in patch:
            index = next((i for i, b in enumerate(merged_list) if b["name"] == item["name"]), None)
            if index is None:
                merged_list.append(copy.deepcopy(item))
            else:
                merged_list[index] = strategic_merge(merged_list[index], item)
        return merged_list
    return copy.deepcopy(patch)


def _named_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and "name" in v for v in value)
    )


def _find(objects: Iterable[Manifest], kind: str, name: str) -> Manifest | None:
    return next((o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name), None)


def _patch_documents(directory: Path, patch: dict[str, Any]) -> list[Manifest]:
    if set(patch) - {"path", "patch"}:
        raise Unsupported(f"{directory}: patch options {sorted(set(patch) - {'path', 'patch'})}")
    if "path" in patch:
        return load_documents(directory / patch["path"])
    return [d for d in yaml.safe_load_all(patch["patch"]) if d]


def _generators(directory: Path, kustomization: dict[str, Any]) -> list[Manifest]:
    generators = [
        *(("ConfigMap", g) for g in kustomization.get("configMapGenerator", [])),
        *(("Secret", g) for g in kustomization.get("secretGenerator", [])),
    ]
    if not generators:
        return []
    options = kustomization.get("generatorOptions", {})
    if options.get("disableNameSuffixHash") is not True or set(options) - {"disableNameSuffixHash"}:
        raise Unsupported(f"{directory}: generators need exactly disableNameSuffixHash: true")
    result = []
    for kind, generator in generators:
        extra = set(generator) - {"name", "files", "literals", "envs", "behavior"}
        if extra:
            raise Unsupported(f"{directory}: {kind} generator options {sorted(extra)}")
        data: dict[str, str] = {}
        for entry in generator.get("files", []):
            key, _, source = entry.rpartition("=") if "=" in entry else ("", "", entry)
            data[key or Path(source).name] = (directory / source).read_text()
        for literal in generator.get("literals", []):
            key, _, value = literal.partition("=")
            data[key] = value
        for env_file in generator.get("envs", []):
            data.update(read_env_file(directory / env_file))
        item: Manifest = {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": {"name": generator["name"]},
            "_behavior": generator.get("behavior", "create"),
        }
        if kind == "Secret":
            item["type"] = "Opaque"
            item["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        else:
            item["data"] = data
        result.append(item)
    return result


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` per line; blank lines and ``#`` comments skipped (as kustomize)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, separator, value = line.partition("=")
        if not separator:
            raise ValueError(f"{path}: not KEY=value: {key!r}")
        values[key.strip()] = value
    return values


def _set_image(objects: list[Manifest], image: dict[str, str]) -> None:
    for item in objects:
        template = item.get("spec", {}).get("template", {}).get("spec", {})
        for container in [*template.get("containers", []), *template.get("initContainers", [])]:
            name, _, tag = container["image"].partition(":")
            if name != image["name"]:
                continue
            container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}".rstrip(
                ":"
            )
