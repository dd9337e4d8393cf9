package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.Timeouts;
import dev.thinkgate.emulator.EmulatedDialect;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The foundation over real sockets: the gateway in front of the emulated vLLM server. */
class GatewayIT {
  private static final String THINKING = "The user wants a haiku about autumn. Leaves fall,"
      + " five seven five syllables, keep it <calm> & simple.";
  private static final String ANSWER = "Crimson leaves drift down,\nquiet wind hums through"
      + " the pines -\nautumn breathes, then sleeps. 思考 ✓";

  /** R1-style models end the thought with a newline before {@code </think>}; the emulator too. */
  private static final String THOUGHT = THINKING + "\n";
  /** ... and, as vLLM's reasoning parser does, keep the blank line after it in the answer. */
  private static final String SPOKEN = "\n\n" + ANSWER;

  private static ModelEmulatorOptions scripted(EmulatedDialect dialect) {
    return ModelEmulatorOptions.builder().reasoningDialect(dialect)
        .scriptOverride(body -> Script.of(THINKING, ANSWER)).build();
  }

  @Test
  void streamsThinkingAndAnswerLikeTheUpstreamDoes() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(scripted(EmulatedDialect.REASONING_CONTENT))
        .start()) {
      JsonObject request = TestClient.chat(MODEL, "Write a haiku about autumn")
          .put("stream_options", new JsonObject().put("include_usage", true));

      TestClient.Stream direct = h.direct().stream("/v1/chat/completions", request.copy());
      TestClient.Stream viaGateway = h.client.stream("/v1/chat/completions", request.copy());

      assertThat(viaGateway.status()).isEqualTo(200);
      assertThat(viaGateway.header("Content-Type")).startsWith("text/event-stream");
      assertThat(viaGateway.header("X-ThinkGate-Request-Id")).startsWith("tg-");
      assertThat(viaGateway.header("X-ThinkGate-Policy")).isEqualTo("passthrough");
      assertThat(viaGateway.header("X-ThinkGate-Reasoning")).isEqualTo("passthrough");
      assertThat(viaGateway.thinking()).isEqualTo(THOUGHT).isEqualTo(direct.thinking());
      assertThat(viaGateway.answer()).isEqualTo(SPOKEN).isEqualTo(direct.answer());
      assertThat(viaGateway.done()).isTrue();
      assertThat(viaGateway.finishReason()).isEqualTo("stop");
      assertThat(viaGateway.chunks().get(0).getJsonArray("choices").getJsonObject(0)
          .getJsonObject("delta").getString("role")).isEqualTo("assistant");
      JsonObject usageChunk = viaGateway.chunks().get(viaGateway.chunks().size() - 1);
      assertThat(usageChunk.getJsonArray("choices")).isEmpty();
      assertThat(usageChunk.getJsonObject("usage")).isEqualTo(direct.usage());
      assertThat(viaGateway.chunks()).extracting(c -> c.getString("id")).containsOnly(
          viaGateway.chunks().get(0).getString("id"));
    }
  }

  @Test
  void aPassthroughStreamRelaysEveryUpstreamEventUntouched() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(scripted(EmulatedDialect.REASONING_CONTENT))
        .start()) {
      JsonObject request = TestClient.chat(MODEL, "Write a haiku about autumn")
          .put("stream_options", new JsonObject().put("include_usage", true))
          .put("logprobs", false);

      TestClient.Stream direct = h.direct().stream("/v1/chat/completions", request.copy());
      TestClient.Stream viaGateway = h.client.stream("/v1/chat/completions", request.copy());

      assertThat(viaGateway.chunks()).hasSameSizeAs(direct.chunks());
      for (int i = 0; i < direct.chunks().size(); i++) {
        JsonObject expected = direct.chunks().get(i).copy();
        JsonObject actual = viaGateway.chunks().get(i).copy();
        expected.remove("id");
        expected.remove("created");
        actual.remove("id");
        actual.remove("created");
        assertThat(actual).as("event %d", i).isEqualTo(expected);
      }
      assertThat(viaGateway.done()).isTrue();
    }
  }

  @ParameterizedTest
  @EnumSource(EmulatedDialect.class)
  void everyUpstreamReasoningDialectReachesTheClientAsReasoningContent(EmulatedDialect dialect)
      throws Exception {
    GatewayHarness harness = new GatewayHarness().model(scripted(dialect));
    if (dialect == EmulatedDialect.THINK_TAGS_NO_OPEN) {
      harness.implicitThinkOpen();
    }
    try (GatewayHarness h = harness.start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "Write a haiku about autumn"));

      // With explicit tags the model writes "<think>\n"; the newline stays part of the thought.
      String thinking = dialect == EmulatedDialect.THINK_TAGS
          ? s.thinking().replaceFirst("^\n", "") : s.thinking();
      assertThat(thinking).isEqualTo(THOUGHT);
      assertThat(s.answer()).isEqualTo(SPOKEN);
      assertThat(s.done()).isTrue();
      assertThat(s.usage()).as("usage was not asked for").isNull();
    }
  }

  @Test
  void nonStreamResponseCarriesReasoningAndTimingHeaders() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(scripted(EmulatedDialect.REASONING))
        .start()) {
      TestClient.Response r = h.client.post("/v1/chat/completions",
          TestClient.chat(MODEL, "Write a haiku about autumn").encode());

      assertThat(r.status()).isEqualTo(200);
      JsonObject body = r.json();
      assertThat(body.getString("object")).isEqualTo("chat.completion");
      JsonObject message = body.getJsonArray("choices").getJsonObject(0).getJsonObject("message");
      assertThat(message.getString("reasoning_content")).isEqualTo(THOUGHT);
      assertThat(message.getString("content")).isEqualTo(SPOKEN);
      assertThat(body.getJsonObject("usage").getInteger("completion_tokens")).isPositive();
      assertThat(r.header("Server-Timing")).matches(
          "gateway;dur=\\d+, guard;dur=\\d+, upstream;dur=\\d+");
      assertThat(r.header("X-ThinkGate-Policy")).isEqualTo("passthrough");
    }
  }

  @Test
  void unknownRequestFieldsReachTheUpstreamUntouched() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(scripted(EmulatedDialect.REASONING_CONTENT))
        .start()) {
      JsonObject request = TestClient.chat(MODEL, "Write a haiku about autumn")
          .put("repetition_penalty", 1.05)
          .put("vendor_extension", new JsonObject().put("x", new JsonArray().add(1).add("two")));

      h.client.stream("/v1/chat/completions", request);

      JsonObject upstream = h.model.requests().get(h.model.requests().size() - 1);
      assertThat(upstream.getDouble("repetition_penalty")).isEqualTo(1.05);
      assertThat(upstream.getJsonObject("vendor_extension"))
          .isEqualTo(new JsonObject().put("x", new JsonArray().add(1).add("two")));
      assertThat(upstream.getJsonArray("messages")).isEqualTo(request.getJsonArray("messages"));
    }
  }

  @Test
  void clientRequestIdIsKeptWhenWellFormedAndReplacedOtherwise() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(scripted(EmulatedDialect.REASONING_CONTENT))
        .start()) {
      String body = TestClient.chat(MODEL, "hi").encode();

      assertThat(h.client.post("/v1/chat/completions", body, "X-ThinkGate-Request-Id",
          "trace-123.abc").header("X-ThinkGate-Request-Id")).isEqualTo("trace-123.abc");
      assertThat(h.client.post("/v1/chat/completions", body, "X-ThinkGate-Request-Id",
          "bad id with spaces").header("X-ThinkGate-Request-Id")).startsWith("tg-");
    }
  }

  @Test
  void badRequestsGetOpenAiErrorsWithTheRightStatus() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(scripted(EmulatedDialect.REASONING_CONTENT))
        .maxBody(1024).start()) {
      assertError(h.client.post("/v1/chat/completions", "{not json"), 400, null);
      assertError(h.client.post("/v1/chat/completions", "[1,2]"), 400, null);
      assertError(h.client.post("/v1/chat/completions", "{\"messages\":[]}"), 400, "model");
      assertError(h.client.post("/v1/chat/completions", "{\"model\":\"m\"}"), 400, "messages");
      assertError(h.client.post("/v1/chat/completions",
          "{\"model\":\"m\",\"messages\":\"hi\"}"), 400, "messages");
      assertError(h.client.post("/v1/chat/completions",
          "{\"model\":\"m\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}"), 400,
          "messages[0].role");
      assertError(h.client.post("/v1/chat/completions", TestClient.chat(MODEL, "x")
          .put("max_tokens", "ten").encode()), 400, "max_tokens");
      assertError(h.client.post("/v1/chat/completions", TestClient.chat(MODEL, "x")
          .put("stream", "yes").encode()), 400, "stream");
      assertError(h.client.post("/v1/chat/completions", TestClient.chat(MODEL, "x".repeat(2000))
          .encode()), 413, null);
      assertError(h.client.post("/v1/nothing", "{}"), 404, null);
    }
  }

  @Test
  void unknownModelIs404AndForbiddenModelIs403AndBadKeyIs401() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(scripted(EmulatedDialect.REASONING_CONTENT))
        .routeModel("deepseek-ai/*").tenant("team-a", "key-a", "passthrough", MODEL)
        .tenant("team-b", "key-b", "passthrough", "deepseek-ai/other-model").start()) {
      String body = TestClient.chat(MODEL, "hi").encode();

      assertError(h.client.post("/v1/chat/completions", body), 401, null);
      TestClient.Response wrongKey = h.client.post("/v1/chat/completions", body,
          "Authorization", "Bearer not-a-key");
      assertError(wrongKey, 401, null);
      assertThat(wrongKey.body()).doesNotContain("not-a-key");
      assertError(h.client.post("/v1/chat/completions", body, "Authorization", "Bearer key-b"),
          403, "model");
      assertError(h.client.post("/v1/chat/completions", TestClient.chat("nope", "hi").encode(),
          "Authorization", "Bearer key-a"), 404, "model");
      assertThat(h.client.post("/v1/chat/completions", body, "Authorization", "Bearer key-a")
          .status()).isEqualTo(200);
    }
  }

  @Test
  void aRoutesMaximumConnectionAgeReplacesItsPooledConnectionsAndCountsIt() throws Exception {
    // Given a route whose upstream connections may be reused for 1 ms after they opened
    try (GatewayHarness h = new GatewayHarness()
        .timeouts(new Timeouts(5_000, 120_000, 60_000, 900_000, 30_000, 1)).start()) {
      // When two streams run one after the other
      for (int i = 0; i < 2; i++) {
        TestClient.Stream s = h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, "hi"));
        assertThat(s.done()).isTrue();
      }

      // Then each stream's connection was closed for its age once its exchange ended
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
      double aged = 0;
      while ((aged = agedConnections(h)) < 2 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(aged).isGreaterThanOrEqualTo(2);
    }
  }

  /** thinkgate_upstream_connections_aged_total summed over the upstreams. */
  private static double agedConnections(GatewayHarness h) throws Exception {
    return h.client.get("/metrics").body().lines()
        .filter(l -> l.startsWith("thinkgate_upstream_connections_aged_total{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  void upstreamFailuresAreReportedNeverSilentlyTruncated() throws Exception {
    try (GatewayHarness h = new GatewayHarness()
        .timeouts(new Timeouts(1_000, 2_000, 700, 20_000)).start()) {
      TestClient.Response error500 = h.client.post("/v1/chat/completions",
          TestClient.chat(MODEL, "please fail [[500]]").encode());
      assertError(error500, 502, null);

      TestClient.Stream dropped = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "tell me a story [[drop]]"));
      assertThat(dropped.status()).isEqualTo(200);
      assertThat(dropped.done()).isFalse();
      assertThat(dropped.error()).isNotNull();
      assertThat(dropped.error().getString("type")).isEqualTo("upstream_error");

      TestClient.Stream stalled = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "tell me a story [[stall]]"));
      assertThat(stalled.done()).isFalse();
      assertThat(stalled.error().getString("code")).isEqualTo("upstream_timeout");

      TestClient.Response neverAnswers = h.client.post("/v1/chat/completions",
          TestClient.chat(MODEL, "hello [[stall-first]]").encode());
      assertError(neverAnswers, 504, null);
    }
  }

  @Test
  void deadUpstreamIs502AndNotReady() throws Exception {
    try (GatewayHarness h = new GatewayHarness().start()) {
      h.model.close().await();

      assertError(h.client.post("/v1/chat/completions", TestClient.chat(MODEL, "hi").encode()),
          502, null);
    }
  }

  @Test
  void healthReadyModelsAndMetrics() throws Exception {
    try (GatewayHarness h = new GatewayHarness().start()) {
      assertThat(h.client.get("/health").status()).isEqualTo(200);
      TestClient.Response models = h.client.get("/v1/models");
      assertThat(models.status()).isEqualTo(200);
      assertThat(models.json().getJsonArray("data").getJsonObject(0).getString("id"))
          .isEqualTo(MODEL);
      h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, "hi"));
      String metrics = h.client.get("/metrics").body();
      assertThat(metrics).contains("thinkgate_requests_total").contains("thinkgate_open_streams")
          .contains("thinkgate_gateway_ttfb_seconds").contains("thinkgate_upstream_ttfb_seconds");
      long deadline = System.currentTimeMillis() + 10_000;
      int ready = 0;
      while (System.currentTimeMillis() < deadline && (ready = h.client.get("/ready").status()) != 200) {
        Thread.onSpinWait();
      }
      assertThat(ready).isEqualTo(200);
    }
  }

  @Test
  void completionsEndpointIsPassedThrough() throws Exception {
    try (GatewayHarness h = new GatewayHarness().start()) {
      JsonObject request = new JsonObject().put("model", MODEL).put("prompt", "Once upon a time")
          .put("max_tokens", 8);

      TestClient.Response r = h.client.post("/v1/completions", request.encode());

      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().getString("object")).isEqualTo("text_completion");
      assertThat(r.json().getJsonArray("choices").getJsonObject(0).getString("text")).isNotBlank();
    }
  }

  private static void assertError(TestClient.Response r, int status, String param) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    JsonObject error = r.json().getJsonObject("error");
    assertThat(error).isNotNull();
    assertThat(error.fieldNames()).contains("message", "type", "param", "code");
    assertThat(error.getString("message")).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
    if (param != null) {
      assertThat(error.getString("param")).isEqualTo(param);
    }
  }

}
