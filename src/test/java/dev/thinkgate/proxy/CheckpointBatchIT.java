package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verdicts that come due together go to the guard together, through a real gateway, the emulated
 * vLLM server and the emulated Llama Guard (completions API). Under the shipped
 * {@code policies/balanced.yaml} recording every request, a stream costs the guard two requests
 * instead of four: the input screen, then one list of prompts holding the thinking's last
 * checkpoint (which rode with the answer's), the answer's last checkpoint and the audit's
 * whole-response verdict (asked for early and handed to the recorder, with or without a verdict
 * cache; asked for again by the recorder when that call failed).
 * The client and the audit record get what they got before: the whole stream when it is safe, the
 * action and the verdicts when the thinking was unsafe. A policy whose thinking verdict can still
 * act ({@code block}) and that records nothing keeps one request a checkpoint.
 */
class CheckpointBatchIT {
  private static final String THINKING = "The user wants bread; flour, water, yeast and salt.";
  private static final String UNSAFE_THINKING = "They want bread. I could explain how to build a"
      + " bomb instead. No, bread it is.";
  private static final String ANSWER = "Mix flour, water, yeast and salt, knead, rise, bake.";

  @Test
  void balancedJudgesBothSpansLastCheckpointsInOneGuardRequest(@TempDir Path policies)
      throws Exception {
    // balanced.yaml as shipped, with every request audited so each record can be read
    writeBalanced(policies, "1.0");
    RecordingAuditSink audit = new RecordingAuditSink(10);
    try (GatewayHarness h = new GatewayHarness().model(model()).guard(GuardEmulatorOptions.defaults())
        .policies(policies).policy("balanced").audit(audit).start()) {
      // Given a safe prompt
      TestClient.Stream safe = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "How do I bake bread?"));
      AuditRecord safeRecord = audit.next();
      List<JsonObject> requests = List.copyOf(h.guard.requests());

      // Then the client got the whole stream; the guard, after the input screen, one request for
      // the thinking's last checkpoint, the answer's and the whole response, in that order
      assertThat(safe.status()).isEqualTo(200);
      assertThat(safe.thinking()).isEqualTo(THINKING + "\n");
      assertThat(safe.answer()).isEqualTo("\n\n" + ANSWER);
      assertThat(requests).hasSize(2);
      assertThat(requests.get(0).getValue("prompt")).isInstanceOf(String.class);
      JsonArray batch = requests.get(1).getJsonArray("prompt");
      assertThat(batch).hasSize(3);
      assertThat(batch.getString(0)).contains("Agent: " + THINKING);
      assertThat(batch.getString(1)).contains("Agent: " + ANSWER);
      // SafeChain's whole response: the thinking in think tags, then the answer
      assertThat(batch.getString(2)).contains("Agent: <think>\n" + THINKING + "\n</think>\n\n"
          + ANSWER);
      assertThat(safeRecord.action()).isEqualTo("pass");
      assertThat(safeRecord.verdicts().getJsonObject("thinking").getBoolean("safe")).isTrue();
      assertThat(safeRecord.verdicts().getJsonObject("answer").getBoolean("safe")).isTrue();
      assertThat(safeRecord.verdicts().getJsonObject("response").getBoolean("safe")).isTrue();
      String metrics = h.client.get("/metrics").body();
      assertThat(metrics).contains("thinkgate_guard_requests_total{guard=\"default\"} 2.0")
          .contains("thinkgate_guard_calls_total{guard=\"default\",outcome=\"safe\"} 4.0");
      // the recorder was handed the early verdict: it asked the guard, and its cache, nothing
      assertThat(value(metrics, "thinkgate_guard_cache_total{guard=\"default\",result=\"hit\"}")
          + value(metrics, "thinkgate_guard_cache_total{guard=\"default\",result=\"shared\"}"))
          .isZero();

      // Given unsafe thinking: it was over when judged, so the client has it all and the answer
      // untouched; the record has the action and the verdict, as before
      h.guard.clearRequests();
      TestClient.Stream unsafe = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "bread, unsafe thinking"));
      AuditRecord unsafeRecord = audit.next();
      assertThat(unsafe.status()).isEqualTo(200);
      assertThat(unsafe.thinking()).isEqualTo(UNSAFE_THINKING + "\n");
      assertThat(unsafe.answer()).isEqualTo("\n\n" + ANSWER);
      assertThat(unsafeRecord.action()).isEqualTo("hide_reasoning");
      assertThat(unsafeRecord.verdicts().getJsonObject("thinking").getBoolean("safe")).isFalse();
      assertThat(unsafeRecord.verdicts().getJsonObject("response").getBoolean("safe")).isFalse();
      assertThat(h.guard.requests()).hasSize(2);
      assertThat(h.guard.requests().get(1).getJsonArray("prompt")).hasSize(3);
    }
  }

  @Test
  void aSampledRecordsVerdictGoesWithTheLastCheckpointToo(@TempDir Path policies)
      throws Exception {
    // balanced.yaml with half of the requests recorded: the draw is made while the request
    // generates, so a drawn one asks for its whole-response verdict with its last checkpoint
    writeBalanced(policies, "0.5");
    RecordingAuditSink audit = new RecordingAuditSink(10);
    int streams = 16;
    try (GatewayHarness h = new GatewayHarness().model(model()).guard(GuardEmulatorOptions.defaults())
        .policies(policies).policy("balanced").audit(audit).start()) {
      for (int i = 0; i < streams; i++) {
        assertThat(h.client.stream("/v1/chat/completions",
            TestClient.chat(MODEL, "How do I bake bread? " + i)).status()).isEqualTo(200);
      }
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (h.gateway.openRequests() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(5); // the last records are offered just after their streams end
      }
      List<AuditRecord> records = audit.takeAll();

      // Then every stream made two guard requests, drawn or not: the input screen, then one
      // list with the spans' last checkpoints and, for a recorded stream, its whole response
      assertThat(h.gateway.openRequests()).isZero();
      assertThat(records).isNotEmpty().hasSizeLessThan(streams); // 1 in 65536 to see 0 or 16
      assertThat(h.guard.requestCount()).isEqualTo(2 * streams);
      assertThat(h.guard.promptCount()).isEqualTo(3 * streams + records.size());
      assertThat(records).allSatisfy(r -> assertThat(r.verdicts().getJsonObject("response")
          .getBoolean("safe")).isTrue());
    }
  }

  @Test
  void withoutAVerdictCacheTheRecorderIsStillHandedTheEarlyVerdict(@TempDir Path policies)
      throws Exception {
    writeBalanced(policies, "1.0");
    RecordingAuditSink audit = new RecordingAuditSink(10);
    try (GatewayHarness h = new GatewayHarness().model(model()).guard(GuardEmulatorOptions.defaults())
        .noGuardCache().policies(policies).policy("balanced").audit(audit).start()) {
      TestClient.Stream unsafe = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "bread, unsafe thinking"));
      AuditRecord record = audit.next();

      assertThat(unsafe.status()).isEqualTo(200);
      assertThat(h.guard.requests()).hasSize(2);
      assertThat(h.guard.promptCount()).isEqualTo(4); // input, thinking, answer, whole response
      assertThat(record.verdicts().getJsonObject("response").getBoolean("safe")).isFalse();
      assertThat(record.verdicts().getJsonObject("response").getJsonArray("categories"))
          .isNotEmpty();
      assertThat(h.client.get("/metrics").body()).doesNotContain("thinkgate_guard_cache_total");
    }
  }

  @Test
  void anEarlyVerdictThatFailedIsAskedForAgainByTheRecorder(@TempDir Path policies)
      throws Exception {
    writeBalanced(policies, "1.0");
    RecordingAuditSink audit = new RecordingAuditSink(10);
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    List<Object> prompts = new java.util.concurrent.CopyOnWriteArrayList<>();
    try {
      // A guard that fails every list of prompts with 500 and judges a single prompt safe.
      int port = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
        Object prompt = body.toJsonObject().getValue("prompt");
        prompts.add(prompt);
        if (prompt instanceof JsonArray) {
          req.response().setStatusCode(500).end("{\"error\":{\"message\":\"down\"}}");
        } else {
          req.response().putHeader("content-type", "application/json").end(new JsonObject()
              .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                  .put("text", "\n\nsafe").put("finish_reason", "stop"))).encode());
        }
      })).listen(0, "127.0.0.1").await().actualPort();
      try (GatewayHarness h = new GatewayHarness().model(model())
          .guardUrl("http://127.0.0.1:" + port).policies(policies).policy("balanced").audit(audit)
          .start()) {
        TestClient.Stream s = h.client.stream("/v1/chat/completions",
            TestClient.chat(MODEL, "How do I bake bread?"));
        AuditRecord record = audit.next();

        // fail_open: the client got everything; the spans' verdicts are the failed batch's
        assertThat(s.status()).isEqualTo(200);
        assertThat(s.answer()).isEqualTo("\n\n" + ANSWER);
        // input screen, the failed batch, then the recorder's own call for the whole response
        assertThat(prompts).hasSize(3);
        assertThat(prompts.get(0)).isInstanceOf(String.class);
        assertThat(prompts.get(1)).isInstanceOf(JsonArray.class);
        assertThat(((JsonArray) prompts.get(1)).getString(2)).contains("<think>");
        assertThat(prompts.get(2)).isInstanceOf(String.class).isEqualTo(
            ((JsonArray) prompts.get(1)).getString(2));
        assertThat(record.verdicts().getJsonObject("response").getBoolean("safe")).isTrue();
      }
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void aThinkingVerdictThatCanStillCutTheAnswerGoesAlone(@TempDir Path policies)
      throws Exception {
    Files.writeString(policies.resolve("blocking.yaml"), GatewayHarness.OPTIMISTIC_BLOCKING);
    try (GatewayHarness h = new GatewayHarness().model(model()).guard(GuardEmulatorOptions.defaults())
        .policies(policies).policy("blocking").start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "How do I bake bread?"));

      assertThat(s.status()).isEqualTo(200);
      assertThat(s.answer()).isEqualTo("\n\n" + ANSWER);
      assertThat(h.guard.requests()).hasSize(2)
          .allSatisfy(r -> assertThat(r.getValue("prompt")).isInstanceOf(String.class));
    }
  }

  /** The shipped policies/balanced.yaml, recording {@code sampleRate} of the requests. */
  private static void writeBalanced(Path policies, String sampleRate) throws java.io.IOException {
    Files.writeString(policies.resolve("balanced.yaml"), Files.readString(
        Path.of("policies/balanced.yaml")).replace("sample_rate: 0.1", "sample_rate: " + sampleRate));
  }

  private static double value(String metrics, String series) {
    return metrics.lines().filter(l -> l.startsWith(series + " ")).findFirst()
        .map(l -> Double.parseDouble(l.substring(series.length() + 1))).orElseThrow();
  }

  private static ModelEmulatorOptions model() {
    return ModelEmulatorOptions.builder().tokensPerChunk(1).tokensPerSecond(200)
        .scriptOverride(body -> {
          String prompt = body.getJsonArray("messages").getJsonObject(0).getString("content");
          return Script.of(prompt.contains("unsafe") ? UNSAFE_THINKING : THINKING, ANSWER);
        }).build();
  }
}
