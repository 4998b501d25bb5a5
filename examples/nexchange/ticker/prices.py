"""The price feed, made deterministic: no exchange is called, so the same history gives the same
next price everywhere (tests, dev, production)."""
from decimal import Decimal

from django.contrib.gis.geos import Point

# Where each pair is "quoted" (longitude, latitude; WGS 84), and the price the series starts from.
PAIRS = {
    'BTC/EUR': (Point(8.6821, 50.1109, srid=4326), Decimal('420.00')),  # Frankfurt
    'BTC/GBP': (Point(-0.1276, 51.5072, srid=4326), Decimal('330.00')),  # London
    'BTC/USD': (Point(-74.0060, 40.7128, srid=4326), Decimal('470.00')),  # New York
}
DEFAULT_PAIR = 'BTC/EUR'
# The page shows how far each quote is from here.
HOME = Point(-0.1276, 51.5072, srid=4326)


def price_for(pair, n):
    """The price of the (n+1)-th tick of `pair`: its base price plus a step in [-12.50, +12.75]."""
    _, base = PAIRS[pair]
    return base + Decimal((n * 37) % 102 - 50) / 4
