package dev.thinkgate.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import dev.thinkgate.config.GatewayConfig.RedisConfig;
import dev.thinkgate.state.RedisState;
import dev.thinkgate.state.StateErrors;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * Several limiters ("replicas"), each with its own Redis client, share one real redis-server
 * (the binary shipped in embedded-redis). Tenants get distinct names per test, so one server
 * serves the whole class.
 */
class RedisTenantLimiterIT {
  private static RedisServer server;
  private static int port;
  private static Vertx vertx;

  @BeforeAll
  static void startRedis() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    server = new RedisServer(port);
    server.start();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopRedis() throws Exception {
    vertx.close().await();
    if (server.isActive()) {
      server.stop();
    }
  }

  private static RedisConfig redisAt(int port, long leaseTtlMs, long timeoutMs) {
    return new RedisConfig("redis://127.0.0.1:" + port, 1000, timeoutMs, leaseTtlMs,
        "thinkgate:", 8);
  }

  private static RedisTenantLimiter limiter(Vertx on, RedisConfig config) {
    return new RedisTenantLimiter(on, RedisState.connect(on, config),
        new TenantLimiter(System::nanoTime), new StateErrors(new SimpleMeterRegistry()));
  }

  private static RedisTenantLimiter replica(long leaseTtlMs) {
    return limiter(vertx, redisAt(port, leaseTtlMs, 2000));
  }

  private static Admission await(Future<Admission> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void requestsPerMinuteHoldAcrossThreeReplicas() throws Exception {
    // Given a tenant limited to 10 requests a minute and three replicas on one Redis
    Tenant tenant = new Tenant("rpm-tenant", "default", null, new Tenant.Limits(10, 0));
    List<RedisTenantLimiter> replicas = List.of(replica(3000), replica(3000),
        replica(3000));
    // When 30 requests arrive, spread over the replicas
    int admitted = 0;
    for (int i = 0; i < 30; i++) {
      if (await(replicas.get(i % 3).acquire(tenant, true)).admitted()) {
        admitted++;
      }
    }
    // Then 10 are admitted in total, not 10 per replica
    assertThat(admitted).isEqualTo(10);
    assertThat(replicas).allSatisfy(r -> assertThat(r.stateErrors()).isZero());
  }

  @Test
  void concurrentStreamsHoldAcrossReplicasAndReleaseFreesALease() throws Exception {
    Tenant tenant = new Tenant("streams-tenant", "default", null, new Tenant.Limits(0, 4));
    RedisTenantLimiter a = replica(3000);
    RedisTenantLimiter b = replica(3000);
    List<Admission> open = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      open.add(await((i % 2 == 0 ? a : b).acquire(tenant, true)));
    }
    assertThat(open).allMatch(Admission::admitted);
    Admission fifth = await(b.acquire(tenant, true));
    assertThat(fifth).isInstanceOf(Admission.Rejected.class);
    assertThat(((Admission.Rejected) fifth).reason()).isEqualTo(Admission.Reason.CONCURRENT_STREAMS);

    // When a stream on replica a ends, replica b may admit one more
    ((Admission.Admitted) open.get(0)).release();
    Admission again = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (System.nanoTime() < deadline) {
      again = await(b.acquire(tenant, true));
      if (again.admitted()) {
        break;
      }
      Thread.sleep(20); // test thread, not an event loop: the ZREM is fire-and-forget
    }
    assertThat(again.admitted()).isTrue();
  }

