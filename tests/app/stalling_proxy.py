"""A TCP proxy to the real database that can stop passing bytes, as a paused server does.

While it stalls, every connection stays open and nothing comes back: queries on established
connections get no answer, and new connections are accepted but never greeted. That is what a
paused container, frozen storage or a network partition looks like to the app, and what a
closed port (connection refused at once) does not show.
"""

import socket
import threading


class StallingProxy:
    def __init__(self, host, port):
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stall(self):
        self.flowing.clear()

    def resume(self):
        self.flowing.set()

    def close(self):
        self.flowing.set()
        for sock in [self.listener, *self.sockets]:
            sock.close()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)
        except OSError:
            pass  # either side closed
        finally:
            for sock in (source, sink):
                sock.close()
