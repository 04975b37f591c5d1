"""A seeded simulator of recruitment campaigns, to measure allocation policies against an oracle.

``world`` generates campaigns (channels' costs and conversion rates, creatives that tire,
creatives added mid-flight, late conversions); ``policies`` holds the allocators compared
(Koers' engine, equal split, greedy, textbook Thompson sampling); ``runner`` plays a
policy through a campaign week by week and scores it against the oracle.
"""
