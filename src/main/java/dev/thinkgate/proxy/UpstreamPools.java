package dev.thinkgate.proxy;

import dev.thinkgate.config.GatewayConfig.Timeouts;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The streamed-call connections of one upstream: one {@link UpstreamPool} per event loop, so a
 * request and its upstream connection always share a thread. (A pool shared by the loops hands a
 * request on loop A a connection of loop B, and every chunk and write then crosses threads.)
 */
final class UpstreamPools {
  static final int MAX_CONNECTIONS_PER_LOOP = 1024;
  static final int MAX_WAITERS_PER_LOOP = 4096;
  static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(4);

  private final Vertx vertx;
  private final UpstreamPool.Lifecycle lifecycle;
  private final UpstreamMeters meters;

  private final NetClient client;
  private final UpstreamOrigin origin;
  private final int connectTimeoutMs;
  private final Map<Thread, UpstreamPool> byLoop = new ConcurrentHashMap<>();
  /** Each loop's pool, to run a pool's work on its own loop. */
  private final Map<UpstreamPool, Context> contexts = new ConcurrentHashMap<>();
  private volatile boolean retired;

  /**
   * @param meters the upstream's meters, which then count these pools too, or null for none
   */
  UpstreamPools(Vertx vertx, UpstreamOrigin origin, int connectTimeoutMs, UpstreamMeters meters) {
    this(vertx, origin, connectTimeoutMs, meters, UpstreamPool.Lifecycle.defaults(
        Timeouts.DEFAULT_POOL_ACQUIRE_MS, Timeouts.DEFAULT_MAX_CONNECTION_AGE_MS));
  }

  UpstreamPools(Vertx vertx, UpstreamOrigin origin, int connectTimeoutMs, UpstreamMeters meters,
      UpstreamPool.Lifecycle lifecycle) {
    this.vertx = vertx;
    this.lifecycle = lifecycle;
    this.client = vertx.createNetClient(clientOptions(connectTimeoutMs));
    this.origin = origin;
    this.connectTimeoutMs = connectTimeoutMs;
    this.meters = meters;
    if (meters != null) {
      meters.add(this);
    }
  }

  /** The {@code upstream} tag of an origin's meters: scheme, host, port and path prefix. */
  static String meterTag(UpstreamOrigin origin) {
    return (origin.ssl() ? "https://" : "http://") + origin.hostHeader() + origin.pathPrefix();
  }

  /** Connections open (busy or idle) over the loops. */
  long openConnections() {
    return byLoop.values().stream().mapToInt(UpstreamPool::openConnections).sum();
  }

  /** Connections idle in the pools over the loops. */
  long idleConnections() {
    return byLoop.values().stream().mapToInt(UpstreamPool::idleConnections).sum();
  }

  /** Connections closed for their age over the loops. */
  long agedOut() {
    return byLoop.values().stream().mapToLong(UpstreamPool::agedOut).sum();
  }

  /** Counts one resend of a request on a new connection. */
  void retried() {
    if (meters != null) {
      meters.retried();
    }
  }

  /**
   * The socket options of every upstream connection. TLS (for an {@code https} upstream) trusts
   * the JVM's CAs and checks the certificate names the host, as an HTTPS client must; Vert.x 5
   * leaves that check off unless asked.
   */
  static NetClientOptions clientOptions(int connectTimeoutMs) {
    return new NetClientOptions()
        .setTcpNoDelay(true)
        .setConnectTimeout(connectTimeoutMs)
        .setHostnameVerificationAlgorithm("HTTPS");
  }

  UpstreamOrigin origin() {
    return origin;
  }

  /**
   * The pool of the calling event loop.
   *
   * @throws IllegalStateException off an event loop: a pool and its sockets belong to one loop
   */
  UpstreamPool current() {
    if (!Context.isOnEventLoopThread()) {
      throw new IllegalStateException("upstream calls are made from an event loop");
    }
    Thread loop = Thread.currentThread();
    UpstreamPool pool = byLoop.get(loop);
    return pool != null ? pool : byLoop.computeIfAbsent(loop, t -> {
      UpstreamPool created = new UpstreamPool(vertx, client, origin, connectTimeoutMs,
          MAX_CONNECTIONS_PER_LOOP, MAX_WAITERS_PER_LOOP, lifecycle, System::nanoTime);
      Context here = Vertx.currentContext();
      if (here != null) { // a loop thread outside any context: its pool closes with the client
        contexts.put(created, here);
      }
      if (retired) {
        created.retire(); // a late call of a request that began before the reload
      }
      return created;
    });
  }

  /**
   * A configuration reload replaced these pools: each loop's pool closes its idle connections now
   * and each busy one when its exchange ends (the calls of requests that began before the reload
   * are still served); after {@code drainMs}, by when those requests have ended, the client closes
   * with whatever is left, and the upstream's meters stop counting these pools.
   */
  void retire(long drainMs) {
    retired = true;
    contexts.forEach((pool, context) -> context.runOnContext(v -> pool.retire()));
    vertx.setTimer(Math.max(1, drainMs), id -> close());
  }

  boolean retired() {
    return retired;
  }

  /** How many pools exist (one per event loop that made a call). */
  int loops() {
    return byLoop.size();
  }

  /** Closes the client and with it every connection; the upstream's meters stop counting them. */
  Future<Void> close() {
    if (meters != null) {
      meters.remove(this);
    }
    return client.close();
  }
}
