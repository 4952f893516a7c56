"""The HTTP and websocket edge: the only code that touches sockets."""
