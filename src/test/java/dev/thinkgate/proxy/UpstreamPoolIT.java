package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thinkgate.config.GatewayConfig.RouteConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The upstream connection pool against a scripted HTTP/1.1 server on a real socket: keep-alive
 * reuse, the keep-alive window, the connection limit and its wait line, and what a reused
 * connection closed under a request reports.
 */
class UpstreamPoolIT {
  private static final String OK = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
  /** The default rules, with a short acquire timeout, drain time and sweep period for tests. */
  private static final UpstreamPool.Lifecycle LIFECYCLE = new UpstreamPool.Lifecycle(
      UpstreamPools.KEEP_ALIVE_NANOS, 300, 200, 50, TimeUnit.SECONDS.toNanos(2),
      TimeUnit.MILLISECONDS.toNanos(5), TimeUnit.MINUTES.toNanos(5));

  private final Vertx vertx = Vertx.vertx();
  private final Context loop = vertx.getOrCreateContext();
  private final NetClient netClient = vertx.createNetClient();
  private final AtomicLong nanos = new AtomicLong();
  private ScriptedUpstream upstream;

  @AfterEach
  void close() {
    if (upstream != null) {
      upstream.close();
    }
    vertx.close().await();
  }

  @Test
  void aConnectionIsReusedForTheNextExchange() throws Exception {
    // Given an upstream that answers every request on a kept-alive connection
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.write(OK));
    UpstreamPool pool = pool(4, 4);

    // When two exchanges run one after the other
    Result first = exchange(pool);
    Result second = exchange(pool);

