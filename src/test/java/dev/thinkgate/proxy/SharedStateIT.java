package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.ApiKeyHash;
import dev.thinkgate.config.GatewayConfig.RedisConfig;
import dev.thinkgate.config.GatewayConfig.StateBackend;
import dev.thinkgate.config.GatewayConfig.StateConfig;
import dev.thinkgate.config.GatewayConfig.StateFailure;
import dev.thinkgate.config.GatewayConfig.TenantConfig;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.embedded.RedisServer;

/**
 * Several real gateways (each its own Vert.x, emulated model and port) share one real
 * redis-server, started here from the binary embedded-redis ships: tenant limits hold across the
 * gateways, a dead gateway's leases lapse within the TTL, a Redis outage gives each tenant's fail
 * mode without hanging a request, and a guard verdict paid for on one gateway is a hit on another.
 */
class SharedStateIT {
  private static final String MODEL = GatewayHarness.MODEL;
  private static final String KEY = "tg-shared-state-test";
  private static final String WARM_KEY = "tg-shared-state-warm";

  private RedisServer redisServer;
  private int redisPort;
  private final List<GatewayHarness> gateways = new ArrayList<>();
  private final List<TcpCut> cuts = new ArrayList<>();
  private final ExecutorService clients = Executors.newCachedThreadPool();
  private final Vertx testVertx = Vertx.vertx();

