"""The users every test server knows: Alice and Bob, with their secret keys."""

ALICE = "alice@example.com"
ALICE_SECRET = "sk-alice-7f3a9c1e5b"
BOB = "bob@example.com"
BOB_SECRET = "sk-bob-2d8e6a4f01"
