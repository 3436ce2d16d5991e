"""The contenders of bench/throughput.py and their front ends: renders one
nginx config (worker_processes 1, a port per backend, unix sockets to
FastCGI, SCGI and uwsgi-protocol backends) and one Apache config (event
MPM, a virtual host per backend: AJP to shoal, HTTP to gunicorn), starts
the backends, then the front ends, and waits until each accepts.

Not run by itself; imported by bench/throughput.py.
"""
import os

from throughput_procs import free_port, wait_accepting

# name: (front end, wire protocol, serves only /hello)
CONTENDERS = {
    "shoal-fastcgi": ("nginx", "fastcgi", False),
    # The same core from a Python script (`import shoal`, the seed's script
    # on shoal.server.fcgi_fork, bench/package_fcgi_fork.py): within a few
    # per cent of the daemon, or the package is a slower path.
    "package-fastcgi": ("nginx", "fastcgi", False),
    "uwsgi-fastcgi": ("nginx", "fastcgi", False),
    "c-fastcgi": ("nginx", "fastcgi", True),
    "shoal-scgi": ("nginx", "scgi", False),
    "uwsgi-scgi": ("nginx", "scgi", False),
    # uWSGI as its users run it: nginx's uwsgi_pass with the stock
    # uwsgi_params, over its own uwsgi protocol (--socket). A peer in both
    # the FastCGI and the SCGI cases, so each shoal is measured against it in
    # the same interleaved rounds.
    "uwsgi-uwsgi": ("nginx", "uwsgi", False),
    "shoal-ajp": ("apache", "ajp", False),
    # The same shoal behind a ProxyPass without ping=: what the CPING round
    # trip before each request costs.
    "shoal-ajp-noping": ("apache", "ajp", True),
    "gunicorn-http": ("apache", "http", False),
}

APP = "bench_app:app"
APACHE_MODULES = "/usr/lib/apache2/modules"

# The same for every nginx backend: 1 MiB bodies stay in memory both ways
# (warnings about temporary files would show in the error log, which
# bench/throughput.py checks), clients keep their connections.
NGINX_HTTP = """
    access_log off;
    client_body_temp_path {run}/nginx/client_body; fastcgi_temp_path {run}/nginx/fastcgi;
    proxy_temp_path {run}/nginx/proxy; scgi_temp_path {run}/nginx/scgi;
    uwsgi_temp_path {run}/nginx/uwsgi;
    keepalive_requests 1000000;
    client_max_body_size 2m;
    client_body_buffer_size 2m;
    fastcgi_buffer_size 64k; fastcgi_buffers 32 64k;
    scgi_buffer_size 64k; scgi_buffers 32 64k;
    uwsgi_buffer_size 64k; uwsgi_buffers 32 64k;
"""


def backend_argv(name, run, shoal, c_responder, workers, port, ajp_packet):
    """The command line of one backend; (argv, the address it listens on)."""
    sock = os.path.join(run, name + ".sock")
    if name.startswith("shoal-"):
        protocol = CONTENDERS[name][1]
        bind = "127.0.0.1:%d" % port if protocol == "ajp" else "unix:" + sock
        argv = [shoal, "--app", APP, "--chdir", "bench", "--bind", bind,
                "--protocol", protocol, "--workers", str(workers),
                "--socket-mode", "0666", "--graceful-timeout", "2"]
        if protocol == "ajp":
            argv += ["--ajp-packet-size", str(ajp_packet)]
            return argv, ("127.0.0.1", port)
        return argv, sock
    if name == "package-fastcgi":
        # build-bench/shoal's build tree has the package in python/.
        python_path = os.path.join(os.path.dirname(os.path.abspath(shoal)), "python")
        return ["/usr/bin/env", "PYTHONPATH=" + python_path, "/usr/bin/python3",
                "bench/package_fcgi_fork.py", sock, str(workers)], sock
    if name.startswith("uwsgi-"):
        # --socket: uWSGI's own protocol, its default (what uwsgi_pass speaks).
        protocol = CONTENDERS[name][1]
        option = "--socket" if protocol == "uwsgi" else "--%s-socket" % protocol
        return ["uwsgi", "--plugin", "python3", "--master", "--processes", str(workers),
                "--disable-logging", "--die-on-term", "--need-app", option, sock,
                "--chmod-socket=666", "--chdir", "bench", "--module", APP], sock
    if name == "c-fastcgi":
        return [c_responder, sock, str(workers)], sock
    if name == "gunicorn-http":
        argv = ["gunicorn", "--workers", str(workers), "--worker-class", "sync",
                "--bind", "127.0.0.1:%d" % port, "--chdir", "bench",
                "--graceful-timeout", "2"]
        if os.path.isdir("/dev/shm"):  # gunicorn's advice: heartbeat off disk
            argv += ["--worker-tmp-dir", "/dev/shm"]
        return argv + [APP], ("127.0.0.1", port)
    raise ValueError(name)


def nginx_params(run):
    """nginx's stock params, but PATH_INFO set and SCRIPT_NAME empty: uWSGI
    needs PATH_INFO (shoal derives it), and all get the same bytes. uwsgi_pass
    gets the stock uwsgi_params as they are (they set PATH_INFO already, and
    that file is what uWSGI's users include)."""
    paths = {"uwsgi": "/etc/nginx/uwsgi_params"}
    for protocol in ("fastcgi", "scgi"):
        with open("/etc/nginx/%s_params" % protocol) as f:
            lines = [line for line in f if "SCRIPT_NAME" not in line]
        lines += ['%s_param SCRIPT_NAME "";\n' % protocol,
                  "%s_param PATH_INFO $document_uri;\n" % protocol]
        paths[protocol] = os.path.join(run, "nginx", protocol + "_params")
        with open(paths[protocol], "w") as f:
            f.writelines(lines)
    return paths


