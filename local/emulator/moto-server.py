"""moto's server, made atomic where AWS is.

moto's own server (`moto_server`, moto/server.py) runs every request on a thread of its own, and moto's DynamoDB
and SQS models read, decide and write without a lock: two conditional UpdateItems can both succeed, an UpdateItem
racing a PutItem can land on the replaced item and be lost, and two ReceiveMessages can both take one message.
AWS makes each of those atomic. This launcher builds the same WSGI application moto/server.py builds and runs it
the same way, with three changes:

- requests to DynamoDB, DynamoDB Streams, SQS, EventBridge and moto's own API (reset, config) run one at a time,
  under one lock, taken first come, first served;
- an SQS long poll (ReceiveMessage with WaitTimeSeconds > 0) gives the lock up while it waits for a message, and
  takes it again to look at the queue, so a 20 s poll holds up nobody;
- a message another service delivers to SQS in-process (an S3 notification, an SNS subscription) is added under
  the lock too.

EventBridge's rules deliver to SQS in-process, under the lock its request already holds.

Every other service (S3, EC2, IAM, Lambda, ...) stays concurrent.

It relies on moto's internals, so it starts only on the moto it was written against: the version below, and each
function it wraps or mirrors unchanged (a SHA-256 of its source). Otherwise it exits with status 3, naming what
changed. After upgrading moto, read the functions it names, adapt this file, then pin what it prints with
`--print-fingerprints`.

Usage: python moto-server.py [-H HOST] [-p PORT] [--switch-interval SECONDS] | --print-fingerprints
"""

import argparse
import collections
import hashlib
import inspect
import os
import signal
import sys
import threading
from contextlib import contextmanager

PINNED_MOTO_VERSION = "5.2.5"

# What this file relies on, and why. The value is the first 16 hex digits of the SHA-256 of the source.
PINNED_SOURCES = {
    # Mirrored below: how moto's server builds its application and serves it.
    "moto.server.main": "c9725ea408aa207a",
    # Used to find the application (and so the service) a request goes to.
    "moto.moto_server.werkzeug_app.DomainDispatcherApplication.get_application": "0ff6939685bde917",
    "moto.moto_server.werkzeug_app.DomainDispatcherApplication.__call__": "7b12179deceda48d",
    # Sets `service` on each application: the name the lock is chosen by.
    "moto.moto_server.werkzeug_app.create_backend_app": "a317751ebd1c922b",
    # The receive loop: looks at the queue, then waits in Queue.wait_for_messages, and looks again.
    "moto.sqs.models.SQSBackend.receive_message": "065f3e5e7d214408",
    # Wrapped: the long poll's only wait.
    "moto.sqs.models.Queue.wait_for_messages": "58432562ccf2e13e",
    # Wakes a waiting long poll when a message arrives.
    "moto.sqs.models.Queue.add_message": "f27c9231c1f20433",
    # Wrapped: how EventBridge, S3 and SNS put messages on a queue in-process.
    "moto.sqs.models.SQSBackend.send_message": "bf161af09a9e6b86",
}

# Backends whose requests run one at a time (the `service` of moto's per-backend application). EventBridge is
# among them for speed, not atomicity: a PutEvents delivers to every matching rule's queue in-process, and takes
# the lock once for the whole request instead of once per message behind every waiting request (a 10-event
# batch to two rules took 10 s on a loaded machine that way).
SERIALIZED_BACKENDS = frozenset({"dynamodb", "dynamodb_v20111205", "dynamodbstreams", "sqs", "events", "moto_api"})

EXIT_MOTO_CHANGED = 3


def resolve(dotted):
    """The object a dotted path names: a module attribute, or a class attribute (not bound)."""
    import importlib

    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            target = inspect.getattr_static(target, name) if inspect.isclass(target) else getattr(target, name)
        return target
    raise ImportError(dotted)


def fingerprint(dotted):
    return hashlib.sha256(inspect.getsource(resolve(dotted)).encode("utf-8")).hexdigest()[:16]


