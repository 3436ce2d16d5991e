"""Seed 002's inetd script with its import changed (`import inetd_scgi;
inetd_scgi.run_app(application)`): one connection on stdin."""
import shoal.inetd
from wsgi_app import application

shoal.inetd.run_app(application)
