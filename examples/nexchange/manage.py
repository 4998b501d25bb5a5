#!/usr/bin/env python
"""Django's command-line utility for the nexchange example."""
import os
import sys

if __name__ == '__main__':
    # The pipelines export DJANGO_SETTINGS_MODULE (settings_dev or settings_prod); dev is the default.
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'nexchange.settings_dev')
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