def check_moto():
    """What differs from the moto this launcher was written against; empty when nothing does."""
    import moto

    changes = []
    if moto.__version__ != PINNED_MOTO_VERSION:
        changes.append(f"moto is {moto.__version__}, not {PINNED_MOTO_VERSION}")
    for dotted, pinned in PINNED_SOURCES.items():
        try:
            found = fingerprint(dotted)
        except (ImportError, AttributeError, OSError, TypeError) as error:
            changes.append(f"{dotted} cannot be read ({error})")
            continue
        if found != pinned:
            changes.append(f"{dotted} changed (source SHA-256 {found}, pinned {pinned})")
    return changes


class RequestLock:
    """One lock for the serialized requests, taken in the order asked for, that the thread holding it can give up
    for a while and take back.

    First come, first served: a release hands the lock straight to the longest waiter. A plain threading.Lock
    lets the releasing thread, or any thread that happens to run, take it again first, and under load a waiter
    can lose that race for minutes: a 1,000-row soak saw the local pipe's requests wait while the workers' kept
    getting through. Re-entrant in the one way needed: code that already holds it (an SQS request sending a
    message) passes through `held()` without taking it twice.
    """

    def __init__(self):
        self._state = threading.Lock()
        self._busy = False
        self._waiters = collections.deque()
        self._local = threading.local()

    def _mine(self):
        return getattr(self._local, "held", False)

    def _acquire(self):
        with self._state:
            if not self._busy:
                self._busy = True
                return
            handed = threading.Lock()
            handed.acquire()
            self._waiters.append(handed)
        handed.acquire()  # released by the holder that hands the lock over: _busy stays True

    def _release(self):
        with self._state:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._busy = False

    @contextmanager
    def held(self):
        if self._mine():
            yield
            return
        self._acquire()
        self._local.held = True
        try:
            yield
        finally:
            self._local.held = False
            self._release()

    @contextmanager
    def given_up(self):
        if not self._mine():
            yield
            return
        self._local.held = False
        self._release()
        try:
            yield
        finally:
            self._acquire()
            self._local.held = True


def install(lock):
    """Wraps moto's long-poll wait and its in-process SQS delivery; returns the WSGI application to serve."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.sqs.models import Queue, SQSBackend

    wait_for_messages = Queue.wait_for_messages

    def wait_without_the_lock(self, timeout):
        # receive_message looks at the queue under the lock, then waits here, then looks again under it.
        with lock.given_up():
            wait_for_messages(self, timeout)

    Queue.wait_for_messages = wait_without_the_lock

    send_message = SQSBackend.send_message

    def send_message_under_the_lock(self, *args, **kwargs):
        with lock.held():
            return send_message(self, *args, **kwargs)

    SQSBackend.send_message = send_message_under_the_lock

    class AtomicDispatcher(DomainDispatcherApplication):
        def __call__(self, environ, start_response):
            backend_app = self.get_application(environ)
            if getattr(backend_app, "service", None) not in SERIALIZED_BACKENDS:
                return backend_app(environ, start_response)
            # moto builds the whole body before it returns: nothing of the request runs after the lock is let go.
            with lock.held():
                return backend_app(environ, start_response)

    return AtomicDispatcher(create_backend_app)


def main(argv=None):
    parser = argparse.ArgumentParser(description="moto's server, atomic for DynamoDB and SQS as AWS is.")
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)), help="port to bind")
    parser.add_argument(
        "--switch-interval",
        type=float,
        help="sys.setswitchinterval: a tiny one (1e-5) switches threads as often as a loaded machine does, for tests",
    )
    parser.add_argument("--print-fingerprints", action="store_true", help="print the current source fingerprints and exit")
    args = parser.parse_args(argv)

    if args.print_fingerprints:
        import moto

        print(f'PINNED_MOTO_VERSION = "{moto.__version__}"')
        for dotted in PINNED_SOURCES:
            print(f'    "{dotted}": "{fingerprint(dotted)}",')
        return 0

    changes = check_moto()
    if changes:
        sys.stderr.write(
            "moto-server: refusing to start: the moto internals this launcher relies on are not the ones it was written "
            "against (local/emulator/moto-server.py):\n" + "".join(f"  - {change}\n" for change in changes)
        )
        return EXIT_MOTO_CHANGED

    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)

    # As moto/server.py does: its backends read MOTO_PORT, and a signal ends the server cleanly.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    from werkzeug.serving import run_simple
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    application = install(RequestLock())
    application.debug = True
    run_simple(args.host, args.port, application, threaded=True, request_handler=MotoRequestHandler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
