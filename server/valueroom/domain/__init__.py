"""The negotiation core: events, the fold, decisions, visibility, money and the split.

Nothing in this package awaits, reads a clock or touches the network; the
server is a thin shell around it.
"""
