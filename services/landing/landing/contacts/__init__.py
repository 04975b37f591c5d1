"""Contact history: each attempt to reach a candidate and each reply, kept beside the lead."""
