"""Run by both pipelines (`python manage.py test`) against the PostGIS service."""
from decimal import Decimal
from io import StringIO

from django.contrib.gis.measure import D
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, TestCase

from .models import Tick
from .prices import HOME, PAIRS, price_for


def tick(pair='BTC/EUR'):
    out = StringIO()
    call_command('ticker', pair=pair, stdout=out)
    return out.getvalue()


class TickerCommandTests(TestCase):
    def test_prices_follow_a_fixed_series(self):
        for _ in range(3):
            tick()
        prices = list(Tick.objects.order_by('id').values_list('price', flat=True))
        self.assertEqual(prices, [Decimal('407.50'), Decimal('416.75'), Decimal('426.00')])
        self.assertEqual(prices, [price_for('BTC/EUR', n) for n in range(3)])

    def test_each_pair_has_its_own_series(self):
        self.assertIn('tick 1 of BTC/EUR: 407.5', tick('BTC/EUR'))
        self.assertIn('tick 1 of BTC/USD: 457.5', tick('BTC/USD'))
        self.assertIn('tick 2 of BTC/EUR: 416.75', tick('BTC/EUR'))

    def test_unknown_pair_is_refused(self):
        with self.assertRaisesMessage(CommandError, "unknown pair 'DOGE/EUR'"):
            tick('DOGE/EUR')
        self.assertEqual(Tick.objects.count(), 0)

    def test_location_is_a_postgis_point(self):
        tick('BTC/EUR')
        stored = Tick.objects.get()
        self.assertEqual(stored.location.srid, 4326)
        self.assertAlmostEqual(stored.location.x, PAIRS['BTC/EUR'][0].x)
        # Frankfurt is about 640 km from London: a spatial query PostGIS answers.
        self.assertEqual(Tick.objects.filter(location__distance_lte=(HOME, D(km=700))).count(), 1)
        self.assertEqual(Tick.objects.filter(location__distance_lte=(HOME, D(km=600))).count(), 0)


class TickPageTests(TestCase):
    def test_empty(self):
        response = self.client.get('/')
        self.assertContains(response, 'No ticks yet')
        self.assertContains(response, '0 ticks recorded')

    def test_lists_ticks_newest_first_with_distance(self):
        tick('BTC/GBP')
        tick('BTC/USD')
        response = self.client.get('/')
        self.assertContains(response, '2 ticks recorded')
        html = response.content.decode()
        self.assertLess(html.index('BTC/USD'), html.index('BTC/GBP'))
        self.assertIn('457.50', html)
        self.assertIn('0 km away', html)  # London to London
        self.assertIn('5570 km away', html)  # London to New York

    def test_links_the_stylesheets(self):
        response = self.client.get('/')
        self.assertContains(response, '/static/ticker/ticker.css')
        self.assertContains(response, '/static/nexchange-theme/theme.css')


class StaticFilesTests(SimpleTestCase):
    def test_app_css_is_found(self):
        self.assertIsNotNone(finders.find('ticker/ticker.css'))

    def test_front_end_package_is_installed(self):
        # static/node_modules, filled by the npm-install step (bower's job in 2016)
        self.assertIsNotNone(finders.find('nexchange-theme/theme.css'))
