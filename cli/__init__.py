"""The `channelperf` command's modules for the prescriptive analytics: attribution, elasticity
and budget. Each module holds one command; ``dashapp.cli`` registers them."""
