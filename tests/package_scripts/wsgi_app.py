"""The seed scripts' `from wsgi_app import application`: tests/apps/probe's
validated app (see its routes there)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'apps'))

from probe import app as application  # noqa: E402
