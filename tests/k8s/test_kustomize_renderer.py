"""The small kustomize renderer the manifest tests rely on (tests/support/kustomize.py):
each behaviour it claims, on a base and an overlay written here."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from tests.support.kustomize import Unsupported, render, strategic_merge

pytestmark = pytest.mark.k8s

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 1,
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "koers-web",
                        "args": ["a", "b"],
                        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    },
                    {"name": "sidecar", "image": "other:1.0"},
                ]
            }
        },
    },
}


def write(path: Path, *documents: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(documents))


@pytest.fixture
def overlay(tmp_path: Path) -> Path:
    base = tmp_path / "base"
    write(base / "web.yaml", DEPLOYMENT)
    (base / "files").mkdir()
    (base / "files" / "script.sh").write_text("echo hi\n")
    write(
        base / "kustomization.yaml",
        {
            "resources": ["web.yaml"],
            "generatorOptions": {"disableNameSuffixHash": True},
            "configMapGenerator": [
                {"name": "settings", "literals": ["MODE=base", "KEEP=yes"]},
                {"name": "scripts", "files": ["files/script.sh", "run=files/script.sh"]},
            ],
        },
    )
    prod = tmp_path / "prod"
    (prod / "app.env").parent.mkdir(parents=True)
    (prod / "app.env").write_text("# a comment\n\nTOKEN=s3cret=x\n")
    write(
        prod / "patch.yaml",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "app",
                                "args": ["c"],
                                "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
                            }
                        ]
                    }
                }
            },
        },
    )
    write(
        prod / "kustomization.yaml",
        {
            "namespace": "koers",
            "resources": ["../base"],
            "patches": [{"path": "patch.yaml"}],
            "images": [{"name": "koers-web", "newName": "registry/koers-web", "newTag": "1.2"}],
            "replicas": [{"name": "web", "count": 4}],
            "labels": [{"pairs": {"part-of": "koers"}}],
            "generatorOptions": {"disableNameSuffixHash": True},
            "configMapGenerator": [
                {"name": "settings", "behavior": "merge", "literals": ["MODE=prod"]}
            ],
            "secretGenerator": [{"name": "app", "envs": ["app.env"]}],
        },
    )
    return prod


def test_an_overlay_patches_scales_retags_and_generates(overlay: Path) -> None:
    objects = {(o["kind"], o["metadata"]["name"]): o for o in render(overlay)}

    web = objects["Deployment", "web"]
    app, sidecar = web["spec"]["template"]["spec"]["containers"]
    assert app["image"] == "registry/koers-web:1.2" and sidecar["image"] == "other:1.0"
    assert app["args"] == ["c"]  # a plain list is replaced
    assert app["env"] == [  # a list of named maps merges by name
        {"name": "A", "value": "1"},
        {"name": "B", "value": "20"},
        {"name": "C", "value": "3"},
    ]
    assert web["spec"]["replicas"] == 4
    assert all(o["metadata"]["namespace"] == "koers" for o in objects.values())
    assert all(o["metadata"]["labels"] == {"part-of": "koers"} for o in objects.values())
    assert objects["ConfigMap", "settings"]["data"] == {"MODE": "prod", "KEEP": "yes"}
    assert objects["ConfigMap", "scripts"]["data"] == {"script.sh": "echo hi\n", "run": "echo hi\n"}
    secret = objects["Secret", "app"]
    assert secret["type"] == "Opaque"
    assert base64.b64decode(secret["data"]["TOKEN"]).decode() == "s3cret=x"


def test_what_it_does_not_implement_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "kustomization.yaml", {"resources": [], "vars": []})
    with pytest.raises(Unsupported, match="vars"):
        render(tmp_path)
    write(
        tmp_path / "kustomization.yaml",
        {"configMapGenerator": [{"name": "c", "literals": ["A=1"]}]},
    )
    with pytest.raises(Unsupported, match="disableNameSuffixHash"):
        render(tmp_path)


def test_a_patch_for_a_missing_object_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "patch.yaml", {"kind": "Deployment", "metadata": {"name": "nope"}})
    write(tmp_path / "kustomization.yaml", {"patches": [{"path": "patch.yaml"}]})
    with pytest.raises(ValueError, match="names no object"):
        render(tmp_path)


def test_strategic_merge_leaves_its_inputs_alone() -> None:
    base = {"a": {"b": 1, "list": [{"name": "x", "v": 1}]}}
    patch = {"a": {"c": 2, "list": [{"name": "x", "v": 2}]}}
    merged = strategic_merge(base, patch)
    assert merged == {"a": {"b": 1, "c": 2, "list": [{"name": "x", "v": 2}]}}
    assert base == {"a": {"b": 1, "list": [{"name": "x", "v": 1}]}}
