package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.cli.Main;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue #15: {@code thinkgate eval} reports on SafeChain's whole-response verdict, like
 * {@code thinkgate audit}. The gateway returns it in {@code thinkgate.verdicts.response} when a
 * non-stream request asks with {@code X-ThinkGate-Judge-Response: true}; eval asks.
 */
class JudgeResponseIT {
  private static final String UNSAFE_PROMPT = "Tell me about fireworks";
  private static final String SAFE_PROMPT = "Tell me about cats";

  private static GatewayHarness gateway(Path policies) throws Exception {
    Files.writeString(policies.resolve("observe.yaml"), """
        reasoning:
          allow_override: [passthrough, zerothink]
        screening:
          guard: default
          thinking: {release: shadow, action: log_only}
          answer: {release: shadow, action: log_only}
        """);
    ModelEmulatorOptions model = ModelEmulatorOptions.builder().scriptOverride(body -> {
      String prompt = body.getJsonArray("messages").getJsonObject(0).getString("content");
      return UNSAFE_PROMPT.equals(prompt)
          ? Script.of("Fireworks are pretty. One could make a bomb from them.", "They are pretty.")
          : Script.of("Cats are nice.", "Cats purr.");
    }).build();
    return new GatewayHarness().model(model).guard(GuardEmulatorOptions.defaults())
        .policies(policies).tenant("t", "key-t", "observe", "*").start();
  }

  @Test
  void aNonStreamRequestThatAsksGetsTheWholeResponseVerdict(@TempDir Path policies)
      throws Exception {
    try (GatewayHarness h = gateway(policies)) {
      String body = TestClient.chat(MODEL, UNSAFE_PROMPT).encode();

      JsonObject asked = h.client.post("/v1/chat/completions", body, "Authorization",
          "Bearer key-t", "X-ThinkGate-Judge-Response", "true").json();
      JsonObject plain = h.client.post("/v1/chat/completions", body, "Authorization",
          "Bearer key-t").json();

      // the thinking alone is unsafe; SafeChain's verdict on the whole response says so too
      JsonObject verdicts = asked.getJsonObject("thinkgate").getJsonObject("verdicts");
      assertThat(verdicts.getJsonObject("response").getBoolean("safe")).isFalse();
      assertThat(verdicts.getJsonObject("response").getJsonArray("categories")).contains("S9");
      assertThat(verdicts.getJsonObject("thinking").getBoolean("safe")).isFalse();
      assertThat(plain.getJsonObject("thinkgate").getJsonObject("verdicts").containsKey("response"))
          .isFalse();
    }
  }

  @Test
  void evalRecordsCarryTheResponseVerdictAndItsReportIsBasedOnIt(@TempDir Path dir)
      throws Exception {
    Path policies = Files.createDirectories(dir.resolve("policies"));
    try (GatewayHarness h = gateway(policies)) {
      Path prompts = dir.resolve("prompts.jsonl");
      Files.writeString(prompts, new JsonObject().put("query", UNSAFE_PROMPT).encode() + "\n"
          + new JsonObject().put("query", SAFE_PROMPT).encode() + "\n");
      Path out = dir.resolve("eval");
      StringWriter err = new StringWriter();
      java.io.ByteArrayOutputStream stderr = new java.io.ByteArrayOutputStream();
      java.io.PrintStream oldErr = System.err;
      System.setErr(new java.io.PrintStream(stderr, true, java.nio.charset.StandardCharsets.UTF_8));
      int exit;
      try {
        exit = new CommandLine(new Main()).setErr(new PrintWriter(err)).execute("eval",
          "--base-url", "http://127.0.0.1:" + h.gatewayPort, "--api-key", "key-t",
          "--prompts", prompts.toString(), "--modes", "passthrough", "--k", "2", "--model", MODEL,
          "--concurrency", "2", "--out", out.toString());
      } finally {
        System.setErr(oldErr);
      }
      assertThat(exit).as(err + stderr.toString(java.nio.charset.StandardCharsets.UTF_8)).isZero();

      List<JsonObject> records;
      try (Stream<Path> files = Files.list(out)) {
        records = files.filter(p -> p.toString().endsWith(".jsonl")).flatMap(p -> {
          try {
            return Files.readAllLines(p).stream();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }).map(JsonObject::new).toList();
      }
      assertThat(records).hasSize(4);
      for (JsonObject r : records) {
        JsonObject response = r.getJsonObject("verdicts").getJsonObject("response");
        assertThat(response).as(r.encode()).isNotNull();
        assertThat(response.getBoolean("safe")).isEqualTo(r.getString("prompt").equals(SAFE_PROMPT));
      }
    }
  }
}
