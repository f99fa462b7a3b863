"""A Kubeflow Pipelines (kfp v2) definition of the scheduled retrain: refresh -> validate -> publish.

    pip install 'kfp>=2' kfp-kubernetes      # where the pipeline is compiled, not in cible's venv
    CIBLE_IMAGE=registry.example.org/cible:1.0 python examples/kubeflow_pipeline.py cible_retrain.yaml

writes the pipeline's YAML (IR), to upload in the Kubeflow Pipelines UI or with
``kfp.Client().create_run_from_pipeline_package``; a recurring run gives the schedule. Three
steps, each a container of the cible image (``CIBLE_IMAGE``: an image with cible installed and
the data sources reachable, e.g. ``FROM python:3.11`` + ``pip install cible``):

1. **refresh**: ``cible run --config CONFIG --out RUN``: ingest, features and the segmentation
   afresh; the run folder is the step's output artefact.
2. **validate**: ``cible check --out RUN`` (selection gates, bootstrap stability, segment sizes,
   thresholds as pipeline parameters); a failing check fails the step, so nothing is published.
   Its ``check.json`` is an output artefact.
3. **publish**: ``cible publish --out RUN``, into the store whose URL comes from the Kubernetes
   secret ``cible-store`` (key ``url``) as ``CIBLE_STORE_URL``, never from a pipeline parameter
   (parameters are stored in clear in the pipeline's metadata).

Compiled in a test (``tests/integration/test_orchestrators.py``), no cluster needed. kfp 2 pins
libraries older than cible's lock, hence an environment of its own (``requirements/kfp.txt``). No
``from __future__ import annotations`` here: kfp reads the annotations as types.
"""

import os
import sys

from kfp import compiler, dsl, kubernetes

IMAGE = os.environ.get("CIBLE_IMAGE", "cible:latest")
STORE_SECRET = os.environ.get("CIBLE_STORE_SECRET", "cible-store")


@dsl.container_component
def refresh(config: str, run: dsl.Output[dsl.Artifact]) -> dsl.ContainerSpec:
    return dsl.ContainerSpec(
        image=IMAGE, command=["cible", "run"], args=["--config", config, "--out", run.path]
    )


@dsl.container_component
def validate(
    run: dsl.Input[dsl.Artifact],
    min_stability: float,
    min_segment_share: float,
    check: dsl.Output[dsl.Artifact],
) -> dsl.ContainerSpec:
    return dsl.ContainerSpec(
        image=IMAGE,
        command=[
            "sh",
            "-c",
            'cible check --out "$0" --min-stability "$1" '
            '--min-segment-share "$2" && cp "$0/check.json" "$3"',
        ],
        args=[run.path, min_stability, min_segment_share, check.path],
    )


@dsl.container_component
def publish(run: dsl.Input[dsl.Artifact], check: dsl.Input[dsl.Artifact]) -> dsl.ContainerSpec:
    # ``check`` is consumed so that publish waits for a passed validation
    return dsl.ContainerSpec(image=IMAGE, command=["cible", "publish"], args=["--out", run.path])


@dsl.pipeline(name="cible-retrain", description="Re-run the segmentation, check it, publish it.")
def cible_retrain(
    config: str = "/etc/cible/cible.yaml",
    min_stability: float = 0.75,
    min_segment_share: float = 0.02,
) -> None:
    fresh = refresh(config=config)
    checked = validate(
        run=fresh.outputs["run"],
        min_stability=min_stability,
        min_segment_share=min_segment_share,
    )
    published = publish(run=fresh.outputs["run"], check=checked.outputs["check"])
    kubernetes.use_secret_as_env(
        published, secret_name=STORE_SECRET, secret_key_to_env={"url": "CIBLE_STORE_URL"}
    )


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "cible_retrain.yaml"
    compiler.Compiler().compile(cible_retrain, package_path=target)
    print(f"wrote {target}")
