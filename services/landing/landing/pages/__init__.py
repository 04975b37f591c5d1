"""Candidate pages: published page snapshots, the landing page, its cache and stencils."""
