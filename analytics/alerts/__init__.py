"""Alerts: rules over metric series, episodes, notifications and the root-cause workflow."""
