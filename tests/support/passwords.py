"""A cheap argon2 hasher for tests, injected where production builds the strong one
(``create_app(..., password_hasher=)``, ``seed_demo``, the tenancy use cases).

Production's parameters cost ~0.17 s of CPU per hash or check; tests log in and create
users hundreds of times. The hashes stay real argon2id, so wrong passwords still fail;
tests/unit/campaigns/test_password_hashing.py keeps production's parameters strong.
"""

from argon2 import PasswordHasher

# argon2's minimum: one pass over 8 KiB, one lane.
FAST_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
