"""A program with a thread of its own: threads.py SOCKET.

The thread runs (the GIL is free while the master waits) and does not
block the master's signals, so a TERM sent to the process may be delivered
to it; shoal forwards it to the master. After run() returns, Python's
SIGINT handler is back: a SIGINT raises KeyboardInterrupt. Prints one line
per fact, then exits 0."""
import os
import signal
import sys
import threading
import time

import shoal
from wsgi_app import application

ticks = 0
done = threading.Event()


def tick():
    global ticks
    while not done.is_set():
        ticks += 1
        time.sleep(0.01)


thread = threading.Thread(target=tick, daemon=True)
thread.start()
before = ticks
reloaded = shoal.serve(application, bind='unix:' + sys.argv[1], protocol='scgi', workers=1)
print(f'run returned {reloaded}', flush=True)
print(f'thread ticked {ticks - before} times', flush=True)
done.set()
thread.join()
print(f'sigint handler restored: {signal.getsignal(signal.SIGINT) is signal.default_int_handler}',
      flush=True)
try:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(1)
    print('no KeyboardInterrupt', flush=True)
except KeyboardInterrupt:
    print('KeyboardInterrupt after run()', flush=True)
