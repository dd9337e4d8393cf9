package dev.thinkgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.KafkaTestBroker;
import dev.thinkgate.config.ApiKeyHash;
import dev.thinkgate.emulator.EmulatedModelServer;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code thinkgate serve --config} with a file sink and a Kafka sink declared in
 * {@code conf/thinkgate.yaml}: both receive every record, {@code /metrics} counts the broker's
 * acknowledgements, and stopping the gateway flushes the Kafka sink.
 */
class ServeKafkaAuditIT {
  private static final String MODEL = ModelEmulatorOptions.DEFAULT_MODEL;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void theConfiguredKafkaSinkReceivesWhatTheFileSinkDoes(@TempDir Path dir) throws Exception {
    Vertx vertx = Vertx.vertx();
    try (KafkaTestBroker broker = KafkaTestBroker.start(dir.resolve("broker"))) {
      String topic = "thinkgate.audit";
      broker.createTopic(topic, 3);
      int modelPort = new EmulatedModelServer(vertx, ModelEmulatorOptions.builder()
          .tokensPerSecond(0).build()).start("127.0.0.1", 0).await();
      int adminPort = freePort();
      Path policies = Files.createDirectories(dir.resolve("policies"));
      Files.writeString(policies.resolve("team.yaml"), "audit: {sample_rate: 1.0}\n");
      Path audit = dir.resolve("audit");
      Path conf = dir.resolve("thinkgate.yaml");
      Files.writeString(conf, """
          server: {host: 127.0.0.1, port: 0, admin_port: %d}
          routes:
            - {model: "*", upstream: "http://127.0.0.1:%d"}
          tenants:
            team: {key_hashes: [%s], policy: team}
          audit:
            sinks:
              - {type: file, dir: %s, flush_interval_ms: 10, gzip_rotated: false}
              - type: kafka
                bootstrap_servers: ${KAFKA}
                topic: %s
                compression: lz4
                producer_properties: {linger.ms: 5}
          """.formatted(adminPort, modelPort, ApiKeyHash.of("team-key"), audit, topic));
      ServeCommand serve = new ServeCommand();
      new CommandLine(serve).parseArgs("--config", conf.toString(), "--policies",
          policies.toString());
      Map<String, String> env = Map.of("KAFKA", broker.bootstrapServers());

      int requests = 5;
      try (Runtimes.Started started = serve.start(env::get)) {
        String base = started.gateway().baseUrl();
        for (int i = 0; i < requests; i++) {
          HttpResponse<String> r = post(base, "What is " + i + " + 2?");
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        String metric = "thinkgate_audit_written_total{sink=\"kafka:" + topic + "\"";
        waitUntil(() -> get("http://127.0.0.1:" + adminPort + "/metrics").lines()
            .anyMatch(l -> l.startsWith(metric) && l.endsWith(" " + requests + ".0")), 15_000);
      }

      List<String> fileLines;
      try (Stream<Path> files = Files.walk(audit)) {
        List<Path> plain = files.filter(p -> p.toString().endsWith(".jsonl")).toList();
        fileLines = new java.util.ArrayList<>();
        for (Path p : plain) {
          Files.readAllLines(p).stream().filter(l -> !l.isBlank()).forEach(fileLines::add);
        }
      }
      List<String> messages = broker.readAll(topic).stream()
          .map(m -> new String(m.value(), StandardCharsets.UTF_8)).toList();
      assertThat(messages).hasSize(requests).containsExactlyInAnyOrderElementsOf(fileLines);
      assertThat(messages).allSatisfy(m -> assertThat(new JsonObject(m).getString("tenant"))
          .isEqualTo("team"));
    } finally {
      vertx.close().await();
    }
  }

  private HttpResponse<String> post(String base, String prompt) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer team-key")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("model", MODEL)
            .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
                .put("content", prompt))).encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private String get(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
          .build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition, long timeoutMs)
      throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("condition not met within " + timeoutMs + " ms");
      }
      Thread.sleep(50);
    }
  }
}
