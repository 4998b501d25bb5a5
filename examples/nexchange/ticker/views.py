from django.contrib.gis.db.models.functions import Distance
from django.shortcuts import render

from .models import Tick
from .prices import HOME


def tick_list(request):
    """The latest ticks, each with its distance from HOME computed by PostGIS."""
    ticks = Tick.objects.annotate(distance=Distance('location', HOME))[:50]
    return render(request, 'ticker/tick_list.html', {'ticks': ticks, 'count': Tick.objects.count()})
