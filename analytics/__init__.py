"""Domain logic over rollups: metrics, comparisons, variance, trends, alerts. No Dash here."""
