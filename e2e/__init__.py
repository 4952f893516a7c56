"""Browser tests: a real valueroom server, Debian's chromium, one context per role."""
