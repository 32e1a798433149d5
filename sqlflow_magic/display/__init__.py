"""How jobs, requests and settings look in a notebook. Knows nothing of HTTP."""
