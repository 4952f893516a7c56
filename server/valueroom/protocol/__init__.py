"""The wire: the schema shared with the browser, and the msgpack codec."""