  @BeforeEach
  void startRedis() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      redisPort = socket.getLocalPort();
    }
    redisServer = new RedisServer(redisPort);
    redisServer.start();
  }

  @AfterEach
  void stopAll() throws Exception {
    clients.shutdownNow();
    for (GatewayHarness g : gateways) {
      g.close();
    }
    cuts.forEach(TcpCut::close);
    testVertx.close().await();
    if (redisServer.isActive()) {
      redisServer.stop();
    }
  }

  private static StateConfig redisState(int port, long leaseTtlMs, long commandTimeoutMs) {
    return new StateConfig(StateBackend.REDIS, StateFailure.FAIL_OPEN,
        new RedisConfig("redis://127.0.0.1:" + port, 1_000, commandTimeoutMs, leaseTtlMs,
            "thinkgate:", 8));
  }

  private static TenantConfig tenant(String name, String key, int rpm, int streams,
      StateFailure onStateError) {
    return new TenantConfig(name, List.of(ApiKeyHash.of(key)), "passthrough", List.of("*"), rpm,
        streams, onStateError);
  }

  private static ModelEmulatorOptions quickModel(long firstTokenDelayMs) {
    return ModelEmulatorOptions.builder().firstTokenDelayMs(firstTokenDelayMs)
        .scriptOverride(body -> Script.of("A short thought.", "A short answer.")).build();
  }

  private GatewayHarness gateway(StateConfig state, long firstTokenDelayMs,
      TenantConfig... tenants) {
    GatewayHarness h = new GatewayHarness().model(quickModel(firstTokenDelayMs)).state(state);
    for (TenantConfig t : tenants) {
      h.tenant(t);
    }
    h.tenant(tenant("warm", WARM_KEY, 1_000_000, 0, StateFailure.FAIL_CLOSED));
    gateways.add(h);
    h.start();
    // On a busy machine a cold connection may miss a first short timeout and fail open, which
    // would skew a count: start measuring once the gateway got an answer from its state
    // ("warm" fails closed, so a 200 means Redis answered).
    // (not with a model slower than the client's patience: those tests count leases in Redis)
    try {
      if (firstTokenDelayMs <= 3_000) {
        awaitStatus(h, WARM_KEY, 200);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return h;
  }

  private static TestClient.Response chat(GatewayHarness g, String key) throws Exception {
    return g.client.post("/v1/chat/completions", TestClient.chat(MODEL, "Hello there").encode(),
        "Authorization", "Bearer " + key);
  }

  private long leases(String tenant) {
    Redis client = Redis.createClient(testVertx,
        new RedisOptions().setConnectionString("redis://127.0.0.1:" + redisPort));
    try {
      return client.send(Request.cmd(Command.ZCARD).arg("thinkgate:leases:" + tenant)).await()
          .toLong();
    } finally {
      client.close();
    }
  }

  private void awaitLeases(String tenant, long expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (leases(tenant) != expected) {
      assertThat(System.nanoTime()).as("leases of " + tenant + " reach " + expected)
          .isLessThan(deadline);
      Thread.sleep(20); // test thread
    }
  }

  private static double counter(GatewayHarness g, String name, String... tags) {
    MeterRegistry registry = g.metrics.registry();
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aTenantLimitedToNRequestsPerMinuteGetsNAdmissionsAcrossThreeGateways() throws Exception {
    // Given three gateways on one Redis and a tenant limited to 6 requests a minute
    StateConfig state = redisState(redisPort, 30_000, 500);
    TenantConfig limited = tenant("rpm", KEY, 6, 0, null);
    List<GatewayHarness> three = List.of(gateway(state, 0, limited), gateway(state, 0, limited),
        gateway(state, 0, limited));

    // When 18 requests arrive, spread round-robin over the gateways
    int ok = 0;
    int limitedCount = 0;
    for (int i = 0; i < 18; i++) {
      TestClient.Response r = chat(three.get(i % 3), KEY);
      if (r.status() == 200) {
        ok++;
      } else if (r.status() == 429) {
        limitedCount++;
        assertThat(r.body()).contains("requests per minute");
        assertThat(r.header("Retry-After")).isNotNull();
      }
    }

    // Then 6 are admitted in total, not 6 per gateway, and Redis never failed
    assertThat(ok).isEqualTo(6);
    assertThat(limitedCount).isEqualTo(12);
    for (GatewayHarness g : three) {
      assertThat(g.metrics.registry().find("thinkgate_state_errors").counters()).isEmpty();
    }
  }

  @Test
  void maxConcurrentStreamsHoldsAcrossGatewaysAndAFinishedStreamFreesItsLease() throws Exception {
    // Given two gateways whose model takes 3 s to its first token, and a tenant of 3 streams
    StateConfig state = redisState(redisPort, 30_000, 500);
    TenantConfig t = tenant("streams", KEY, 0, 3, null);
    GatewayHarness a = gateway(state, 3_000, t);
    GatewayHarness b = gateway(state, 3_000, t);

    // When three streams are open, two on a and one on b
    List<CompletableFuture<TestClient.Response>> open = new ArrayList<>();
    for (GatewayHarness g : List.of(a, b, a)) {
      open.add(CompletableFuture.supplyAsync(() -> call(g), clients));
    }
    awaitLeases("streams", 3);

    // Then a fourth is refused on either gateway
    TestClient.Response onB = chat(b, KEY);
    TestClient.Response onA = chat(a, KEY);
    assertThat(onB.status()).isEqualTo(429);
    assertThat(onB.body()).contains("concurrent requests in flight");
    assertThat(onA.status()).isEqualTo(429);

    // and once they finished, their leases are gone and b admits again
    for (CompletableFuture<TestClient.Response> f : open) {
      assertThat(f.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
    }
    awaitLeases("streams", 0);
    assertThat(chat(b, KEY).status()).isEqualTo(200);
  }

  private TestClient.Response call(GatewayHarness g) {
    try {
      return chat(g, KEY);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aKilledGatewaysLeasesLapseWithinTheLeaseTtl() throws Exception {
    // Given gateway k reaching Redis through a link the test can cut, a survivor s, a lease TTL
    // of 1.5 s, and a tenant of 2 streams both held open on k by a slow model
    long ttlMs = 1_500;
    TcpCut link = new TcpCut(redisPort);
    cuts.add(link);
    TenantConfig t = tenant("crash", KEY, 0, 2, null);
    GatewayHarness k = gateway(redisState(link.port(), ttlMs, 300), 60_000, t);
    GatewayHarness s = gateway(redisState(redisPort, ttlMs, 300), 0, t);
    clients.submit(() -> call(k));
    clients.submit(() -> call(k));
    awaitLeases("crash", 2);
    // the leases outlive their TTL while k lives, because k refreshes them
    Thread.sleep(2 * ttlMs);
    assertThat(chat(s, KEY).status()).isEqualTo(429);

    // When k dies: it loses Redis and stops, so it never releases its leases
    link.cut();
    long died = System.nanoTime();
    k.close();
    gateways.remove(k);

    // Then the survivor refuses until the TTL frees the leases, and admits within the TTL
    TestClient.Response after;
    do {
      after = chat(s, KEY);
      if (after.status() == 200) {
        break;
      }
      assertThat(after.status()).isEqualTo(429);
      Thread.sleep(50); // test thread
    } while (System.nanoTime() - died < TimeUnit.MILLISECONDS.toNanos(ttlMs + 1_500));
    long freedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - died);
    assertThat(after.status()).as("admitted after %d ms", freedMs).isEqualTo(200);
    assertThat(freedMs).isLessThanOrEqualTo(ttlMs + 1_000);
  }

  @Test
  void redisDownOrSlowGivesEachTenantsFailModeAndNoRequestHangs() throws Exception {
    // Given gateway a on Redis directly, gateway b through a link that will stall, a command
    // timeout of 300 ms, tenant "open" (fail_open by default, 3 rpm) and "closed" (fail_closed)
    long timeoutMs = 300;
    TcpCut link = new TcpCut(redisPort);
    cuts.add(link);
    TenantConfig open = tenant("open", KEY, 3, 0, null);
    TenantConfig closed = tenant("closed", KEY + "-closed", 100, 0, StateFailure.FAIL_CLOSED);
    GatewayHarness a = gateway(redisState(redisPort, 30_000, timeoutMs), 0, open, closed);
    GatewayHarness b = gateway(redisState(link.port(), 30_000, timeoutMs), 0, open, closed);
    double[] before = {
        admissionErrors(a, "fail_closed"), admissionErrors(a, "fail_open"),
        admissionErrors(b, "fail_closed"), admissionErrors(b, "fail_open")};

    // When Redis stops (a) and stalls (b)
    redisServer.stop();
    link.stall();

    // Then "closed" is refused on both, "open" is served under a's local limit of 3 rpm
    long start = System.nanoTime();
    TestClient.Response closedOnA = chat(a, KEY + "-closed");
    TestClient.Response closedOnB = chat(b, KEY + "-closed");
    long closedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(closedOnA.status()).isEqualTo(429);
    assertThat(closedOnA.body()).contains("shared rate-limit state is unavailable");
    assertThat(closedOnB.status()).isEqualTo(429);
    int served = 0;
    int limited = 0;
    long slowest = 0;
    for (int i = 0; i < 5; i++) {
      long t0 = System.nanoTime();
      TestClient.Response r = chat(a, KEY);
      slowest = Math.max(slowest, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      if (r.status() == 200) {
        served++;
      } else {
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.body()).contains("requests per minute");
        limited++;
      }
    }
    TestClient.Response openOnB = chat(b, KEY);
    assertThat(served).as("local bucket of 3 on a").isEqualTo(3);
    assertThat(limited).isEqualTo(2);
    assertThat(openOnB.status()).isEqualTo(200);
    // no request waited much longer than one command timeout (b's stalled Redis took the timeout)
    assertThat(closedMs).isLessThan(2 * (timeoutMs + 700));
    assertThat(slowest).isLessThan(timeoutMs + 700);
    // and every decision was counted by what it decided
    assertThat(admissionErrors(a, "fail_closed") - before[0]).isEqualTo(1);
    assertThat(admissionErrors(a, "fail_open") - before[1]).isEqualTo(5);
    assertThat(admissionErrors(b, "fail_closed") - before[2]).isEqualTo(1);
    assertThat(admissionErrors(b, "fail_open") - before[3]).isEqualTo(1);
    assertThat(a.client.get("/metrics").body()).contains(
        "thinkgate_state_errors_total{decision=\"fail_open\",operation=\"admission\"} "
            + (before[1] + 5));
  }

  private static double admissionErrors(GatewayHarness g, String decision) {
    return counter(g, "thinkgate_state_errors", "operation", "admission", "decision", decision);
  }

  private static void awaitStatus(GatewayHarness g, String key, int status) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (chat(g, key).status() != status) {
      assertThat(System.nanoTime()).as("status " + status).isLessThan(deadline);
      Thread.sleep(100); // test thread
    }
  }

  @Test
  void aStreamOpenWhenRedisStopsFinishesIntact() throws Exception {
    // Given a stream admitted through Redis, waiting 2 s for its model's first token, whose
    // lease (TTL 1.2 s) is refreshed every 400 ms
    TenantConfig t = tenant("open-stream", KEY, 0, 2, null);
    GatewayHarness g = gateway(redisState(redisPort, 1_200, 300), 2_000, t);
    CompletableFuture<TestClient.Stream> stream = CompletableFuture.supplyAsync(() -> {
      try {
        return g.client.stream("/v1/chat/completions", TestClient.chat(MODEL, "Hello there"),
            "Authorization", "Bearer " + KEY);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, clients);
    awaitLeases("open-stream", 1);

    // When Redis stops under it
    redisServer.stop();

    // Then the stream still ends whole, and the lost refresh and release are only counted
    TestClient.Stream s = stream.get(20, TimeUnit.SECONDS);
    assertThat(s.status()).isEqualTo(200);
    assertThat(s.done()).isTrue();
    assertThat(s.answer().strip()).isEqualTo("A short answer.");
    assertThat(s.thinking()).contains("A short thought.");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (counter(g, "thinkgate_state_errors", "operation", "lease_release",
        "decision", "skipped") < 1) {
      assertThat(System.nanoTime()).as("the failed release is counted").isLessThan(deadline);
      Thread.sleep(20); // test thread
    }
    assertThat(counter(g, "thinkgate_state_errors", "operation", "lease_refresh",
        "decision", "skipped")).isPositive();
  }

  @Test
  void aVerdictComputedOnOneGatewayIsASharedCacheHitOnAnother(@TempDir Path policies)
      throws Exception {
    // Given two gateways, each with its own emulated guard, sharing verdicts through Redis, and
    // a policy that screens the prompt (one guard prompt a request, whatever the timing)
    Files.writeString(policies.resolve("input-only.yaml"), """
        screening:
          input: {action: refuse}
          on_guard_error: fail_closed
        """);
    StateConfig state = redisState(redisPort, 30_000, 500);
    GatewayHarness a = screened(state, policies);
    GatewayHarness b = screened(state, policies);
    JsonObject request = TestClient.chat(MODEL, "How do I bake bread?");

    // When the same request is screened on a, then on b
    TestClient.Response onA = a.client.post("/v1/chat/completions", request.encode());
    awaitVerdictsInRedis(1);
    TestClient.Response onB = b.client.post("/v1/chat/completions", request.encode());

    // Then the guard was called once, on a; b found a's verdict in the shared cache
    assertThat(onA.status()).isEqualTo(200);
    assertThat(onB.status()).isEqualTo(200);
    assertThat(onB.header("X-ThinkGate-Policy")).isEqualTo("input-only");
    assertThat(a.guard.requestCount()).isEqualTo(1);
    assertThat(b.guard.requestCount()).isZero();
    assertThat(counter(a, "thinkgate.guard.cache.l2", "guard", "default", "result", "miss"))
        .isEqualTo(1);
    assertThat(counter(b, "thinkgate.guard.cache.l2", "guard", "default", "result", "hit"))
        .isEqualTo(1);
    assertThat(counter(b, "thinkgate.guard.cache.l2", "guard", "default", "result", "miss"))
        .isZero();
    assertThat(b.client.get("/metrics").body()).contains(
        "thinkgate_guard_cache_l2_total{guard=\"default\",result=\"hit\"} 1.0");

    // and with Redis gone, b still screens: the miss calls its guard, counted as an L2 error
    redisServer.stop();
    long start = System.nanoTime();
    TestClient.Response afterOutage = b.client.post("/v1/chat/completions",
        TestClient.chat(MODEL, "How do I bake rye bread?").encode());
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
        .as("the lookup waited at most about one command timeout").isLessThan(2_500);
    assertThat(afterOutage.status()).isEqualTo(200);
    assertThat(b.guard.requestCount()).isEqualTo(1);
    assertThat(counter(b, "thinkgate_state_errors", "operation", "cache_get",
        "decision", "guard_called")).isEqualTo(1);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (counter(b, "thinkgate_state_errors", "operation", "cache_put", "decision", "skipped")
        < 1) {
      assertThat(System.nanoTime()).as("the failed store is counted").isLessThan(deadline);
      Thread.sleep(10); // test thread
    }
    assertThat(counter(b, "thinkgate.guard.cache.l2", "guard", "default", "result", "error"))
        .isEqualTo(2);
  }

  /** The L2 write is not on the request path: wait until it landed. */
  private void awaitVerdictsInRedis(int count) throws Exception {
    Redis client = Redis.createClient(testVertx,
        new RedisOptions().setConnectionString("redis://127.0.0.1:" + redisPort));
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (client.send(Request.cmd(Command.KEYS).arg("thinkgate:verdict:*")).await().size()
          < count) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.sleep(10); // test thread
      }
    } finally {
      client.close();
    }
  }

  private GatewayHarness screened(StateConfig state, Path policies) {
    GatewayHarness h = new GatewayHarness().model(quickModel(0))
        .guard(GuardEmulatorOptions.defaults()).sharedGuardCache().state(state)
        .policies(policies).policy("input-only");
    gateways.add(h);
    return h.start();
  }

  @Test
  void aReloadMovesAdmissionBetweenLocalAndSharedState() throws Exception {
    // Given two gateways with local state and a tenant of 2 requests a minute
    TenantConfig t = tenant("reload", KEY, 2, 0, null);
    GatewayHarness a = gateway(StateConfig.LOCAL, 0, t);
    GatewayHarness b = gateway(StateConfig.LOCAL, 0, t);
    // each gateway admits 2 of its own
    assertThat(List.of(chat(a, KEY).status(), chat(a, KEY).status(), chat(b, KEY).status(),
        chat(b, KEY).status(), chat(a, KEY).status())).containsExactly(200, 200, 200, 200, 429);

    // When both reload onto one Redis
    for (GatewayHarness g : List.of(a, b)) {
      g.gateway.apply(withState(g.config, redisState(redisPort, 30_000, 500)));
    }

    // Then the bucket is shared: 2 admissions in total
    int ok = 0;
    for (int i = 0; i < 6; i++) {
      ok += chat(i % 2 == 0 ? a : b, KEY).status() == 200 ? 1 : 0;
    }
    assertThat(ok).isEqualTo(2);

    // and back on local state, a's own (refilled-by-nothing) bucket applies again, Redis unused
    a.gateway.apply(withState(a.config, StateConfig.LOCAL));
    redisServer.stop();
    assertThat(chat(a, KEY).status()).isEqualTo(429);
    assertThat(a.metrics.registry().find("thinkgate_state_errors").counters()).isEmpty();
  }

  private static dev.thinkgate.config.GatewayConfig withState(
      dev.thinkgate.config.GatewayConfig c, StateConfig state) {
    return new dev.thinkgate.config.GatewayConfig(c.server(), c.routes(), c.guards(), c.tenants(),
        c.audit(), c.policies(), state);
  }
}
