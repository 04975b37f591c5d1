"""What analytics says about a campaign: its funnel, the dashboard and its charts."""