    // Then both got their body over one connection, which is idle in the pool again
    assertThat(first.body).isEqualTo("ok");
    assertThat(second.body).isEqualTo("ok");
    assertThat(upstream.connections.get()).isEqualTo(1);
    assertThat(onLoop(() -> Future.succeededFuture(pool.idleConnections()))).isEqualTo(1);
    assertThat(upstream.heads.get(0)).startsWith("POST /prefix/v1/chat/completions HTTP/1.1\r\n")
        .contains("\r\nHost: 127.0.0.1:" + upstream.port + "\r\n", "\r\nContent-Length: 2",
            "\r\nContent-Type: application/json\r\n", "\r\nAuthorization: Bearer sk-test");
  }

  @Test
  void connectionCloseIsHonoured() throws Exception {
    // Given an upstream that says Connection: close on every response
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.write(
        "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"));
    UpstreamPool pool = pool(4, 4);

    // When two exchanges run
    exchange(pool);
    exchange(pool);

    // Then each had its own connection and none is kept
    assertThat(upstream.connections.get()).isEqualTo(2);
    assertThat(onLoop(() -> Future.succeededFuture(pool.openConnections()))).isZero();
  }

  @Test
  void anIdleConnectionPastTheKeepAliveWindowIsNotReused() throws Exception {
    // Given a pooled connection
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.write(OK));
    UpstreamPool pool = pool(4, 4);
    exchange(pool);

    // When the clock passes the keep-alive window before the next exchange
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(5));
    exchange(pool);

    // Then the old connection was closed and a new one made
    assertThat(upstream.connections.get()).isEqualTo(2);
    StreamControlIT.waitUntil(() -> upstream.closedConnections.get() == 1, 5_000);
  }

  @Test
  void aReusedConnectionClosedUnderTheRequestIsRetryable() throws Exception {
    // Given an upstream that answers the first request on a connection and drops the second,
    // as a server does when its keep-alive timer fires just as a request arrives
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> {
      if (n == 1) {
        socket.write(OK);
      } else {
        socket.close();
      }
    });
    UpstreamPool pool = pool(4, 4);
    exchange(pool);

    // When the next exchange goes out on the kept connection after 3 s idle (the clock is the
    // pool's), and the close crosses it at once
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(3));
    Result second = exchange(pool);

    // Then it fails as retryable, since no byte of a response came back
    assertThat(second.failure).isNotNull();
    assertThat(second.failure.retryable()).isTrue();
    assertThat(second.failure).hasMessageContaining("before a response");
  }

  @Test
  void aFreshConnectionClosedUnderTheRequestIsNotRetryable() throws Exception {
    // Given an upstream that drops every connection as the request arrives
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.close());
    UpstreamPool pool = pool(4, 4);

    // When an exchange runs on a new connection
    Result result = exchange(pool);

    // Then the failure is final: the server itself refused this request
    assertThat(result.failure.retryable()).isFalse();
  }

  @Test
  void aResponseCutMidBodyIsReportedAsCutNotRetryable() throws Exception {
    // Given an upstream that promises 10 bytes and closes after 2
    upstream = new ScriptedUpstream(vertx, (socket, n, head) ->
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nok").onComplete(v -> socket.close()));
    UpstreamPool pool = pool(4, 4);

    // When an exchange runs
    Result result = exchange(pool);

    // Then the caller saw the head and the bytes, then a mid-response failure
    assertThat(result.status).isEqualTo(200);
    assertThat(result.body).isEqualTo("ok");
    assertThat(result.failure).hasMessageContaining("mid-response");
    assertThat(result.failure.retryable()).isFalse();
  }

  @Test
  void malformedFramingFailsTheExchangeAndDropsTheConnection() throws Exception {
    // Given an upstream whose chunk size is not hex
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.write(
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n"));
    UpstreamPool pool = pool(4, 4);

    // When an exchange runs
    Result result = exchange(pool);

    // Then it fails naming the problem, and the connection is not kept
    assertThat(result.failure).hasMessageContaining("malformed HTTP response")
        .hasMessageContaining("chunk size");
    assertThat(onLoop(() -> Future.succeededFuture(pool.openConnections()))).isZero();
    StreamControlIT.waitUntil(() -> upstream.closedConnections.get() == 1, 5_000);
  }

  @Test
  void atTheLimitCallsWaitForAReleasedConnectionAndTheLineIsBounded() throws Exception {
    // Given a pool of one connection with room for one waiting call
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.write(OK));
    UpstreamPool pool = pool(1, 1);
    UpstreamConnection first = onLoop(() -> pool.acquire(false));

    // When a second call asks while the first holds the connection, and a third asks as well
    Promise<UpstreamConnection> second = Promise.promise();
    onLoop(() -> {
      pool.acquire(false).onComplete(second);
      return Future.succeededFuture();
    });
    assertThatThrownBy(() -> onLoop(() -> pool.acquire(false)))
        .hasRootCauseInstanceOf(UpstreamPool.PoolExhausted.class);
    assertThat(second.future().isComplete()).isFalse();

    // Then the second gets the very connection the first gives back
    onLoop(() -> {
      first.giveBack();
      return Future.succeededFuture();
    });
    assertThat(second.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS))
        .isSameAs(first);
    assertThat(onLoop(() -> Future.succeededFuture(pool.openConnections()))).isEqualTo(1);
  }

  @Test
  void abortingAnExchangeClosesItsConnection() throws Exception {
    // Given an upstream that never answers
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> { });
    UpstreamPool pool = pool(4, 4);
    UpstreamConnection connection = onLoop(() -> pool.acquire(false));
    Collector collector = new Collector(Promise.promise());
    onLoop(() -> {
      connection.send(request(), collector);
      return Future.succeededFuture();
    });
    StreamControlIT.waitUntil(() -> upstream.requests.get() == 1, 5_000);

    // When the caller abandons the exchange
    onLoop(() -> {
      connection.abort(collector);
      return Future.succeededFuture();
    });

    // Then the upstream sees the connection close, and the pool forgets it
    StreamControlIT.waitUntil(() -> upstream.closedConnections.get() == 1, 5_000);
    assertThat(onLoop(() -> Future.succeededFuture(pool.openConnections()))).isZero();
  }

  @Test
  void bytesOnAnIdleConnectionCloseIt() throws Exception {
    // Given an upstream that answers, then sends bytes nobody asked for
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> {
      socket.write(OK);
      vertx.setTimer(50, t -> socket.write("HTTP/1.1 200 OK\r\n"));
    });
    UpstreamPool pool = pool(4, 4);

    // When the exchange ends and the connection sits idle
    exchange(pool);

    // Then the connection is closed rather than trusted with the next request
    StreamControlIT.waitUntil(() -> upstream.closedConnections.get() == 1, 5_000);
    assertThat(onLoop(() -> Future.succeededFuture(pool.idleConnections()))).isZero();
  }

  @Test
  void aReusedConnectionClosedLongAfterTheWriteIsNotRetryable() throws Exception {
    // Given an upstream that reads the second request and closes after the pool's clock moved
    // 20 ms past the write: the server may have started generating by then
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> {
      if (n == 1) {
        socket.write(OK);
      } else {
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(20));
        socket.close();
      }
    });
    UpstreamPool pool = pool(4, 4);
    exchange(pool);
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(3));

    // When the next exchange goes out on the kept connection
    Result second = exchange(pool);

    // Then the failure is final
    assertThat(second.failure).hasMessageContaining("before a response");
    assertThat(second.failure.retryable()).isFalse();
  }

  @Test
  void aReusedConnectionThatWasIdleOnlyBrieflyIsNotRetryable() throws Exception {
    // Given an upstream that drops the second request at once, 1 s after the first (below the
    // 2 s of idleness from which a server's keep-alive timer may be what closed it)
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> {
      if (n == 1) {
        socket.write(OK);
      } else {
        socket.close();
      }
    });
    UpstreamPool pool = pool(4, 4);
    exchange(pool);
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));

    // When the next exchange goes out on the kept connection
    Result second = exchange(pool);

    // Then the failure is final
    assertThat(second.failure.retryable()).isFalse();
  }

  @Test
  void aDrainedConnectionWhoseResponseEndsInTimeIsReused() throws Exception {
    // Given an upstream that sends its body, then the terminating chunk 50 ms later
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> {
      socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n");
      vertx.setTimer(50, t -> socket.write("0\r\n\r\n"));
    });
    UpstreamPool pool = pool(4, 4);

    // When the caller has what it wanted after the body and drains the connection
    drainAfterBody(pool);

    // Then the connection went back to the pool, and the next exchange reuses it
    StreamControlIT.waitUntil(() -> idle(pool) == 1, 5_000);
    drainAfterBody(pool);
    assertThat(upstream.connections.get()).isEqualTo(1);
  }

  @Test
  void aDrainedConnectionWhoseResponseNeverEndsIsClosedAfterTheDrainTime() throws Exception {
    // Given an upstream that never sends the terminating chunk
    upstream = new ScriptedUpstream(vertx, (socket, n, head) ->
        socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n"));
    UpstreamPool pool = pool(4, 4);

    // When the caller has what it wanted and drains the connection
    drainAfterBody(pool);

    // Then after the drain time (200 ms here) the connection is closed and forgotten
    StreamControlIT.waitUntil(() -> upstream.closedConnections.get() == 1, 5_000);
    assertThat(onLoop(() -> Future.succeededFuture(pool.openConnections()))).isZero();
  }

  @Test
  void theIdleSweepClosesConnectionsPastTheKeepAliveWindowWithoutWaitingForARequest() throws Exception {
    // Given an idle connection in the pool
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.write(OK));
    UpstreamPool pool = pool(4, 4);
    exchange(pool);
    StreamControlIT.waitUntil(() -> idle(pool) == 1, 5_000);

    // When the pool's clock passes the keep-alive window and no request comes
    nanos.addAndGet(UpstreamPools.KEEP_ALIVE_NANOS);

    // Then the sweep (every 50 ms here) closes it
    StreamControlIT.waitUntil(() -> upstream.closedConnections.get() == 1, 5_000);
    assertThat(idle(pool)).isZero();
    assertThat(onLoop(() -> Future.succeededFuture(pool.openConnections()))).isZero();
  }

  /** LIFECYCLE with a 10 s maximum age, so a test ages a connection without idling it out. */
  private static final UpstreamPool.Lifecycle TEN_SECOND_AGE = new UpstreamPool.Lifecycle(
      LIFECYCLE.keepAliveNanos(), LIFECYCLE.acquireTimeoutMs(), LIFECYCLE.drainMs(),
      LIFECYCLE.sweepMs(), LIFECYCLE.retryMinIdleNanos(), LIFECYCLE.retryCloseWindowNanos(),
      TimeUnit.SECONDS.toNanos(10));

  /**
   * A pool with a 10 s maximum age whose one connection ran an exchange at 0, 3 and 6 s on the
   * pool's clock, which now reads 9 s: idle 3 s (inside the keep-alive window), 9 s old.
   */
  private UpstreamPool connectionNineSecondsOld() throws Exception {
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.write(OK));
    UpstreamPool pool = pool(4, 4, TEN_SECOND_AGE);
    for (int i = 0; i < 3; i++) {
      exchange(pool);
      nanos.addAndGet(TimeUnit.SECONDS.toNanos(3));
    }
    assertThat(upstream.connections.get()).isEqualTo(1);
    return pool;
  }

  @Test
  void aConnectionPastItsMaximumAgeFinishesItsExchangeThenIsClosedNotReused() throws Exception {
    // Given a connection reused every 3 s (inside the 4 s keep-alive) until it is 9 s old
    UpstreamPool pool = connectionNineSecondsOld();

    // When its next exchange is under way as it turns 12 s old (past the 10 s maximum)
    UpstreamConnection c = onLoop(() -> pool.acquire(false));
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(3));
    Promise<Result> done = Promise.promise();
    loop.runOnContext(v -> c.send(request(), new Collector(done)));
    Result last = done.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    // Then that exchange completes on it, and it is closed instead of going back to the pool
    assertThat(last.body).isEqualTo("ok");
    StreamControlIT.waitUntil(() -> upstream.closedConnections.get() == 1, 5_000);
    assertThat(idle(pool)).isZero();
    assertThat(onLoop(() -> Future.succeededFuture(pool.agedOut()))).isEqualTo(1L);
    // and the next call opens a new connection
    assertThat(exchange(pool).body).isEqualTo("ok");
    assertThat(upstream.connections.get()).isEqualTo(2);
  }

  @Test
  void anIdleConnectionPastItsMaximumAgeIsNotReusedAndTheSweepClosesIt() throws Exception {
    // Given a connection reused every 3 s and last released when 9 s old
    UpstreamPool pool = connectionNineSecondsOld();
    exchange(pool);
    assertThat(upstream.connections.get()).isEqualTo(1);
    StreamControlIT.waitUntil(() -> idle(pool) == 1, 5_000);

    // When it turns 11 s old while idle for 2 s (inside the keep-alive window)
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(2));

    // Then the sweep (every 50 ms here) closes it for its age
    StreamControlIT.waitUntil(() -> upstream.closedConnections.get() == 1, 5_000);
    assertThat(idle(pool)).isZero();
    assertThat(onLoop(() -> Future.succeededFuture(pool.agedOut()))).isEqualTo(1L);
  }

  @Test
  void aWaitingCallGetsANewConnectionWhenTheReleasedOneIsPastItsMaximumAge() throws Exception {
    // Given a pool of one connection, held by a call, and a second call waiting for it
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.write(OK));
    UpstreamPool pool = pool(1, 1, TEN_SECOND_AGE);
    UpstreamConnection first = onLoop(() -> pool.acquire(false));
    Promise<UpstreamConnection> second = Promise.promise();
    onLoop(() -> {
      pool.acquire(false).onComplete(second);
      return Future.succeededFuture();
    });

    // When the first call's exchange ends 11 s after its connection was opened
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(11));
    Promise<Result> firstDone = Promise.promise();
    loop.runOnContext(v -> first.send(request(), new Collector(firstDone)));
    assertThat(firstDone.future().toCompletionStage().toCompletableFuture()
        .get(5, TimeUnit.SECONDS).body).isEqualTo("ok");

    // Then the waiting call gets a new connection in its place, within the one-connection limit
    UpstreamConnection replacement =
        second.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(replacement).isNotSameAs(first);
    assertThat(onLoop(() -> Future.succeededFuture(pool.openConnections()))).isEqualTo(1);
    assertThat(onLoop(() -> Future.succeededFuture(pool.agedOut()))).isEqualTo(1L);
    Promise<Result> secondDone = Promise.promise();
    loop.runOnContext(v -> replacement.send(request(), new Collector(secondDone)));
    assertThat(secondDone.future().toCompletionStage().toCompletableFuture()
        .get(5, TimeUnit.SECONDS).body).isEqualTo("ok");
    assertThat(upstream.connections.get()).isEqualTo(2);
    StreamControlIT.waitUntil(() -> upstream.closedConnections.get() == 1, 5_000);
  }

  @Test
  void anUpstreamsMetersCountEveryPoolsObjectThatReachesIt() throws Exception {
    // Given two pools objects for one upstream (two routes to one server with different connect
    // timeouts, or a reload that changed one), sharing the upstream's meters
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.write(OK));
    UpstreamOrigin origin = UpstreamOrigin.parse(upstream.url() + "/prefix");
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    UpstreamMeters meters = new UpstreamMeters(registry, UpstreamPools.meterTag(origin));
    UpstreamPools fast = new UpstreamPools(vertx, origin, 1_000, meters);
    UpstreamPools slow = new UpstreamPools(vertx, origin, 5_000, meters);

    // When each makes one exchange and keeps its connection idle
    for (UpstreamPools pools : java.util.List.of(fast, slow)) {
      Promise<Result> done = Promise.promise();
      loop.runOnContext(v -> pools.current().acquire(false).onComplete(ar ->
          ar.result().send(request(), new Collector(done))));
      assertThat(done.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS)
          .body).isEqualTo("ok");
    }

    // Then the upstream's one series of each gauge counts both connections
    String tag = upstream.url() + "/prefix";
    StreamControlIT.waitUntil(() -> registry.get("thinkgate_upstream_connections")
        .tags("upstream", tag, "state", "idle").gauge().value() == 2, 5_000);
    assertThat(registry.get("thinkgate_upstream_connections").tags("upstream", tag, "state", "open")
        .gauge().value()).isEqualTo(2);
    assertThat(registry.find("thinkgate_upstream_connections").gauges()).hasSize(2);
    fast.close().await();
    slow.close().await();
  }

  @Test
  void aWaitingCallThatGivesUpLeavesTheLine() throws Exception {
    // Given a pool of one busy connection and a line of one, with one call waiting
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.write(OK));
    UpstreamPool pool = pool(1, 1);
    UpstreamConnection first = onLoop(() -> pool.acquire(false));
    @SuppressWarnings("unchecked")
    Future<UpstreamConnection>[] waiting = new Future[1];
    onLoop(() -> {
      waiting[0] = pool.acquire(false, 60_000);
      return Future.succeededFuture();
    });

    // When that call gives up (its client left)
    boolean cancelled = onLoop(() -> Future.succeededFuture(pool.cancel(waiting[0])));

    // Then it is out of the line: another call may wait, and gets the released connection
    assertThat(cancelled).isTrue();
    assertThat(onLoop(() -> Future.succeededFuture(pool.waiting()))).isZero();
    Promise<UpstreamConnection> next = Promise.promise();
    onLoop(() -> {
      pool.acquire(false, 60_000).onComplete(next);
      first.giveBack();
      return Future.succeededFuture();
    });
    assertThat(next.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS))
        .isSameAs(first);
    assertThat(waiting[0].isComplete()).isFalse();
  }

  @Test
  void aWaitingCallGivesUpAfterTheAcquireTimeout() throws Exception {
    // Given a pool of one busy connection
    upstream = new ScriptedUpstream(vertx, (socket, n, head) -> socket.write(OK));
    UpstreamPool pool = pool(1, 4);
    onLoop(() -> pool.acquire(false));

    // When another call waits with a 100 ms acquire timeout, then it fails and leaves the line
    assertThatThrownBy(() -> onLoop(() -> pool.acquire(false, 100)))
        .hasRootCauseInstanceOf(UpstreamPool.AcquireTimeout.class)
        .hasMessageContaining("within 100 ms");
    assertThat(onLoop(() -> Future.succeededFuture(pool.waiting()))).isZero();
  }

  @Test
  void onlyDnsNamesAreServerNames() {
    // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName"
    assertThat(UpstreamPool.isDnsName("vllm.internal")).isTrue();
    assertThat(UpstreamPool.isDnsName("localhost")).isTrue();
    assertThat(UpstreamPool.isDnsName("127.0.0.1")).isFalse();
    assertThat(UpstreamPool.isDnsName("::1")).isFalse();
    assertThat(UpstreamPool.isDnsName("fe80::1")).isFalse();
  }

  private int idle(UpstreamPool pool) {
    try {
      return onLoop(() -> Future.succeededFuture(pool.idleConnections()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** One exchange whose caller drains the connection once the body arrived. */
  private void drainAfterBody(UpstreamPool pool) throws Exception {
    Promise<Void> gotBody = Promise.promise();
    loop.runOnContext(v -> pool.acquire(false).onComplete(ar -> {
      UpstreamConnection c = ar.result();
      UpstreamConnection.Exchange[] self = new UpstreamConnection.Exchange[1];
      self[0] = new Collector(Promise.promise()) {
        @Override
        public void onBody(byte[] bytes, int offset, int length) {
          super.onBody(bytes, offset, length);
          c.drain(self[0]);
          gotBody.tryComplete();
        }
      };
      c.send(request(), self[0]);
    }));
    gotBody.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private UpstreamPool pool(int maxConnections, int maxWaiters) throws Exception {
    return pool(maxConnections, maxWaiters, LIFECYCLE);
  }

  private UpstreamPool pool(int maxConnections, int maxWaiters, UpstreamPool.Lifecycle lifecycle)
      throws Exception {
    UpstreamOrigin origin = UpstreamOrigin.parse(upstream.url() + "/prefix");
    return new UpstreamPool(vertx, netClient, origin, 2_000, maxConnections, maxWaiters,
        lifecycle, nanos::get);
  }

  /** The request as the gateway writes it, through the route's own request builder. */
  private Buffer request() {
    String url = upstream.url() + "/prefix";
    RouteConfig config = new RouteConfig("*", url, null, null, null, null, false, false, null, null);
    UpstreamRoute route = new UpstreamRoute(config, null, null,
        new UpstreamPools(vertx, UpstreamOrigin.parse(url), 2_000, null), url, "sk-test");
    return route.post("/v1/chat/completions", Buffer.buffer("{}"));
  }

  /** One exchange on a pooled connection, to its end or failure. */
  private Result exchange(UpstreamPool pool) throws Exception {
    Promise<Result> done = Promise.promise();
    loop.runOnContext(v -> pool.acquire(false).onComplete(ar -> {
      if (ar.failed()) {
        done.fail(ar.cause());
      } else {
        ar.result().send(request(), new Collector(done));
      }
    }));
    return done.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private <T> T onLoop(Supplier<Future<T>> action) throws Exception {
    Promise<T> result = Promise.promise();
    loop.runOnContext(v -> action.get().onComplete(result));
    return result.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private record Result(int status, String body, UpstreamConnection.ConnectionFailure failure) { }

  private static class Collector implements UpstreamConnection.Exchange {
    private final Promise<Result> done;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int status;

    Collector(Promise<Result> done) {
      this.done = done;
    }

    @Override
    public void onHead(int status) {
      this.status = status;
    }

    @Override
    public void onBody(byte[] bytes, int offset, int length) {
      body.write(bytes, offset, length);
    }

    @Override
    public void onEnd() {
      done.tryComplete(new Result(status, body.toString(StandardCharsets.UTF_8), null));
    }

    @Override
    public void onFailure(UpstreamConnection.ConnectionFailure failure) {
      done.tryComplete(new Result(status, body.toString(StandardCharsets.UTF_8), failure));
    }
  }
}
