package dev.thinkgate.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
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

  private static RedisTenantLimiter replica(boolean failOpen, long leaseTtlMs) {
    Redis client = Redis.createClient(vertx,
        new RedisOptions().setConnectionString("redis://127.0.0.1:" + port));
    return new RedisTenantLimiter(vertx, client, new TenantLimiter(System::nanoTime),
        "thinkgate:", leaseTtlMs, 2000, failOpen);
  }

  private static Admission await(Future<Admission> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void requestsPerMinuteHoldAcrossThreeReplicas() throws Exception {
    // Given a tenant limited to 10 requests a minute and three replicas on one Redis
    Tenant tenant = new Tenant("rpm-tenant", "default", null, new Tenant.Limits(10, 0));
    List<RedisTenantLimiter> replicas = List.of(replica(true, 3000), replica(true, 3000),
        replica(true, 3000));
    // When 30 requests arrive, spread over the replicas
    int admitted = 0;
    for (int i = 0; i < 30; i++) {
      if (await(replicas.get(i % 3).acquire(tenant)).admitted()) {
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
    RedisTenantLimiter a = replica(true, 3000);
    RedisTenantLimiter b = replica(true, 3000);
    List<Admission> open = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      open.add(await((i % 2 == 0 ? a : b).acquire(tenant)));
    }
    assertThat(open).allMatch(Admission::admitted);
    Admission fifth = await(b.acquire(tenant));
    assertThat(fifth).isInstanceOf(Admission.Rejected.class);
    assertThat(((Admission.Rejected) fifth).reason()).isEqualTo(Admission.Reason.CONCURRENT_STREAMS);

    // When a stream on replica a ends, replica b may admit one more
    ((Admission.Admitted) open.get(0)).release();
    Admission again = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (System.nanoTime() < deadline) {
      again = await(b.acquire(tenant));
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
    Redis doomedClient = Redis.createClient(doomed,
        new RedisOptions().setConnectionString("redis://127.0.0.1:" + port));
    RedisTenantLimiter crashing = new RedisTenantLimiter(doomed, doomedClient,
        new TenantLimiter(System::nanoTime), "thinkgate:", 600, 2000, true);
    RedisTenantLimiter survivor = replica(true, 600);
    assertThat(await(crashing.acquire(tenant)).admitted()).isTrue();
    assertThat(await(crashing.acquire(tenant)).admitted()).isTrue();
    assertThat(crashing.stateErrors()).as("both leases are in Redis, not local").isZero();

    // Leases outlive their TTL while the replica lives and refreshes them
    Thread.sleep(1200);
    assertThat(await(survivor.acquire(tenant)).admitted()).isFalse();

    // When the replica dies without releasing, its leases lapse within the TTL
    doomed.close().await();
    long died = System.nanoTime();
    Admission after = null;
    while (System.nanoTime() - died < TimeUnit.MILLISECONDS.toNanos(1500)) {
      after = await(survivor.acquire(tenant));
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
    Redis dead = Redis.createClient(vertx,
        new RedisOptions().setConnectionString("redis://127.0.0.1:" + deadPort));
    Tenant tenant = new Tenant("down-tenant", "default", null, new Tenant.Limits(3, 0));
    RedisTenantLimiter open = new RedisTenantLimiter(vertx, dead,
        new TenantLimiter(System::nanoTime), "thinkgate:", 3000, 300, true);
    RedisTenantLimiter closed = new RedisTenantLimiter(vertx, dead,
        new TenantLimiter(System::nanoTime), "thinkgate:", 3000, 300, false);

    long start = System.nanoTime();
    int admitted = 0;
    for (int i = 0; i < 5; i++) {
      if (await(open.acquire(tenant)).admitted()) {
        admitted++;
      }
    }
    Admission refused = await(closed.acquire(tenant));
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
}
