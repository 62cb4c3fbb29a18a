"""Channel rules (priority, operators, Unassigned) and GA4's default channel grouping."""

from __future__ import annotations

import pytest

from ingestion.mapping import DEFAULT_RULES
from ingestion.mapping import ChannelRule
from ingestion.mapping import ChannelRules
from ingestion.mapping import ga4_channel_group
from ingestion.mapping import ga4_platform_touchpoint
from ingestion.mapping import touchpoint_raw


@pytest.mark.parametrize(
    ("source", "fields", "touchpoint"),
    [
        ("shopify", {"source_name": "web"}, "web"),
        ("shopify", {"source_name": "iphone"}, "mobile_app"),
        ("shopify", {"source_name": "android"}, "mobile_app"),
        ("shopify", {"source_name": "mobile_app"}, "mobile_app"),
        ("shopify", {"source_name": "ebay"}, "marketplace"),
        ("shopify", {"source_name": "Web"}, "unassigned"),  # equals is exact
        ("shopify", {}, "unassigned"),
        ("square", {"source_name": "Square Point of Sale"}, "physical_store"),
        ("square", {"source_name": ""}, "unassigned"),  # any = present and non-empty
        ("sap", {"DistributionChannel": "12"}, "b2b_portal"),
        ("sap", {"DistributionChannel": "20"}, "unassigned"),
        ("salesforce", {"LeadSource": "Phone Inquiry", "StageName": "Closed Won"}, "call_center"),
        ("salesforce", {"LeadSource": "Web", "StageName": "Closed Won"}, "sales_rep"),
        ("shopify", {"DistributionChannel": "10"}, "unassigned"),  # rule is for sap only
        ("unknown-source", {"source_name": "web"}, "unassigned"),
    ],
)
def test_default_rules(source, fields, touchpoint):
    assert DEFAULT_RULES.match(source, fields) == touchpoint


def test_default_rules_are_the_taxonomy_table():
    rows = [
        (r.priority, r.source_system, r.field, r.operator, r.value, r.touchpoint_code)
        for r in DEFAULT_RULES.rules
    ]
    assert rows == [
        (10, "shopify", "source_name", "equals", "web", "web"),
        (20, "shopify", "source_name", "in", "iphone,android,mobile_app", "mobile_app"),
        (30, "shopify", "source_name", "in", "amazon,ebay", "marketplace"),
        (40, "square", "source_name", "any", "", "physical_store"),
        (50, "sap", "DistributionChannel", "in", "10,12", "b2b_portal"),
        (60, "salesforce", "LeadSource", "equals", "Phone Inquiry", "call_center"),
        (70, "salesforce", "StageName", "equals", "Closed Won", "sales_rep"),
    ]
    assert DEFAULT_RULES.version == 1


def test_lowest_priority_wins_whatever_the_input_order():
    rules = ChannelRules(
        [
            ChannelRule(50, None, "utm_source", "prefix", "goo", "web"),
            ChannelRule(5, None, "utm_source", "regex", r"google(\.[a-z]+)+", "marketplace"),
            ChannelRule(1, None, "utm_source", "equals", "google.com", "call_center", active=False),
        ],
        version=3,
    )
    # The inactive rule 1 is skipped; rule 5 beats rule 50.
    assert rules.match("any", {"utm_source": "google.com"}) == "marketplace"
    # regex is a full match: "google" alone fails rule 5, falls to the prefix rule.
    assert rules.match("any", {"utm_source": "google"}) == "web"
    assert rules.match("any", {"utm_source": "bing"}) == "unassigned"
    assert rules.version == 3


def test_in_operator_trims_list_items():
    rule = ChannelRule(1, "sap", "DistributionChannel", "in", "10, 12 ,14", "b2b_portal")
    assert [rule.matches("sap", {"DistributionChannel": v}) for v in ("10", "12", "14", "1")] == [
        True,
        True,
        True,
        False,
    ]


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="operator 'contains'"):
        ChannelRule(1, None, "f", "contains", "x", "web")
    with pytest.raises(ValueError, match="bad regex"):
        ChannelRule(1, None, "f", "regex", "(unclosed", "web")


def test_touchpoint_raw_sorts_fields():
    assert touchpoint_raw({"StageName": "Closed Won", "LeadSource": "Phone Inquiry"}) == (
        "LeadSource=Phone Inquiry;StageName=Closed Won"
    )
    assert touchpoint_raw({"source_name": "iphone"}) == "source_name=iphone"
    assert touchpoint_raw({}) == ""


@pytest.mark.parametrize(
    ("source", "medium", "campaign", "group"),
    [
        ("(direct)", "(none)", "(not set)", "Direct"),
        ("(direct)", "(not set)", "", "Direct"),
        ("google", "cpc", "brand", "Paid Search"),
        ("bing", "ppc", "", "Paid Search"),
        ("google", "organic", "", "Organic Search"),
        ("duckduckgo", "referral", "", "Organic Search"),
        ("facebook", "paid_social", "", "Paid Social"),
        ("l.instagram.com", "referral", "", "Organic Social"),
        ("newsletter", "social", "", "Organic Social"),
        ("partner.example.com", "referral", "", "Referral"),
        ("newsletter", "email", "june", "Email"),
        ("e-mail", "whatever", "", "Email"),
        ("awin", "affiliate", "", "Affiliates"),
        ("dv360", "display", "", "Display"),
        ("adserver", "cpm", "", "Display"),  # Display is checked before Paid Other
        ("adserver", "paid", "", "Paid Other"),
        ("youtube.com", "cpv", "", "Paid Video"),
        ("google", "cpc", "summer-shopping", "Paid Shopping"),
        ("google", "cpc", "pmax cross-network", "Cross-network"),
        ("youtube.com", "referral", "", "Organic Video"),
        ("sms", "sms", "", "SMS"),
        ("somewhere", "(none)", "", "Unassigned"),
    ],
)
def test_ga4_channel_groups(source, medium, campaign, group):
    assert ga4_channel_group(source, medium, campaign) == group


def test_ga4_platforms():
    assert [ga4_platform_touchpoint(p) for p in ("web", "iOS", "Android", "(not set)")] == [
        "web",
        "mobile_app",
        "mobile_app",
        "unassigned",
    ]