  @Test
  void openLeasesAreRefreshedAndACrashedReplicasLeasesExpireWithinTheTtl() throws Exception {
    Tenant tenant = new Tenant("crash-tenant", "default", null, new Tenant.Limits(0, 2));
    Vertx doomed = Vertx.vertx();
    RedisTenantLimiter crashing = limiter(doomed, redisAt(port, 600, 2000));
    RedisTenantLimiter survivor = replica(600);
    assertThat(await(crashing.acquire(tenant, true)).admitted()).isTrue();
    assertThat(await(crashing.acquire(tenant, true)).admitted()).isTrue();
    assertThat(crashing.stateErrors()).as("both leases are in Redis, not local").isZero();

    // Leases outlive their TTL while the replica lives and refreshes them
    Thread.sleep(1200);
    assertThat(await(survivor.acquire(tenant, true)).admitted()).isFalse();

    // When the replica dies without releasing, its leases lapse within the TTL
    doomed.close().await();
    long died = System.nanoTime();
    Admission after = null;
    while (System.nanoTime() - died < TimeUnit.MILLISECONDS.toNanos(1500)) {
      after = await(survivor.acquire(tenant, true));
      if (after.admitted()) {
        break;
      }
      Thread.sleep(50);
    }
    assertThat(after.admitted()).isTrue();
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - died)).isLessThan(1200);
  }

  @Test
  void redisDownFailsOpenUnderLocalLimitsOrClosedAndNeverHangs() throws Exception {
    // Given a limiter pointed at a port where nothing listens (Redis down)
    int deadPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      deadPort = socket.getLocalPort();
    }
    Tenant tenant = new Tenant("down-tenant", "default", null, new Tenant.Limits(3, 0));
    RedisTenantLimiter open = limiter(vertx, redisAt(deadPort, 3000, 300));
    RedisTenantLimiter closed = limiter(vertx, redisAt(deadPort, 3000, 300));

    long start = System.nanoTime();
    int admitted = 0;
    for (int i = 0; i < 5; i++) {
      if (await(open.acquire(tenant, true)).admitted()) {
        admitted++;
      }
    }
    Admission refused = await(closed.acquire(tenant, false));
    // Then fail open applies the local limit (3 of 5), fail closed rejects, each is counted
    assertThat(admitted).isEqualTo(3);
    assertThat(open.stateErrors()).isEqualTo(5);
    assertThat(refused).isInstanceOf(Admission.Rejected.class);
    assertThat(((Admission.Rejected) refused).reason())
        .isEqualTo(Admission.Reason.STATE_UNAVAILABLE);
    assertThat(closed.stateErrors()).isEqualTo(1);
    // and no call outlived its 300 ms timeout by much
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(6 * 1000);
  }

  @Test
  void failingOpenStillCountsTheStreamsRedisAdmittedOnThisReplica() throws Exception {
    // Given a Redis of its own, a tenant of 2 streams, and both admitted through Redis
    int ownPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      ownPort = socket.getLocalPort();
    }
    RedisServer own = new RedisServer(ownPort);
    own.start();
    Tenant tenant = new Tenant("track-tenant", "default", null, new Tenant.Limits(0, 2));
    RedisTenantLimiter limiter = limiter(vertx, redisAt(ownPort, 3000, 300));
    Admission first = await(limiter.acquire(tenant, true));
    Admission second = await(limiter.acquire(tenant, true));
    assertThat(List.of(first, second)).allMatch(Admission::admitted);
    assertThat(limiter.stateErrors()).isZero();

    // When Redis goes away and the limiter fails open
    own.stop();
    Admission third = await(limiter.acquire(tenant, true));

    // Then the local fallback knows both open streams: the third is refused for concurrency
    assertThat(limiter.stateErrors()).isEqualTo(1);
    assertThat(third).isInstanceOf(Admission.Rejected.class);
    assertThat(((Admission.Rejected) third).reason())
        .isEqualTo(Admission.Reason.CONCURRENT_STREAMS);
    // and once one of them ends, the fallback admits one
    ((Admission.Admitted) first).release();
    assertThat(await(limiter.acquire(tenant, true)).admitted()).isTrue();
  }

  @Test
  void aRedisThatForgotTheScriptsIsSentTheirText() throws Exception {
    // Given a limiter whose scripts Redis no longer knows (a restart, SCRIPT FLUSH)
    Tenant tenant = new Tenant("flushed-tenant", "default", null, new Tenant.Limits(2, 1));
    RedisTenantLimiter limiter = replica(3000);
    assertThat(await(limiter.acquire(tenant, false)).admitted()).isTrue();
    RedisState admin = RedisState.connect(vertx, redisAt(port, 3000, 2000));
    admin.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.SCRIPT)
        .arg("FLUSH")).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    admin.release();

    // When it admits again, it still decides from Redis (the held stream counts), not by failing
    Admission second = await(limiter.acquire(tenant, false));
    assertThat(second).isInstanceOf(Admission.Rejected.class);
    assertThat(((Admission.Rejected) second).reason())
        .isEqualTo(Admission.Reason.CONCURRENT_STREAMS);
    assertThat(limiter.stateErrors()).isZero();
  }
}
