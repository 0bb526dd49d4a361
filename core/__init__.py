"""The core layer: rubric schema and loaders, score normalization and orientation,
the component registry and the typed config schemas.

It imports no other part of the project (an import-linter contract in
``pyproject.toml`` enforces it), so ``methods/`` and ``evals/`` can build on it
without pulling in orchestration.
"""
