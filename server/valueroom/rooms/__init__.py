"""Live rooms: the in-memory room actor, the registry that loads and unloads rooms, invites."""
