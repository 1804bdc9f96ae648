"""Domain logic: plain Python, no Reflex imports. States and the HTTP API both call these."""
