package io.runnel.e2e.kube;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * kube-proxy in userspace mode for one service port: listens on {@code clusterIP:port} and joins
 * each accepted connection to one of the service's ready endpoints, round robin, trying the next
 * one when a backend refuses; with no endpoint the connection is closed at once, as kube-proxy
 * rejects it.
 *
 * <p>Threads: an acceptor thread and two virtual threads per connection (one per direction). The
 * agent thread is the only writer of the backend list ({@link #backends}), which is published as
 * an immutable snapshot; the proxy's threads only read it. The open sockets (closed by
 * {@link #close}) are a concurrent set the proxy's own threads add to and remove from.
 */
final class ServiceProxy implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MS = 3000;

    private final String name;
    private final ServerSocket server;
    private final AgentLog log;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger nextBackend = new AtomicInteger();
    private volatile List<InetSocketAddress> backends = List.of();

    /** @param name for the log, e.g. {@code ns/svc:9092} */
    ServiceProxy(String name, InetSocketAddress listen, AgentLog log) throws IOException {
        this.name = name;
        this.log = log;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(listen, 128);
        Thread acceptor = new Thread(this::acceptLoop, "service-proxy " + name);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Publishes the ready endpoints; agent thread. */
    void backends(List<InetSocketAddress> ready) {
        if (!ready.equals(backends)) log.info("proxy " + name + " backends " + ready);
        backends = List.copyOf(ready);
    }

    InetSocketAddress listenAddress() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!server.isClosed()) log.error("proxy " + name + " accept failed", e);
                continue;
            }
            Thread.ofVirtual().name("service-proxy-conn " + name).start(() -> serve(client));
        }
    }

    private void serve(Socket client) {
        open.add(client);
        Socket backend = connectToBackend();
        if (backend == null) {
            closeQuietly(client);
            return;
        }
        open.add(backend);
        Thread upstream = Thread.ofVirtual().start(() -> pump(client, backend));
        pump(backend, client);
        try {
            upstream.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(client);
        closeQuietly(backend);
    }

    private Socket connectToBackend() {
        List<InetSocketAddress> candidates = backends;
        for (int attempt = 0; attempt < candidates.size(); attempt++) {
            InetSocketAddress target = candidates.get(Math.floorMod(nextBackend.getAndIncrement(), candidates.size()));
            Socket socket = new Socket();
            try {
                socket.connect(target, CONNECT_TIMEOUT_MS);
                return socket;
            } catch (IOException e) {
                closeQuietly(socket);
                log.info("proxy " + name + ": backend " + target + " refused: " + e.getMessage());
            }
        }
        return null;
    }

    /** Copies one direction until EOF, then half-closes the other side so the peer sees the end too. */
    private void pump(Socket from, Socket to) {
        try {
            // Not try-with-resources: closing a socket's stream closes the socket, and the other direction may still run.
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            in.transferTo(out);
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeQuietly(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing: nothing left to do with it
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // the acceptor ends either way
        }
        for (Socket socket : Set.copyOf(open)) closeQuietly(socket);
    }
}
