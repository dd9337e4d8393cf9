package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.Timeouts;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a configuration reload replaces is retired, through a real gateway and the emulators: a
 * route's connection pools it no longer uses serve the stream still running on them to its end,
 * then keep no connection (the idle one closes at once, the busy one as its stream ends, instead
 * of idling until the keep-alive sweep); and a guard whose settings changed stops reporting, so
 * {@code thinkgate_guard_breaker_state} reads the guard now in use (a gauge registered again under
 * the same name and tags keeps reading the first object registered).
 */
class ReloadRetirementIT {

  @Test
  void aReloadRetiresTheRoutePoolsItNoLongerUsesAfterTheirStreamsEnd() throws Exception {
    // about 30 tokens at 40 a second: a stream of most of a second, running across the reload
    ModelEmulatorOptions slow = ModelEmulatorOptions.builder().tokensPerChunk(1)
        .tokensPerSecond(40).scriptOverride(body -> dev.thinkgate.emulator.Script.of(
            "The user asks for an answer; a short one will do.",
            "Here is the answer, short and whole, as asked for.")).build();
    try (GatewayHarness h = new GatewayHarness().model(slow).start()) {
      assertThat(h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, "warm up"))
          .status()).isEqualTo(200);
      UpstreamPools before = h.gateway.currentRuntime().routes().get(0).pools();
      await(() -> before.idleConnections() == 1);

      // Given a stream running on the route's pools
      CompletableFuture<TestClient.Stream> running = CompletableFuture.supplyAsync(() -> {
        try {
          return h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, "a long answer"));
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
      await(() -> before.openConnections() == 1 && before.idleConnections() == 0);

      // When a reload changes the route's timeouts (new pools)
      h.gateway.apply(withRoute(h.config, withConnectTimeout(h.config.routes().get(0), 4_321)));

      // Then the running stream ends whole on the retired pools, whose connection then closes
      TestClient.Stream s = running.get();
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.finishReason()).isEqualTo("stop");
      assertThat(before.retired()).isTrue();
      await(() -> before.openConnections() == 0);
      assertThat(before.idleConnections()).isZero();

      // And new requests get the new pools, which keep their connection idle for the next one
      assertThat(h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, "after"))
          .status()).isEqualTo(200);
      UpstreamPools after = h.gateway.currentRuntime().routes().get(0).pools();
      assertThat(after).isNotSameAs(before);
      assertThat(after.retired()).isFalse();
      await(() -> after.idleConnections() == 1);
      assertThat(h.client.get("/metrics").body())
          .contains("thinkgate_upstream_connections{state=\"open\",upstream=\"http://127.0.0.1:"
              + h.modelPort + "\"} 1.0");
    }
  }

  @Test
  void aReplacedGuardsGaugesReadItsReplacement(@TempDir Path policies) throws Exception {
    Files.writeString(policies.resolve("screened.yaml"), GatewayHarness.OPTIMISTIC_BLOCKING);
    try (GatewayHarness h = new GatewayHarness().guard(GuardEmulatorOptions.defaults())
        .policies(policies).policy("screened").start()) {
      assertThat(h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, "bread"))
          .status()).isEqualTo(200);
      assertThat(breakerState(h)).isEqualTo(0.0);

      // When the guard moves to an address nothing answers, its breaker opening after one failure
      int dead;
      try (ServerSocket s = new ServerSocket(0)) {
        dead = s.getLocalPort();
      }
      GuardConfig old = h.config.guards().get("default");
      GuardConfig moved = new GuardConfig("default", "http://127.0.0.1:" + dead, old.format(),
          old.model(), old.api(), null, 2_000, 64, 256, 1, 60_000, 10_000, 60_000, false);
      GatewayConfig c = h.config;
      h.gateway.apply(new GatewayConfig(c.server(), c.routes(), Map.of("default", moved),
          c.tenants(), c.audit(), c.policies(), c.state()));

      // Then (fail open) the client is served, and the breaker the gauge reads is the new guard's
      assertThat(h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, "bread"))
          .status()).isEqualTo(200);
      assertThat(breakerState(h)).isEqualTo(1.0);
    }
  }

  private static double breakerState(GatewayHarness h) throws Exception {
    String series = "thinkgate_guard_breaker_state{guard=\"default\"} ";
    return h.client.get("/metrics").body().lines().filter(l -> l.startsWith(series))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length()))).findFirst()
        .orElseThrow();
  }

  private static GatewayConfig withRoute(GatewayConfig c, RouteConfig route) {
    return new GatewayConfig(c.server(), List.of(route), c.guards(), c.tenants(), c.audit(),
        c.policies(), c.state());
  }

  private static RouteConfig withConnectTimeout(RouteConfig r, long connectMs) {
    Timeouts t = r.timeouts();
    return new RouteConfig(r.model(), r.upstream(), r.dialect(), r.upstreamModel(), r.apiKeyEnv(),
        r.chatTemplate(), r.enableThinkingKwarg(), r.implicitThinkOpen(), new Timeouts(connectMs,
            t.firstByteMs(), t.idleMs(), t.totalMs(), t.poolAcquireMs(), t.maxConnectionAgeMs()),
        r.healthPath());
  }

  /** Waits, bounded, for a state the gateway's loops reach on their own. */
  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 3_000_000_000L;
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5); // the test thread, not an event loop
    }
    assertThat(condition.getAsBoolean()).as("reached within 3 s").isTrue();
  }
}
