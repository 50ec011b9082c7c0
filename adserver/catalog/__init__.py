"""The sponsor catalog: its file format, the snapshot loaded from SQL, advertisers' self-service, URL
checks and API tokens."""
