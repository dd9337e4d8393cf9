package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static dev.thinkgate.proxy.GracefulShutdownIT.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.config.ConfigStore;
import dev.thinkgate.emulator.EmulatedModelServer;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import dev.thinkgate.metrics.GatewayMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shutdown path called in-process with a short drain timeout: what is still open at the
 * deadline ends with an error the client can see, never a silent truncation.
 */
class DrainDeadlineIT {
  private static final String THINKING = "Counting slowly: one, two, three, four, five, six,"
      + " seven, eight, nine, ten, eleven, twelve, thirteen, fourteen, fifteen, sixteen.";
  private static final String ANSWER = "Sixteen numbers, counted one at a time, slowly enough"
      + " that nobody could finish reading them before the gateway shuts down.";

  /** 10 tokens/s: each generation takes several seconds, far past the 300 ms drain. */
  private static ModelEmulatorOptions slowModel() {
    return ModelEmulatorOptions.builder().tokensPerSecond(10)
        .scriptOverride(body -> Script.of(THINKING, ANSWER)).build();
  }

  @Test
  void streamsOpenAtTheDeadlineEndWithAnErrorEventAndRequestsWithA503() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(slowModel()).start()) {
      // Given three streams that have started (chunks reached the client) and one non-stream
      // request, all far from done
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<TestClient.Stream>> streams = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        JsonObject body = TestClient.chat(MODEL, "Count slowly #" + i);
        streams.add(pool.submit(() -> h.client.stream("/v1/chat/completions", body)));
      }
      Future<TestClient.Response> nonStream = pool.submit(() -> h.client.post(
          "/v1/chat/completions", TestClient.chat(MODEL, "Count slowly, all at once").encode()));
      awaitTrue("4 generations at the model", 10_000, () -> h.model.activeStreams() == 4);
      awaitTrue("the streams under way", 10_000, () -> h.model.producedChunks() >= 3 * 5);

      // When the gateway drains with a 300 ms timeout
      DrainReport report = h.gateway.drain(300).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);

      // Then all four were ended at the deadline, none abandoned
      assertThat(report.openAtStart()).isEqualTo(4);
      assertThat(report.endedAtDeadline()).isEqualTo(4);
      assertThat(report.abandoned()).isZero();
      assertThat(report.finished()).isZero();
      assertThat(report.elapsedMs()).isBetween(300L, 5_000L);

      // And each stream got its chunks so far (an exact prefix), then one OpenAI error event as
      // its last line of data, and no [DONE]
      for (Future<TestClient.Stream> f : streams) {
        TestClient.Stream s = f.get(10, TimeUnit.SECONDS);
        assertThat(s.status()).isEqualTo(200);
        assertThat(s.chunks()).isNotEmpty();
        assertThat(THINKING + "\n").startsWith(s.thinking());
        assertThat(s.done()).isFalse();
        assertThat(s.error()).isNotNull();
        assertThat(s.error().getString("code")).isEqualTo("shutting_down");
        assertThat(s.error().getString("type")).isEqualTo("service_unavailable");
        assertThat(s.error().getString("message")).contains("drain timeout of 300 ms");
        List<String> data = s.rawLines().stream().filter(l -> l.startsWith("data: ")).toList();
        assertThat(new JsonObject(data.get(data.size() - 1).substring(6)).getJsonObject("error"))
            .isEqualTo(s.error());
      }
      // And the non-stream request got a 503 error body
      TestClient.Response response = nonStream.get(10, TimeUnit.SECONDS);
      assertThat(response.status()).isEqualTo(503);
      assertThat(response.json().getJsonObject("error").getString("code"))
          .isEqualTo("shutting_down");
      // And the upstream generations were cancelled
      awaitTrue("upstream cancelled", 10_000, () -> h.model.activeStreams() == 0);
      pool.shutdown();
    }
  }

  @Test
  void drainingRefusesNewRequestsAndReadinessWhileOpenRequestsRunOn() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(slowModel()).start()) {
      // Given one open stream
      ExecutorService pool = Executors.newSingleThreadExecutor();
      Future<TestClient.Stream> open = pool.submit(() -> h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "Count slowly")));
      awaitTrue("the stream at the model", 10_000, () -> h.model.activeStreams() == 1);

      // When the drain starts (with a long timeout)
      io.vertx.core.Future<DrainReport> drained = h.gateway.drain(60_000);

      // Then readiness and new requests get 503 at once, health stays 200
      TestClient.Response ready = h.client.get("/ready");
      assertThat(ready.status()).isEqualTo(503);
      assertThat(ready.json().getJsonObject("error").getString("message"))
          .contains("shutting down");
      assertThat(h.client.get("/health").status()).isEqualTo(200);
      TestClient.Response refused = h.client.post("/v1/chat/completions",
          TestClient.chat(MODEL, "one more").encode());
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.header("Retry-After")).isEqualTo("1");
      assertThat(refused.header("Connection")).isEqualTo("close");
      assertThat(refused.json().getJsonObject("error").getString("code"))
          .isEqualTo("shutting_down");
      assertThat(drained.isComplete()).isFalse();
      // And a second call is the same drain
      assertThat(h.gateway.drain(0)).isSameAs(drained);

      // And the open stream finishes intact, which completes the drain
      TestClient.Stream s = open.get(30, TimeUnit.SECONDS);
      assertThat(s.done()).isTrue();
      assertThat(s.error()).isNull();
      assertThat(s.answer()).isEqualTo("\n\n" + ANSWER);
      DrainReport report = drained.toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      assertThat(report.finished()).isEqualTo(1);
      assertThat(report.endedAtDeadline()).isZero();
      pool.shutdown();
    }
  }

  @Test
  void gatewayShutdownEndsStreamsAtTheConfiguredDrainTimeoutThenClosesAndFlushesTheAudit(
      @TempDir Path dir) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      // Given a gateway configured with drain_timeout_ms: 300 and a file audit sink recording
      // every request, and two streams under way at a slow model
      EmulatedModelServer model = new EmulatedModelServer(vertx, slowModel());
      int modelPort = model.start("127.0.0.1", 0).await();
      Path audit = Files.createDirectories(dir.resolve("audit"));
      Path policies = Files.createDirectories(dir.resolve("policies"));
      Files.writeString(policies.resolve("recorded.yaml"), "audit: {sample_rate: 1.0}\n");
      Path config = dir.resolve("thinkgate.yaml");
      Files.writeString(config, """
          server: {host: 127.0.0.1, port: 0, admin_port: 0, drain_timeout_ms: 300}
          routes: [{model: "*", upstream: "http://127.0.0.1:%d", dialect: vllm,
                    chat_template: deepseek-r1}]
          audit: {sinks: [{type: file, dir: "%s"}]}
          """.formatted(modelPort, audit));
      GatewayMetrics metrics = new GatewayMetrics();
      ConfigStore store = new ConfigStore(new ConfigLoader(name -> null), config, policies,
          metrics.registry(), Clock.systemUTC());
      Gateway gateway = Gateway.start(vertx, store, metrics, name -> null, "recorded", false);
      TestClient client = new TestClient(gateway.baseUrl());
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<TestClient.Stream>> streams = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        JsonObject body = TestClient.chat(MODEL, "Count slowly #" + i);
        streams.add(pool.submit(() -> client.stream("/v1/chat/completions", body)));
      }
      awaitTrue("2 streams under way", 10_000,
          () -> model.activeStreams() == 2 && model.producedChunks() >= 10);

      // When the gateway shuts down (what SIGTERM runs)
      DrainReport report = gateway.shutdown();

      // Then both streams ended at the configured deadline with an error event
      assertThat(report.endedAtDeadline()).isEqualTo(2);
      assertThat(report.elapsedMs()).isGreaterThanOrEqualTo(300);
      for (Future<TestClient.Stream> f : streams) {
        TestClient.Stream s = f.get(10, TimeUnit.SECONDS);
        assertThat(s.done()).isFalse();
        assertThat(s.error().getString("code")).isEqualTo("shutting_down");
      }
      // And the port is closed, a second shutdown returns the same report
      assertThatThrownBy(() -> client.get("/health")).isInstanceOf(java.io.IOException.class);
      assertThat(gateway.shutdown()).isSameAs(report);
      // And the sink was flushed and closed: both records are in the (compressed) file, each
      // with exactly what its client received
      List<JsonObject> records = new ArrayList<>();
      try (Stream<Path> files = Files.list(audit)) {
        for (Path file : files.filter(p -> p.toString().endsWith(".jsonl.gz")).toList()) {
          try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                .forEach(line -> records.add(new JsonObject(line)));
          }
        }
      }
      assertThat(records).hasSize(2);
      List<String> received = new ArrayList<>();
      for (Future<TestClient.Stream> f : streams) {
        received.add(f.get().thinking());
      }
      assertThat(records).extracting(r -> r.getString("thinking"))
          .containsExactlyInAnyOrderElementsOf(received);
      // cut short by the deadline: recorded as ended in error, not as a generation with no end
      assertThat(records).extracting(r -> r.getString("finish_reason")).containsOnly("error");
      pool.shutdown();
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void drainWithNothingOpenCompletesAtOnceAndNegativeTimeoutsAreRefused() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(slowModel()).start()) {
      assertThatThrownBy(() -> h.gateway.drain(-1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("timeoutMs must be >= 0, was -1");
      DrainReport report = h.gateway.drain(60_000).toCompletionStage().toCompletableFuture()
          .get(5, TimeUnit.SECONDS);
      assertThat(report.openAtStart()).isZero();
      assertThat(report.elapsedMs()).isLessThan(5_000);
    }
  }
}