def nginx_config(run, ports):
    """ports: {backend name: nginx port}."""
    params = nginx_params(run)
    servers = []
    for name, port in ports.items():
        protocol = CONTENDERS[name][1]
        servers.append(
            "    server { listen 127.0.0.1:%d; location / { include %s; %s_pass unix:%s; } }"
            % (port, params[protocol], protocol, os.path.join(run, name + ".sock")))
    head = [
        "user root;" if os.geteuid() == 0 else "",  # to reach sockets in a 0700 dir
        "worker_processes 1;",
        "pid %s/nginx/nginx.pid;" % run,
        "error_log %s/nginx/error.log warn;" % run,
        "events { worker_connections 1024; }",
        "http {",
    ]
    return "\n".join(head) + NGINX_HTTP.format(run=run) + "\n".join(servers) + "\n}\n"


def apache_config(run, ports, targets, ajp_packet, ajp_ping):
    """ports: {backend name: Apache port}; targets: {backend name: its port}."""
    prefix = os.path.join(run, "apache")
    lines = [
        'ServerRoot "%s"' % prefix, 'DefaultRuntimeDir "%s"' % prefix,
        'PidFile "%s/apache.pid"' % prefix, 'ErrorLog "%s/error.log"' % prefix,
        "LogLevel warn", "ServerName 127.0.0.1",
    ]
    for module in ("mpm_event", "authz_core", "proxy", "proxy_ajp", "proxy_http"):
        lines.append("LoadModule %s_module %s/mod_%s.so" % (module, APACHE_MODULES, module))
    lines += [
        # One process, threads enough for wrk's 8 connections; no access log
        # (nginx has none either); clients keep their connections.
        "StartServers 1", "ServerLimit 1", "ThreadsPerChild 16", "MaxRequestWorkers 16",
        "MinSpareThreads 1", "MaxSpareThreads 16",
        "KeepAlive On", "MaxKeepAliveRequests 0", "KeepAliveTimeout 30",
        "LimitRequestBody 2097152", "GracefulShutdownTimeout 2",
        "<IfDefine AS_ROOT>", "    User www-data", "    Group www-data", "</IfDefine>",
        "ProxyRequests Off", "ProxyIOBufferSize %d" % ajp_packet,
    ]
    for name, port in ports.items():
        lines.append("Listen 127.0.0.1:%d" % port)
    for name, port in ports.items():
        if CONTENDERS[name][1] == "ajp":
            # As conf/apache-ajp.conf: a CPING before each request (ping=2).
            ping = ajp_ping and name == "shoal-ajp"
            target = 'ajp://127.0.0.1:%d/"%s' % (targets[name], " ping=2" if ping else "")
        else:
            target = 'http://127.0.0.1:%d/"' % targets[name]
        lines += ["<VirtualHost 127.0.0.1:%d>" % port, '    ProxyPass "/" "%s' % target,
                  "</VirtualHost>"]
    return "\n".join(lines) + "\n"


def start(names, run, procs, shoal, c_responder, workers, ajp_packet, ajp_ping):
    """Starts the backends in `names` and their front ends. Returns
    ({name: {"url", "pid", "front"}}, {front: pid})."""
    os.makedirs(os.path.join(run, "nginx"), exist_ok=True)
    os.makedirs(os.path.join(run, "apache"), exist_ok=True)
    contenders, backend_ports, front_ports = {}, {}, {"nginx": {}, "apache": {}}
    for name in names:
        front = CONTENDERS[name][0]
        backend_ports[name] = free_port()
        argv, address = backend_argv(name, run, shoal, c_responder, workers,
                                     backend_ports[name], ajp_packet)
        process = procs.start(name, argv)
        wait_accepting(address, process, name, procs)
        port = free_port()
        front_ports[front][name] = port
        contenders[name] = {"url": "http://127.0.0.1:%d" % port, "pid": process.pid,
                            "front": front, "argv": argv}
    fronts = {}
    if front_ports["nginx"]:
        path = os.path.join(run, "nginx", "nginx.conf")
        with open(path, "w") as f:
            f.write(nginx_config(run, front_ports["nginx"]))
        process = procs.start("nginx", ["nginx", "-p", os.path.join(run, "nginx"), "-c", path,
                                        "-e", os.path.join(run, "nginx", "error.log"),
                                        "-g", "daemon off;"])
        fronts["nginx"] = process
    if front_ports["apache"]:
        path = os.path.join(run, "apache", "apache.conf")
        with open(path, "w") as f:
            f.write(apache_config(run, front_ports["apache"], backend_ports, ajp_packet, ajp_ping))
        argv = ["apache2", "-f", path, "-DFOREGROUND"]
        if os.geteuid() == 0:
            argv.append("-DAS_ROOT")
        fronts["apache"] = procs.start("apache", argv)
    for front, process in fronts.items():
        for port in front_ports[front].values():
            wait_accepting(("127.0.0.1", port), process, front, procs)
    return contenders, {front: process.pid for front, process in fronts.items()}
