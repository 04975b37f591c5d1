"""Web plumbing shared by the features: dependencies, rendering, languages and their
messages, body limits, where database calls run."""
