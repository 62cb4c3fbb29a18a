"""Spend-response curves per channel, the budget optimiser and versioned budget plans."""
