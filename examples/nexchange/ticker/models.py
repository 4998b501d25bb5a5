from django.contrib.gis.db import models
from django.utils import timezone


class Tick(models.Model):
    """One price quote of a currency pair, with where it was quoted."""

    pair = models.CharField(max_length=7, db_index=True)
    price = models.DecimalField(max_digits=18, decimal_places=8)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    location = models.PointField(srid=4326)

    class Meta:
        ordering = ['-at', '-id']

    def __str__(self):
        return f'{self.pair} {self.price} at {self.at:%Y-%m-%d %H:%M:%S}'
