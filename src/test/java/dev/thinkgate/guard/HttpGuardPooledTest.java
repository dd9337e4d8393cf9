package dev.thinkgate.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.GuardConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Every {@link HttpGuardTest} again, with the guard's calls made on an event loop over the
 * gateway's pooled HTTP/1.1 client ({@code proxy.PooledHttp1Client}) instead of Vert.x's HTTP
 * client (closed here, so nothing can fall back to it): the same requests on the wire, timeouts,
 * queue, cancellation (from the test's thread, not the call's loop), breaker and failure kinds.
 */
class HttpGuardPooledTest extends HttpGuardTest {
  private Context loop;

  @Override
  HttpGuard guard(GuardConfig config, Function<String, String> env) {
    // Vert.x's client is closed: a call that went through it instead would fail the test
    io.vertx.core.http.HttpClient closed = vertx.createHttpClient();
    closed.close();
    return new HttpGuard(config, Guards.format(config.format()), closed,
        (url, authorization, connectMs) -> new dev.thinkgate.proxy.PooledHttp1Client(vertx, url,
            connectMs, authorization), vertx, registry, env, clock::get);
  }

  @Override
  Future<GuardVerdict> judge(Guard guard, GuardRequest r) throws Exception {
    return onLoop(() -> guard.judge(r));
  }

  @Override
  java.util.List<Future<GuardVerdict>> judgeAll(Guard guard, java.util.List<GuardRequest> requests)
      throws Exception {
    return onLoop(() -> guard.judgeAll(requests));
  }

  private <T> T onLoop(java.util.function.Supplier<T> body) throws Exception {
    if (loop == null || loop.owner() != vertx) {
      loop = vertx.getOrCreateContext();
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    loop.runOnContext(v -> result.complete(body.get()));
    return result.get(5, TimeUnit.SECONDS);
  }

  /**
   * Two event loops judge batches of one to three at once through a guard of two slots and a
   * short queue, while the test thread cancels some of them: every verdict ends (a verdict, a
   * cancellation or an overload, never a hang), each is counted once, and every slot comes back.
   */
  @org.junit.jupiter.api.Test
  void batchesFromTwoLoopsWithCancellationsAllEndAndFreeTheirSlots() throws Exception {
    batchCompletions();
    HttpGuard guard = guard(new GuardConfig("default", "http://127.0.0.1:" + port(),
        dev.thinkgate.config.GatewayConfig.GuardFormat.LLAMA_GUARD_3, null,
        dev.thinkgate.config.GatewayConfig.GuardApi.COMPLETIONS, null, 5_000, 2, 8, 1_000, 1_000,
        0, 0), name -> null);
    java.util.List<Future<GuardVerdict>> all =
        java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    // off a Vert.x thread each call makes a new event-loop context, the loops taken in turn
    java.util.List<Context> loops = java.util.List.of(vertx.getOrCreateContext(),
        vertx.getOrCreateContext());
    java.util.Random random = new java.util.Random(42);
    java.util.concurrent.CountDownLatch issued = new java.util.concurrent.CountDownLatch(2);
    for (Context loop : loops) {
      long seed = random.nextLong();
      loop.runOnContext(v -> {
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < 150; i++) {
          int n = 1 + r.nextInt(3);
          java.util.List<GuardRequest> batch = new java.util.ArrayList<>();
          for (int j = 0; j < n; j++) {
            batch.add(new GuardRequest("u" + i, r.nextBoolean() ? "a bomb" : "bread " + j,
                java.util.List.of()));
          }
          all.addAll(guard.judgeAll(batch));
        }
        issued.countDown();
      });
    }
    assertThat(issued.await(10, TimeUnit.SECONDS)).isTrue();
    java.util.List<Future<GuardVerdict>> snapshot;
    synchronized (all) {
      snapshot = java.util.List.copyOf(all);
    }
    for (int i = 0; i < snapshot.size(); i += 3) {
      guard.cancel(snapshot.get(i));
    }
    for (Future<GuardVerdict> f : snapshot) {
      f.toCompletionStage().toCompletableFuture().handle((v, e) -> null)
          .get(10, TimeUnit.SECONDS);
    }
    long deadline = System.currentTimeMillis() + 5_000;
    while (guard.inFlight() != 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(5);
    }
    assertThat(guard.inFlight()).isZero();
    double counted = registry.find("thinkgate.guard.calls").counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    assertThat(counted).isEqualTo(snapshot.size());
    assertThat(snapshot).allMatch(f -> f.isComplete());
  }
}
