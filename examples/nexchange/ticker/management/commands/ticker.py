"""`python manage.py ticker`: record one price tick. Their cron ran it every minute."""
from django.core.management.base import BaseCommand, CommandError

from ticker.models import Tick
from ticker.prices import DEFAULT_PAIR, PAIRS, price_for


class Command(BaseCommand):
    help = 'Record one price tick of a currency pair (deterministic: no network).'

    def add_arguments(self, parser):
        parser.add_argument('--pair', default=DEFAULT_PAIR, help=f'one of {", ".join(PAIRS)} (default {DEFAULT_PAIR})')

    def handle(self, *args, pair, **options):
        if pair not in PAIRS:
            raise CommandError(f'unknown pair {pair!r}; known: {", ".join(PAIRS)}')
        n = Tick.objects.filter(pair=pair).count()
        tick = Tick.objects.create(pair=pair, price=price_for(pair, n), location=PAIRS[pair][0])
        self.stdout.write(self.style.SUCCESS(f'tick {n + 1} of {pair}: {tick.price}'))
