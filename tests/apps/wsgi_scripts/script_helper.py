# Imported by site.wsgi, beside it: found because --wsgi-file puts the
# script's directory on sys.path.
NAME = "helper beside the script"
