package dev.thinkgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.ApiKeyHash;
import dev.thinkgate.emulator.EmulatedGuardServer;
import dev.thinkgate.emulator.EmulatedModelServer;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code thinkgate serve --config}: the configured gateway with its admin port, tenants from the
 * config file, and hot reload of policies (a valid change applies to new requests while open
 * streams finish; an invalid one is refused and the last good config keeps serving).
 */
class ServeCommandIT {
  private static final String MODEL = ModelEmulatorOptions.DEFAULT_MODEL;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void servesTheConfigFileAndHotReloadsPolicies(@TempDir Path dir) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      int modelPort = new EmulatedModelServer(vertx, ModelEmulatorOptions.builder()
          .tokensPerSecond(400).build()).start("127.0.0.1", 0).await();
      int guardPort = new EmulatedGuardServer(vertx, GuardEmulatorOptions.defaults())
          .start("127.0.0.1", 0).await();
      int adminPort = freePort();
      Path policies = Files.createDirectories(dir.resolve("policies"));
      Path policy = policies.resolve("team.yaml");
      Files.writeString(policy, "client_dialect: reasoning\n");
      Path conf = dir.resolve("thinkgate.yaml");
      Files.writeString(conf, """
          server:
            host: 127.0.0.1
            port: 0
            admin_port: %d
            admin_key_hash: %s
          routes:
            - model: "*"
              upstream: ${UPSTREAM}
          guards:
            default:
              url: http://127.0.0.1:%d
          tenants:
            team:
              key_hashes: [%s]
              policy: team
          audit:
            sinks:
              - type: file
                dir: %s
          """.formatted(adminPort, ApiKeyHash.of("admin-key"), guardPort,
          ApiKeyHash.of("team-key"), dir.resolve("audit")));
      ServeCommand serve = new ServeCommand();
      new CommandLine(serve).parseArgs("--config", conf.toString(), "--policies",
          policies.toString());
      Map<String, String> env = Map.of("UPSTREAM", "http://127.0.0.1:" + modelPort);

      try (Runtimes.Started started = serve.start(env::get)) {
        String base = started.gateway().baseUrl();
        String admin = "http://127.0.0.1:" + adminPort;

        JsonObject first = chat(base, "team-key", "What is 2+2?");
        assertThat(message(first).getString("reasoning")).isNotBlank();
        assertThat(post(base, null, "What is 2+2?").statusCode()).isEqualTo(401);

        // An open stream started under the old policy finishes while the change lands.
        CompletableFuture<HttpResponse<String>> open = http.sendAsync(request(base, "team-key",
            body("Think about it [[think:400]]", true)), HttpResponse.BodyHandlers.ofString());
        Files.writeString(policy, "client_dialect: think_tags\n");
        waitUntil(() -> message(chat(base, "team-key", "hi")).getString("content", "")
            .startsWith("<think>"), 15_000);
        HttpResponse<String> finished = open.get();
        assertThat(finished.statusCode()).isEqualTo(200);
        assertThat(finished.body()).contains("\"reasoning\"").endsWith("data: [DONE]\n\n");

        Files.writeString(policy, "client_dialect: bogus\n");
        waitUntil(() -> get(admin + "/admin/reload", "admin-key").contains("rejected"), 15_000);
        String status = get(admin + "/admin/reload", "admin-key");
        assertThat(status).contains("team.yaml").contains("client_dialect").contains("bogus");
        assertThat(message(chat(base, "team-key", "hi")).getString("content"))
            .startsWith("<think>");
        assertThat(get(admin + "/metrics", null))
            .containsPattern("thinkgate_config_reload_failures_total(\\{[^}]*})? [1-9]");
        assertThat(get(admin + "/admin/config", null)).contains("authentication_error");
        assertThat(get(admin + "/admin/config", "admin-key")).doesNotContain("team-key");
        // the template-less emulator serves no /tokenize: the auto route stays on the chat path
        JsonObject decisions = new JsonObject(get(admin + "/admin/config", "admin-key"))
            .getJsonObject("prefill_decisions");
        assertThat(decisions.fieldNames()).hasSize(1);
        JsonObject decision = decisions.getJsonObject(decisions.fieldNames().iterator().next());
        assertThat(decision.getString("path")).isEqualTo("chat");
        assertThat(decision.getBoolean("verified")).isFalse();
      }
    } finally {
      vertx.close().await();
    }
  }

  private JsonObject chat(String base, String key, String prompt) {
    try {
      HttpResponse<String> r = post(base, key, prompt);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      return new JsonObject(r.body());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static JsonObject message(JsonObject completion) {
    return completion.getJsonArray("choices").getJsonObject(0).getJsonObject("message");
  }

  private HttpResponse<String> post(String base, String key, String prompt) throws Exception {
    return http.send(request(base, key, body(prompt, false)), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest request(String base, String key, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return b.build();
  }

  private static String body(String prompt, boolean stream) {
    return new JsonObject().put("model", MODEL).put("stream", stream).put("messages",
        new JsonArray().add(new JsonObject().put("role", "user").put("content", prompt))).encode();
  }

  private String get(String url, String key) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
      if (key != null) {
        b.header("Authorization", "Bearer " + key);
      }
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void waitUntil(BooleanSupplier condition, long timeoutMs) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(100);
    }
    assertThat(condition.getAsBoolean()).as("condition within %d ms", timeoutMs).isTrue();
  }
}
