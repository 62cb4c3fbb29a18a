"""Channel rules (raw touchpoint fields → touchpoint code) and GA4's default channel grouping."""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

UNASSIGNED = "unassigned"
OPERATORS = frozenset({"equals", "in", "prefix", "regex", "any"})


def touchpoint_raw(fields: Mapping[str, str]) -> str:
    """The raw touchpoint fields as ``field=value;field=value``, sorted by field name."""
    return ";".join(f"{name}={fields[name]}" for name in sorted(fields))


@dataclass(frozen=True)
class ChannelRule:
    """One row of the channel rule table; ``source_system`` None applies to every source."""

    priority: int
    source_system: str | None
    field: str
    operator: str
    value: str
    touchpoint_code: str
    active: bool = True
    _pattern: re.Pattern | None = field(default=None, init=False, repr=False, compare=False)
    _choices: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise ValueError(
                f"rule {self.priority}: operator {self.operator!r} is not in {sorted(OPERATORS)}"
            )
        if self.operator == "regex":
            try:
                object.__setattr__(self, "_pattern", re.compile(self.value))
            except (re.error, OverflowError) as exc:  # a repeat count over the engine's limit
                raise ValueError(f"bad regex {self.value!r}: {exc}") from None
        if self.operator == "in":
            choices = frozenset(v.strip() for v in self.value.split(","))
            object.__setattr__(self, "_choices", choices)

    def matches(self, source_system: str, fields: Mapping[str, str]) -> bool:
        if not self.active:
            return False
        if self.source_system is not None and self.source_system != source_system:
            return False
        found = fields.get(self.field)
        if found is None:
            return False
        if self.operator == "equals":
            return found == self.value
        if self.operator == "in":
            return found in self._choices
        if self.operator == "prefix":
            return found.startswith(self.value)
        if self.operator == "regex":
            return self._pattern.fullmatch(found) is not None
        return found != ""


class ChannelRules:
    """A versioned rule set: the first active rule by ascending priority that matches wins."""

    def __init__(self, rules: Iterable[ChannelRule], version: int) -> None:
        self.rules = tuple(sorted(rules, key=lambda r: r.priority))
        self.version = version

    def match(self, source_system: str, fields: Mapping[str, str]) -> str:
        for rule in self.rules:
            if rule.matches(source_system, fields):
                return rule.touchpoint_code
        return UNASSIGNED

    def __repr__(self) -> str:
        return f"ChannelRules(version={self.version}, rules={len(self.rules)})"


DEFAULT_RULES = ChannelRules(
    [
        ChannelRule(10, "shopify", "source_name", "equals", "web", "web"),
        ChannelRule(20, "shopify", "source_name", "in", "iphone,android,mobile_app", "mobile_app"),
        ChannelRule(30, "shopify", "source_name", "in", "amazon,ebay", "marketplace"),
        ChannelRule(40, "square", "source_name", "any", "", "physical_store"),
        ChannelRule(50, "sap", "DistributionChannel", "in", "10,12", "b2b_portal"),
        ChannelRule(60, "salesforce", "LeadSource", "equals", "Phone Inquiry", "call_center"),
        ChannelRule(70, "salesforce", "StageName", "equals", "Closed Won", "sales_rep"),
    ],
    version=1,
)


# --- GA4 ------------------------------------------------------------------------------

GA4_PLATFORM_TOUCHPOINTS = {"web": "web", "ios": "mobile_app", "android": "mobile_app"}


def ga4_platform_touchpoint(platform: str) -> str:
    """GA4's ``platform`` dimension (web / iOS / Android) as a touchpoint code."""
    return GA4_PLATFORM_TOUCHPOINTS.get(platform.strip().lower(), UNASSIGNED)


# Source categories in the style of GA4's published lists (abridged to the common sites).
_SEARCH = re.compile(
    r"(.*\.)?(google|bing|yahoo|baidu|duckduckgo|yandex|ecosia|naver|seznam|ask|aol|qwant"
    r"|startpage|search\.brave)(\..*)?|.*search.*"
)
_SOCIAL = re.compile(
    r"(.*\.)?(facebook|fb|instagram|ig|linkedin|lnkd|twitter|t\.co|x|pinterest|reddit|tiktok"
    r"|snapchat|threads|tumblr|vk|weibo|whatsapp|messenger|quora|mastodon|discord)(\..*)?"
)
_VIDEO = re.compile(r"(.*\.)?(youtube|youtu\.be|vimeo|twitch|dailymotion|wistia)(\..*)?")
_SHOPPING = re.compile(r"(.*\.)?(amazon|ebay|etsy|shopify|walmart|alibaba|aliexpress)(\..*)?")
_SHOPPING_CAMPAIGN = re.compile(r".*(([^a-df-z]|^)shop|shopping).*")
_PAID_MEDIUM = re.compile(r".*cp.*|ppc|retargeting|paid.*")
_EMAIL = frozenset({"email", "e-mail", "e_mail", "e mail"})
_SOCIAL_MEDIUM = frozenset(
    {"social", "social-network", "social-media", "sm", "social network", "social media"}
)
_DISPLAY_MEDIUM = frozenset({"display", "banner", "expandable", "interstitial", "cpm"})


def ga4_channel_group(source: str, medium: str, campaign: str = "") -> str:
    """GA4's default channel group for a session's source / medium / campaign.

    The rules are GA4's, in GA4's order; the first that holds names the group.
    """
    source, medium, campaign = (v.strip().lower() for v in (source, medium, campaign))
    search, social = bool(_SEARCH.fullmatch(source)), bool(_SOCIAL.fullmatch(source))
    video, shopping = bool(_VIDEO.fullmatch(source)), bool(_SHOPPING.fullmatch(source))
    shopping_campaign = bool(_SHOPPING_CAMPAIGN.fullmatch(campaign))
    paid = bool(_PAID_MEDIUM.fullmatch(medium))
    rules = (
        ("Direct", source == "(direct)" and medium in ("(not set)", "(none)", "")),
        ("Cross-network", "cross-network" in campaign),
        ("Paid Shopping", (shopping or shopping_campaign) and paid),
        ("Paid Search", search and paid),
        ("Paid Social", social and paid),
        ("Paid Video", video and paid),
        ("Display", medium in _DISPLAY_MEDIUM),
        ("Paid Other", paid),
        ("Organic Shopping", shopping or shopping_campaign),
        ("Organic Social", social or medium in _SOCIAL_MEDIUM),
        ("Organic Video", video or "video" in medium),
        ("Organic Search", search or medium == "organic"),
        ("Referral", medium in ("referral", "app", "link")),
        ("Email", source in _EMAIL or medium in _EMAIL),
        ("Affiliates", medium == "affiliate"),
        ("Audio", medium == "audio"),
        ("SMS", source == "sms" or medium == "sms"),
        (
            "Mobile Push Notifications",
            medium.endswith("push") or "mobile" in medium or "notification" in medium,
        ),
    )
    return next((group for group, holds in rules if holds), "Unassigned")
