"""Price elasticity per channel and category, and the margin-maximising price under a volume
floor."""
