"""Segment lifecycle: drift detection between a reference and a current population
(:mod:`cible.lifecycle.drift`), stable segment ids across retrained versions and the migration
matrix between two label assignments (:mod:`cible.lifecycle.stable_ids`,
:mod:`cible.lifecycle.migration`). See docs/lifecycle.md."""
