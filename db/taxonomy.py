"""The default channel taxonomy that migration 0002 seeds: categories and their touchpoints.

The tables are the truth once admins edit them; this is the starting set, for code that
needs it without a database (the demo data set, reference computations).
"""

CHANNEL_CATEGORIES = ["ecommerce", "physical_retail", "wholesale", "direct_sales"]

CATEGORY_OF_TOUCHPOINT = {
    "web": "ecommerce",
    "mobile_app": "ecommerce",
    "marketplace": "ecommerce",
    "physical_store": "physical_retail",
    "b2b_portal": "wholesale",
    "sales_rep": "direct_sales",
    "call_center": "direct_sales",
    "unassigned": "unassigned",
}
