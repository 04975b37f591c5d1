"""What analytics knows of each campaign and its creatives, from ``koers.campaign-state.v1``:
the state the consumer stores, and ``GET /v1/campaigns`` (what the weekly job plans)."""
