"""Orchestration: entry points (``sweep``, ``evaluate``), config composition, and the packages
that launch jobs (``launch``), run one cell (``cell``), keep records (``records``), build the
report (``report``), resolve and serve models (``models``) and the benchmark-free tools (``tools``).
"""
