package dev.thinkgate.proxy;

import dev.thinkgate.config.GatewayConfig.Timeouts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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
  private final Counter retries;

  private final NetClient client;
  private final UpstreamOrigin origin;
  private final int connectTimeoutMs;
  private final Map<Thread, UpstreamPool> byLoop = new ConcurrentHashMap<>();

  /**
   * @param registry where the {@code thinkgate_upstream_connections} gauges (open, idle; summed
   *     over the loops) are registered, or null for none
   */
  UpstreamPools(Vertx vertx, UpstreamOrigin origin, int connectTimeoutMs, MeterRegistry registry) {
    this(vertx, origin, connectTimeoutMs, registry, UpstreamPool.Lifecycle.defaults(
        Timeouts.DEFAULT_POOL_ACQUIRE_MS, Timeouts.DEFAULT_MAX_CONNECTION_AGE_MS));
  }

  UpstreamPools(Vertx vertx, UpstreamOrigin origin, int connectTimeoutMs, MeterRegistry registry,
      UpstreamPool.Lifecycle lifecycle) {
    this.vertx = vertx;
    this.lifecycle = lifecycle;
    this.client = vertx.createNetClient(clientOptions(connectTimeoutMs));
    this.origin = origin;
    this.connectTimeoutMs = connectTimeoutMs;
    if (registry != null) {
      String upstream = (origin.ssl() ? "https://" : "http://") + origin.hostHeader()
          + origin.pathPrefix();
      Gauge.builder("thinkgate_upstream_connections", this,
              p -> p.byLoop.values().stream().mapToInt(UpstreamPool::openConnections).sum())
          .description("Connections to the upstream for streamed calls, open (busy or idle)")
          .tags("upstream", upstream, "state", "open").register(registry);
      Gauge.builder("thinkgate_upstream_connections", this,
              p -> p.byLoop.values().stream().mapToInt(UpstreamPool::idleConnections).sum())
          .description("Connections to the upstream for streamed calls, idle in the pool")
          .tags("upstream", upstream, "state", "idle").register(registry);
      io.micrometer.core.instrument.FunctionCounter.builder("thinkgate_upstream_connections_aged",
              this, p -> p.byLoop.values().stream().mapToLong(UpstreamPool::agedOut).sum())
          .description("Connections to the upstream closed on reaching the route's"
              + " timeouts.max_connection_age_ms, instead of being reused")
          .tags("upstream", upstream).register(registry);
      retries = Counter.builder("thinkgate_upstream_retries")
          .description("Requests sent once more on a new connection because a reused one was"
              + " closed under them before the server could have read them")
          .tags("upstream", upstream).register(registry);
    } else {
      retries = null;
    }
  }

  /** Counts one resend of a request on a new connection. */
  void retried() {
    if (retries != null) {
      retries.increment();
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
    return pool != null ? pool : byLoop.computeIfAbsent(loop, t -> new UpstreamPool(vertx, client,
        origin, connectTimeoutMs, MAX_CONNECTIONS_PER_LOOP, MAX_WAITERS_PER_LOOP, lifecycle,
        System::nanoTime));
  }

  /** How many pools exist (one per event loop that made a call). */
  int loops() {
    return byLoop.size();
  }

  /** Closes the client and with it every connection. */
  Future<Void> close() {
    return client.close();
  }
}
