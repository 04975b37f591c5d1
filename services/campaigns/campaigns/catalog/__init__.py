"""Campaigns, their creatives and landing pages: the marketer's catalogue and its lifecycle."""
