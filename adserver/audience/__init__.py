"""Who reads: the reader's country, device, whether a bot is asking, and the address, hashed."""
