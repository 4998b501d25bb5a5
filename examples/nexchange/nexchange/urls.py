from django.urls import path

from ticker.views import tick_list

urlpatterns = [
    path('', tick_list, name='tick-list'),
]
