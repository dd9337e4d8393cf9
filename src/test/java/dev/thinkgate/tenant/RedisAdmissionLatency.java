package dev.thinkgate.tenant;

import dev.thinkgate.config.ApiKeyHash;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.RedisConfig;
import dev.thinkgate.config.GatewayConfig.StateBackend;
import dev.thinkgate.config.GatewayConfig.StateConfig;
import dev.thinkgate.config.GatewayConfig.StateFailure;
import dev.thinkgate.state.StateErrors;
import dev.thinkgate.state.StateStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import redis.embedded.RedisServer;

/**
 * Measures the admission latency the Redis limiter adds: 64 concurrent "streams" on two event
 * loops, each admitted, held for a short while (its lease refreshed as in production), released,
 * and admitted again; once with {@code state.backend: local}, once against a local redis-server
 * (the embedded-redis binary). Prints p50 / p90 / p99 / max of the time {@link TenantAdmission}
 * takes to answer.
 *
 * <pre>
 * mvn -B -o test-compile
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     dev.thinkgate.tenant.RedisAdmissionLatency [streams=64] [seconds=10] [holdMs=20]
 * </pre>
 */
public final class RedisAdmissionLatency {
  private RedisAdmissionLatency() {}

  public static void main(String[] args) throws Exception {
    int streams = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    long holdMs = args.length > 2 ? Long.parseLong(args[2]) : 20;
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    RedisServer redis = new RedisServer(port);
    redis.start();
    try {
      StateConfig shared = shared(port, "warm-up:");
      System.out.printf("admission latency, %d concurrent streams, %d s, hold %d ms, 2 event"
          + " loops%n", streams, seconds, holdMs);
      // a short warm-up of each path, discarded, so the JIT has compiled both
      run(StateConfig.LOCAL, streams, 2, holdMs);
      run(shared, streams, 2, holdMs);
      System.out.println("reference, one stream at a time:");
      print("local", run(StateConfig.LOCAL, 1, 3, holdMs));
      print("redis", run(shared(port, "single:"), 1, 3, holdMs));
      System.out.printf("%d concurrent streams:%n", streams);
      print("local", run(StateConfig.LOCAL, streams, seconds, holdMs));
      // fresh keys: the warm-up's last leases may outlive its Vert.x until their TTL
      print("redis", run(shared(port, "measured:"), streams, seconds, holdMs));
    } finally {
      redis.stop();
    }
  }

  private static StateConfig shared(int port, String keyPrefix) {
    return new StateConfig(StateBackend.REDIS, StateFailure.FAIL_CLOSED,
        new RedisConfig("redis://127.0.0.1:" + port, 1_000, 250, 30_000, keyPrefix,
            Integer.getInteger("pool", 16)));
  }

  /** Admission latencies in microseconds, and how many were refused for a state error. */
  private record Result(long[] micros, long refused, long errors) {}

  private static Result run(StateConfig state, int streams, int seconds, long holdMs)
      throws Exception {
    Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setEventLoopPoolSize(2));
    StateStore store = new StateStore(vertx);
    store.apply(state);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StateErrors errors = new StateErrors(registry);
    TenantAdmission admission =
        new TenantAdmission(vertx, store, errors, registry, System::nanoTime);
    GatewayConfig.TenantConfig tenantConfig = new GatewayConfig.TenantConfig("bench",
        List.of(ApiKeyHash.of("tg-bench")), "passthrough", List.of("*"), 1_000_000_000,
        streams * 2);
    admission.apply(new GatewayConfig(null, null, null, List.of(tenantConfig), null, Map.of(),
        state));
    Tenant tenant = new Tenant("bench", "passthrough", List.of("*"),
        new Tenant.Limits(1_000_000_000, streams * 2));
    ConcurrentLinkedQueue<long[]> perStream = new ConcurrentLinkedQueue<>();
    long[] refused = new long[1];
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Promise<Void>[] done = new Promise[streams];
    for (int i = 0; i < streams; i++) {
      Promise<Void> finished = Promise.promise();
      done[i] = finished;
      Context loop = vertx.getOrCreateContext();
      long[] samples = new long[1 << 20];
      int[] count = new int[1];
      loop.runOnContext(v -> new Object() {
        void next() {
          if (System.nanoTime() >= end) {
            perStream.add(Arrays.copyOf(samples, count[0]));
            finished.complete();
            return;
          }
          long start = System.nanoTime();
          admission.acquire(tenant).onComplete(ar -> {
            if (count[0] < samples.length) {
              samples[count[0]++] = (System.nanoTime() - start) / 1_000;
            }
            if (ar.result() instanceof Admission.Admitted admitted) {
              vertx.setTimer(holdMs, t -> {
                admitted.release();
                next();
              });
            } else {
              synchronized (refused) {
                refused[0]++;
              }
              vertx.setTimer(holdMs, t -> next());
            }
          });
        }
      }.next());
    }
    for (Promise<Void> p : done) {
      p.future().await();
    }
    long stateErrors = errors.count("admission", "fail_closed");
    store.close();
    vertx.close().await();
    long[] all = perStream.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    return new Result(all, refused[0], stateErrors);
  }

  private static void print(String backend, Result r) {
    long[] s = r.micros();
    System.out.printf("%-6s admissions %7d  p50 %6d us  p90 %6d us  p99 %6d us  max %7d us"
            + "  refused %d (state errors %d)%n", backend, s.length, pct(s, 0.50), pct(s, 0.90),
        pct(s, 0.99), s.length == 0 ? 0 : s[s.length - 1], r.refused(), r.errors());
  }

  private static long pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  }
}
