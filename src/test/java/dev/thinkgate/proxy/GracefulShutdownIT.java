package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.cli.Main;
import dev.thinkgate.emulator.EmulatedModelServer;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real {@code thinkgate serve} process while 20 streams are open: readiness turns
 * 503 at once, a new request is refused with 503, every open stream finishes intact, every one
 * is in the audit file, and the process exits 0.
 */
class GracefulShutdownIT {
  private static final int STREAMS = 20;
  private static final String THINKING = "The user asks how tides work. The moon pulls the near"
      + " side of the ocean, the far side lags behind, so two bulges sweep around the planet"
      + " each day; the sun adds a smaller pull, which gives spring and neap tides.";
  private static final String ANSWER = "Tides come from the moon's gravity pulling the oceans"
      + " into two bulges that the Earth turns through twice a day; when the sun lines up with"
      + " the moon the tides are higher (spring tides), at right angles lower (neap tides).";

  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();
  private Process child;

  @AfterEach
  void tearDown() {
    if (child != null) {
      child.destroyForcibly();
    }
    vertx.close().await();
  }

  @Test
  void sigtermDrainsTwentyOpenStreamsFlushesTheAuditAndExitsZero() throws Exception {
    // Given the emulated model at 15 tokens/s (a stream takes about eight seconds) and a gateway
    // process that audits every request to a file, with a drain timeout far above that
    EmulatedModelServer model = new EmulatedModelServer(vertx, ModelEmulatorOptions.builder()
        .tokensPerSecond(15).scriptOverride(body -> Script.of(THINKING, ANSWER)).build());
    int modelPort = model.start("127.0.0.1", 0).await();
    int port = freePort();
    Path audit = Files.createDirectories(dir.resolve("audit"));
    Path policies = Files.createDirectories(dir.resolve("policies"));
    Files.writeString(policies.resolve("recorded.yaml"), """
        description: passthrough, every request audited
        audit:
          sample_rate: 1.0
        """);
    Path config = dir.resolve("thinkgate.yaml");
    Files.writeString(config, """
        server:
          host: 127.0.0.1
          port: %d
          admin_port: 0
          watch_config: false
          drain_timeout_ms: 60000
        routes:
          - model: "*"
            upstream: http://127.0.0.1:%d
            dialect: vllm
            chat_template: deepseek-r1
        audit:
          sinks:
            - type: file
              dir: %s
        """.formatted(port, modelPort, audit));
    Path stderr = dir.resolve("stderr.log");
    child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "serve", "--config", config.toString(), "--policies", policies.toString(),
        "--policy", "recorded")
        .redirectOutput(dir.resolve("stdout.log").toFile())
        .redirectError(stderr.toFile())
        .start();
    TestClient client = new TestClient("http://127.0.0.1:" + port);
    awaitTrue("the gateway to be ready", 60_000, () -> status(client, "/ready") == 200);

    // When 20 streams are open at the model and the process gets SIGTERM
    ExecutorService clients = Executors.newFixedThreadPool(STREAMS);
    List<Future<TestClient.Stream>> streams = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      JsonObject request = TestClient.chat(MODEL, "How do tides work? #" + i);
      streams.add(clients.submit(() -> client.stream("/v1/chat/completions", request)));
    }
    awaitTrue("20 streams open at the model", 30_000, () -> model.activeStreams() == STREAMS);
    long sigterm = System.nanoTime();
    child.destroy(); // SIGTERM on Linux

    // Then readiness is 503 at once (while the streams still run), and a new request is refused
    awaitTrue("readiness 503", 5_000, () -> status(client, "/ready") == 503);
    assertThat(model.activeStreams()).as("streams still open when readiness turned 503")
        .isPositive();
    TestClient.Response refused = new TestClient("http://127.0.0.1:" + port).post(
        "/v1/chat/completions", TestClient.chat(MODEL, "one more").encode());
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.json().getJsonObject("error").getString("code")).isEqualTo("shutting_down");
    assertThat(refused.json().getJsonObject("error").getString("type"))
        .isEqualTo("service_unavailable");
    assertThat(refused.header("Retry-After")).isEqualTo("1");

    // And every open stream finishes intact
    for (Future<TestClient.Stream> f : streams) {
      TestClient.Stream s = f.get(60, TimeUnit.SECONDS);
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.error()).isNull();
      assertThat(s.done()).as("[DONE]").isTrue();
      assertThat(s.thinking()).isEqualTo(THINKING + "\n");
      assertThat(s.answer()).isEqualTo("\n\n" + ANSWER);
      assertThat(s.finishReason()).isEqualTo("stop");
    }
    clients.shutdown();

    // And the process exits 0 once they are done
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
    long drainMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sigterm);
    String log = Files.readString(stderr, StandardCharsets.UTF_8);
    assertThat(child.exitValue()).as("exit code; stderr:\n" + log).isZero();
    log.lines().filter(l -> l.contains("shutdown") || l.contains("SIGTERM"))
        .forEach(l -> System.out.println("  child: " + l));
    assertThat(log).contains("SIGTERM: shutting down gracefully")
        .contains("draining 20 streams and 0 other requests open")
        .containsPattern("shutdown: draining, \\d+ streams? and 0 other requests open, \\d+ audit"
            + " records? pending, 0 Safe@K samples generating, \\d+ ms left")
        .contains("20 of 20 open requests finished, 0 ended at the deadline, 0 abandoned")
        .contains("audit sinks flushed and closed");
    assertThat(Files.readString(dir.resolve("stdout.log")))
        .contains("ThinkGate stopped: 20 open requests finished");
    assertThat(drainMs).as("drain took well under the 60 s timeout").isLessThan(30_000);
    System.out.println("GracefulShutdownIT: SIGTERM to exit " + drainMs + " ms with " + STREAMS
        + " streams open");
    // with the listener closed, a client is refused
    assertThat(connectionRefused(client)).isTrue();

    // And the audit file holds the 20 records, each a valid JSON line with the full response
    // (the sink compresses the file it closes, so the lines are in a .jsonl.gz)
    List<JsonObject> records = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> listing = Files.list(audit)) {
      files = listing.sorted().toList();
    }
    for (Path file : files) {
      String text;
      if (file.toString().endsWith(".jsonl.gz")) {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
          text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      } else {
        assertThat(file.toString()).as("no partial or temporary audit file").endsWith(".jsonl");
        text = Files.readString(file, StandardCharsets.UTF_8);
      }
      assertThat(text).as("whole lines").endsWith("\n");
      for (String line : text.split("\n")) {
        records.add(new JsonObject(line));
      }
    }
    assertThat(records).as("records in " + files).hasSize(STREAMS);
    Set<String> prompts = new HashSet<>();
    for (JsonObject r : records) {
      assertThat(r.getString("answer")).isEqualTo("\n\n" + ANSWER);
      assertThat(r.getString("thinking")).isEqualTo(THINKING + "\n");
      assertThat(r.getString("finish_reason")).isEqualTo("stop");
      prompts.add(r.getString("prompt"));
    }
    assertThat(prompts).hasSize(STREAMS);
  }

  private static int status(TestClient client, String path) {
    try {
      return client.get(path).status();
    } catch (Exception e) {
      return -1;
    }
  }

  private static boolean connectionRefused(TestClient client) {
    try {
      client.get("/health");
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (Exception e) {
      return e.getCause() instanceof ConnectException;
    }
  }

  /** Polls {@code condition} every 20 ms; fails after {@code timeoutMs}. */
  static void awaitTrue(String what, long timeoutMs, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
