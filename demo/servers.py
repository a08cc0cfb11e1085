"""Start one of the seed's Python web servers on 127.0.0.1:PORT with the demo application.

    /usr/bin/python3 demo/servers.py NAME PORT

NAME is one of: wsgiref, flask, django, tornado-async, tornado-wsgi, waitress. Each runs the way the
seed ran it: the server's own entry point, in the foreground, with its defaults (Django's runserver
keeps its autoreloader; Flask's builtin server is app.run()). Gunicorn, uWSGI and Apache are started
by the driver with their own command lines. Nothing here handles signals: what a server does with
SIGTERM is the server's own behaviour, which is part of what the demo measures.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import app  # noqa: E402  (the seed's application)

HOST = "127.0.0.1"


def run_wsgiref(port):
    from wsgiref.simple_server import make_server, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    make_server(HOST, port, app.application, handler_class=Quiet).serve_forever()


def run_flask(port):
    import flask
    web = flask.Flask("demo")

    @web.route("/")
    def index():
        app.make_orphan()
        return app.BODY, 200, {"Content-Type": "text/plain"}

    web.run(host=HOST, port=port)


def run_django(port):
    from django.conf import settings
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        SECRET_KEY="reap-demo-only",
        ROOT_URLCONF=__name__,
        WSGI_APPLICATION="app.application",
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        DATABASES={},
    )
    from django.core.management import execute_from_command_line
    # The autoreloader re-executes sys.argv; keep it pointing back here.
    execute_from_command_line([sys.argv[0], "runserver", "%s:%d" % (HOST, port)])


urlpatterns = []  # Django's ROOT_URLCONF (unused: WSGI_APPLICATION is the seed's app)


def run_tornado_async(port):
    import tornado.ioloop
    import tornado.web

    class Hello(tornado.web.RequestHandler):
        def get(self):
            app.make_orphan()
            self.set_header("Content-Type", "text/plain")
            self.write(app.BODY)

    tornado.web.Application([(r"/", Hello)]).listen(port, address=HOST)
    tornado.ioloop.IOLoop.current().start()


def run_tornado_wsgi(port):
    import tornado.httpserver
    import tornado.ioloop
    import tornado.wsgi

    server = tornado.httpserver.HTTPServer(tornado.wsgi.WSGIContainer(app.application))
    server.listen(port, address=HOST)
    tornado.ioloop.IOLoop.current().start()


def run_waitress(port):
    import waitress
    waitress.serve(app.application, host=HOST, port=port, _quiet=True)


SERVERS = {
    "wsgiref": run_wsgiref,
    "flask": run_flask,
    "django": run_django,
    "tornado-async": run_tornado_async,
    "tornado-wsgi": run_tornado_wsgi,
    "waitress": run_waitress,
}


def main(argv):
    if len(argv) != 3 or argv[1] not in SERVERS:
        sys.stderr.write("usage: servers.py {%s} PORT\n" % ",".join(sorted(SERVERS)))
        return 2
    sys.stdout.write("servers.py: %s on %s:%s (pid %d)\n" % (argv[1], HOST, argv[2], os.getpid()))
    sys.stdout.flush()
    SERVERS[argv[1]](int(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
