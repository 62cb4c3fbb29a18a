"""The currencies amounts may be in: the settings' base currency and every order's."""

from __future__ import annotations

# Active ISO 4217 currency codes (list one, 2025) by number of minor-unit digits.
# Precious metals, testing and "no currency" codes (XAU, XTS, XXX, ...) are left out.
_ISO_4217_BY_DIGITS = {
    2: """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD
          BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP
          ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR
          JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU
          MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR
          RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS
          TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG""",
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}
ISO_4217_MINOR_UNITS: dict[str, int] = {
    code: digits for digits, codes in _ISO_4217_BY_DIGITS.items() for code in codes.split()
}
ISO_4217_CODES = frozenset(ISO_4217_MINOR_UNITS)
