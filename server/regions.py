"""Which country a device's time zone is in, and the data the pages use to show the
person's own emergency number.

The zone-to-country map comes from the tz database shipped in the `tzdata` package
(zone.tab names one country per zone; tzdata.zi's links add the older names, such as
Asia/Calcutta, that browsers still report). It is built once at start-up and sent to
the browser once, as a generated, cached module (`js/region-data.js`), together with
the emergency-number and urgent-service tables from content/screening.yaml: one place
for each constant, passed to the other side.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

CLIENT_MODULE = "js/region-data.js"


def _tz_file(name: str) -> str:
    return (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")


@cache
def zone_countries() -> dict[str, str]:
    """IANA zone name -> ISO 3166 country code, for every zone that has a country."""
    zones: dict[str, str] = {}
    for line in _tz_file("zone.tab").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, _coordinates, zone, *_comment = line.split("\t")
        zones[zone] = code
    # Links ("L Asia/Kolkata Asia/Calcutta"): an old name is in its target's country.
    # Only Area/City names: a bare legacy name (e.g. "Iceland", now a link to
    # Africa/Abidjan) may point at another country's zone, and browsers do not report
    # those. Etc/ zones (UTC and friends) have no country.
    for line in _tz_file("tzdata.zi").splitlines():
        if not line.startswith("L "):
            continue
        _, target, alias = line.split()
        if alias in zones or "/" not in alias or alias.startswith("Etc/"):
            continue
        if target in zones:
            zones[alias] = zones[target]
    return dict(sorted(zones.items()))


def compact_zones(zones: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """{area: {country: "City1 City2 Sub/City3"}}: the map in about two thirds of the
    bytes, because each area is written once and each country once per area (grouping
    by area first compresses best: brotli sees the same few areas' city lists).
    zonesFromCompact in screening-rules.js expands it again."""
    out: dict[str, dict[str, list[str]]] = {}
    for zone, country in sorted(zones.items()):
        area, _, city = zone.partition("/")
        out.setdefault(area, {}).setdefault(country, []).append(city)
    return {a: {c: " ".join(cities) for c, cities in sorted(countries.items())} for a, countries in sorted(out.items())}


def expand_zones(compact: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The inverse of compact_zones (the tests check the JS expansion against this)."""
    return {
        f"{area}/{city}": country
        for area, countries in compact.items()
        for country, cities in countries.items()
        for city in cities.split(" ")
    }


def client_data(screening: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "zones": compact_zones(zone_countries()),
        "emergency_numbers": dict(screening["emergency_numbers"]),
        "urgent_services": dict(screening.get("urgent_services") or {}),
    }


def client_module(screening: Mapping[str, Any]) -> str:
    data = json.dumps(client_data(screening), separators=(",", ":"), sort_keys=True)
    return (
        "// Generated at start-up by server/regions.py from the tz database and\n"
        "// content/screening.yaml. Do not edit.\n"
        f"export default {data};\n"
    )


def country_names() -> dict[str, str]:
    """ISO 3166 code -> English short name, from the tz database's iso3166.tab."""
    names: dict[str, str] = {}
    for line in _tz_file("iso3166.tab").splitlines():
        if line.strip() and not line.startswith("#"):
            code, name = line.split("\t", 1)
            names[code] = name.strip()
    return names
