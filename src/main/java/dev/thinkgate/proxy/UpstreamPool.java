package dev.thinkgate.proxy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * The keep-alive connections to one upstream origin from one event loop. An idle connection is
 * reused most-recently-released first, and only while younger than the keep-alive window, which
 * sits below common servers' own (uvicorn, behind vLLM and SGLang, closes after 5 s). At most
 * {@code maxConnections} are open; further callers wait in line, up to {@code maxWaiters}.
 * Confined to its event loop.
 */
final class UpstreamPool {
  /** Every connection is taken and the line of waiting calls is full. */
  static final class PoolExhausted extends RuntimeException {
    PoolExhausted(String message) {
      super(message, null, false, false);
    }
  }

  private final NetClient client;
  private final UpstreamOrigin origin;
  private final int connectTimeoutMs;
  private final int maxConnections;
  private final int maxWaiters;
  private final long keepAliveNanos;
  private final LongSupplier nanoClock;
  private final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
  private volatile int idleCount;
  private final ArrayDeque<Promise<UpstreamConnection>> waiters = new ArrayDeque<>();
  // Written on the pool's loop only; volatile so the metrics gauges may read them from any thread.
  private volatile int open;

  UpstreamPool(NetClient client, UpstreamOrigin origin, int connectTimeoutMs, int maxConnections,
      int maxWaiters, long keepAliveNanos, LongSupplier nanoClock) {
    if (maxConnections < 1 || maxWaiters < 0 || keepAliveNanos < 0) {
      throw new IllegalArgumentException("maxConnections " + maxConnections + " < 1, maxWaiters "
          + maxWaiters + " or keepAliveNanos " + keepAliveNanos + " < 0");
    }
    this.client = client;
    this.origin = origin;
    this.connectTimeoutMs = connectTimeoutMs;
    this.maxConnections = maxConnections;
    this.maxWaiters = maxWaiters;
    this.keepAliveNanos = keepAliveNanos;
    this.nanoClock = nanoClock;
  }

  /**
   * A connection ready for one exchange: an idle one unless {@code fresh}, else a new one. The
   * caller either sends on it or gives it back with {@link UpstreamConnection#giveBack()}.
   */
  Future<UpstreamConnection> acquire(boolean fresh) {
    if (!fresh) {
      UpstreamConnection c;
      while ((c = idle.pollLast()) != null) {
        idleCount = idle.size();
        if (c.open() && c.idleNanos() < keepAliveNanos) {
          return Future.succeededFuture(c);
        }
        c.close();
      }
    } else if (open >= maxConnections && !idle.isEmpty()) {
      idle.peekFirst().close(); // makes room; close() takes it out of the pool
    }
    if (open < maxConnections) {
      return connect();
    }
    if (waiters.size() >= maxWaiters) {
      return Future.failedFuture(new PoolExhausted("all " + maxConnections
          + " connections to the upstream are busy and " + maxWaiters + " calls already wait"));
    }
    Promise<UpstreamConnection> waiter = Promise.promise();
    waiters.addLast(waiter);
    return waiter.future();
  }

  /** A connection whose exchange ended cleanly: to the next waiting call, or idle. */
  void release(UpstreamConnection c) {
    if (!c.open()) {
      return;
    }
    Promise<UpstreamConnection> waiter = waiters.pollFirst();
    if (waiter != null) {
      waiter.complete(c);
    } else {
      idle.addLast(c);
      idleCount = idle.size();
    }
  }

  /** A connection closed, for whatever reason; called once per connection. */
  void removed(UpstreamConnection c) {
    idle.remove(c);
    idleCount = idle.size();
    open--;
    connectForWaiter();
  }

  /** A slot opened up: the first waiting call gets a new connection (or that connect's failure). */
  private void connectForWaiter() {
    if (!waiters.isEmpty() && open < maxConnections) {
      Promise<UpstreamConnection> waiter = waiters.pollFirst();
      connect().onComplete(waiter);
    }
  }

  int openConnections() {
    return open;
  }

  int idleConnections() {
    return idleCount;
  }

  /** Closes the idle connections (the busy ones close with their exchange or the client). */
  void closeIdle() {
    UpstreamConnection c;
    while ((c = idle.pollFirst()) != null) {
      idleCount = idle.size();
      c.close();
    }
  }

  private Future<UpstreamConnection> connect() {
    open++;
    ConnectOptions options = new ConnectOptions()
        .setHost(origin.host())
        .setPort(origin.port())
        .setSsl(origin.ssl())
        .setTimeout(connectTimeoutMs);
    if (origin.ssl()) {
      options.setSniServerName(origin.host());
    }
    return client.connect(options)
        .map(socket -> new UpstreamConnection(socket, this, nanoClock))
        .onFailure(t -> {
          open--;
          connectForWaiter(); // else a waiter could wait for a release that never comes
        });
  }
}
