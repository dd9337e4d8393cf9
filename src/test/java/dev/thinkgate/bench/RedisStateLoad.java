package dev.thinkgate.bench;

import dev.thinkgate.audit.AuditSinks;
import dev.thinkgate.config.ApiKeyHash;
import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.AuditConfig;
import dev.thinkgate.config.GatewayConfig.RedisConfig;
import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.ServerConfig;
import dev.thinkgate.config.GatewayConfig.StateBackend;
import dev.thinkgate.config.GatewayConfig.StateConfig;
import dev.thinkgate.config.GatewayConfig.StateFailure;
import dev.thinkgate.config.GatewayConfig.TenantConfig;
import dev.thinkgate.config.GatewayConfig.Timeouts;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.config.LoadResult;
import dev.thinkgate.emulator.EmulatedModelServer;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import dev.thinkgate.metrics.GatewayMetrics;
import dev.thinkgate.proxy.GatewayServer;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import redis.embedded.RedisServer;

/**
 * The Redis limiter end to end: one gateway (real sockets, emulated model, passthrough policy)
 * under 64 concurrent streaming clients, with {@code state.backend: local}, then with a local
 * redis-server, the tenant limited (so every admission runs the script and holds a lease). Prints
 * client time to first token and the gateway's own {@code thinkgate_admission} percentiles.
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     dev.thinkgate.bench.RedisStateLoad [concurrency=64] [seconds=10]
 * </pre>
 */
public final class RedisStateLoad {
  private static final String MODEL = ModelEmulatorOptions.DEFAULT_MODEL;
  private static final String KEY = "tg-bench-redis";

  private RedisStateLoad() {}

  public static void main(String[] args) throws Exception {
    int concurrency = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    RedisServer redis = new RedisServer(port);
    redis.start();
    Vertx backend = Vertx.vertx();
    String words = "word ".repeat(63) + "end.";
    EmulatedModelServer model = new EmulatedModelServer(backend, ModelEmulatorOptions.builder()
        .scriptOverride(body -> Script.of(words, words)).build());
    int modelPort = model.start("127.0.0.1", 0).await();
    try {
      System.out.printf("gateway end to end, %d concurrent streams, %d s round after a 5 s"
          + " warm-up, 64+64 tokens a stream%n", concurrency, seconds);
      StateConfig shared = new StateConfig(StateBackend.REDIS, StateFailure.FAIL_CLOSED,
          new RedisConfig("redis://127.0.0.1:" + port, 1_000, 250, 30_000, "load:", 16));
      // local again at the end: the first run also warms the JVM, and the machine is shared
      for (StateConfig state : List.of(StateConfig.LOCAL, shared, StateConfig.LOCAL)) {
        run(state, modelPort, concurrency, seconds);
      }
    } finally {
      backend.close().await();
      redis.stop();
    }
  }

  private static void run(StateConfig state, int modelPort, int concurrency, int seconds)
      throws Exception {
    GatewayMetrics metrics = new GatewayMetrics();
    Vertx vertx = Vertx.vertx();
    RouteConfig route = new RouteConfig("*", "http://127.0.0.1:" + modelPort,
        UpstreamDialect.VLLM, null, null, "deepseek-r1", false, false,
        new Timeouts(5_000, 60_000, 60_000, 600_000), "/health");
    TenantConfig tenant = new TenantConfig("bench", List.of(ApiKeyHash.of(KEY)), "passthrough",
        List.of("*"), 1_000_000_000, 100_000, null);
    GatewayConfig base = new GatewayConfig(new ServerConfig("127.0.0.1", 0, 0, null,
        ServerConfig.DEFAULT.maxBodyBytes(), 600_000, false), List.of(route), Map.of(),
        List.of(tenant), AuditConfig.NONE, Map.of(), state);
    LoadResult loaded = new ConfigLoader(name -> null).withPolicies(base, null);
    if (!loaded.ok()) {
      throw new IllegalStateException(loaded.errors().toString());
    }
    GatewayServer gateway = new GatewayServer(vertx, loaded.config(), metrics, name -> null,
        "passthrough", AuditSinks.discarding(), System::currentTimeMillis);
    int port = gateway.start("127.0.0.1", 0).await();
    Target target = new Target(state.backend().name().toLowerCase(), "http://127.0.0.1:" + port,
        KEY, MODEL);
    try (LoadClient client = new LoadClient(concurrency)) {
      client.runRound(target, concurrency, Duration.ofSeconds(5), Duration.ofSeconds(1),
          () -> client.uniquePrompt(""));
      Measurement m = client.runRound(target, concurrency, Duration.ofSeconds(seconds),
          Duration.ofSeconds(1), () -> client.uniquePrompt(""));
      Measurement.Row row = m.row(target.label(), concurrency);
      Timer admission = metrics.registry().find("thinkgate_admission")
          .tag("backend", target.label()).timer();
      StringBuilder pct = new StringBuilder();
      for (ValueAtPercentile v : admission.takeSnapshot().percentileValues()) {
        pct.append(String.format(" p%.0f %.2f ms", v.percentile() * 100,
            v.value(TimeUnit.MILLISECONDS)));
      }
      double stateErrors = metrics.registry().find("thinkgate_state_errors").counters().stream()
          .mapToDouble(c -> c.count()).sum();
      System.out.printf("%-5s %6d streams (%.0f/s, %d errors)  client TTFT p50 %.2f ms p99 %.2f"
              + " ms | gateway admission (warm-up included):%s, %d admissions, state errors %.0f%n",
          target.label(), row.requests(), row.requestsPerSecond(), row.errors(),
          row.ttft().p50Ms(), row.ttft().p99Ms(), pct, admission.count(), stateErrors);
    } finally {
      gateway.close().await();
      vertx.close().await();
    }
  }
}
