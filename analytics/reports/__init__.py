"""The weekly executive summary: data, HTML email, PDF, sending and its schedule."""
