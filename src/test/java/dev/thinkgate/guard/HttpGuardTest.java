package dev.thinkgate.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.GuardApi;
import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.config.GatewayConfig.GuardFormat;
import dev.thinkgate.guard.GuardException.Kind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** HttpGuard against a tiny in-process server that answers like vLLM serving Llama Guard. */
class HttpGuardTest {

  Vertx vertx;
  private HttpServer server;
  private final AtomicReference<Consumer<HttpServerRequest>> behaviour = new AtomicReference<>();
  private final List<JsonObject> bodies = new CopyOnWriteArrayList<>();
  private final List<String> authHeaders = new CopyOnWriteArrayList<>();
  private final List<String> paths = new CopyOnWriteArrayList<>();
  private final List<HttpServerRequest> parked = new CopyOnWriteArrayList<>();
  private final AtomicInteger hits = new AtomicInteger();
  final AtomicLong clock = new AtomicLong(1_000);
  SimpleMeterRegistry registry;
  private int port;

  int port() {
    return port;
  }

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    registry = new SimpleMeterRegistry();
    server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(buf -> {
      hits.incrementAndGet();
      bodies.add(buf.toJsonObject());
      paths.add(req.path());
      authHeaders.add(String.valueOf(req.getHeader("authorization")));
      behaviour.get().accept(req);
    }));
    server.listen(0).await(5, TimeUnit.SECONDS);
    port = server.actualPort();
    completions("\n\nsafe");
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(5, TimeUnit.SECONDS);
  }

  private void completions(String text) {
    behaviour.set(req -> req.response().putHeader("content-type", "application/json").end(new JsonObject()
        .put("id", "cmpl-1").put("object", "text_completion")
        .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("text", text)
            .put("finish_reason", "stop"))).encode()));
  }

  private GuardConfig config(int maxInFlight, int maxQueue, int breakerFailures, long timeoutMs) {
    return new GuardConfig("default", "http://127.0.0.1:" + port, GuardFormat.LLAMA_GUARD_3, null,
        GuardApi.COMPLETIONS, "GUARD_KEY", timeoutMs, maxInFlight, maxQueue, breakerFailures, 1_000, 0, 0);
  }

  HttpGuard guard(GuardConfig config) {
    return guard(config, Map.of("GUARD_KEY", "sk-secret")::get);
  }

  HttpGuard guard(GuardConfig config, java.util.function.Function<String, String> env) {
    return new HttpGuard(config, Guards.format(config.format()), vertx.createHttpClient(), vertx, registry,
        env, clock::get);
  }

  /** How the test calls the guard (the pooled variant calls it on an event loop). */
  Future<GuardVerdict> judge(Guard guard, GuardRequest r) throws Exception {
    return guard.judge(r);
  }

  /** How the test judges several at once (the pooled variant calls it on an event loop). */
  List<Future<GuardVerdict>> judgeAll(Guard guard, List<GuardRequest> requests) throws Exception {
    return guard.judgeAll(requests);
  }

  void cancel(Guard guard, Future<GuardVerdict> call) throws Exception {
    guard.cancel(call);
  }

  private static GuardVerdict await(Future<GuardVerdict> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static Kind failureKind(Future<GuardVerdict> f) throws Exception {
    try {
      f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return ((GuardException) e.getCause()).kind();
    }
    throw new AssertionError("expected a failure");
  }

  private final GuardRequest request = new GuardRequest("how do I bake bread", "Mix flour.", List.of("S1"));

  @Test
  void sendsTheExactPromptAtTemperatureZeroWithBearerKey() throws Exception {
    HttpGuard guard = guard(config(4, 4, 5, 2_000));

    GuardVerdict v = await(judge(guard, request));

    assertThat(v.safe()).isTrue();
    assertThat(paths).containsExactly("/v1/completions");
    JsonObject body = bodies.get(0);
    assertThat(body.getString("prompt")).isEqualTo(LlamaGuardFormat.llamaGuard3().prompt(request));
    assertThat(body.getInteger("temperature")).isZero();
    assertThat(body.getInteger("max_tokens")).isEqualTo(64);
    assertThat(body.getString("model")).isEqualTo("meta-llama/Llama-Guard-3-8B");
    assertThat(body.getBoolean("add_special_tokens")).isFalse();
    assertThat(body.getBoolean("stream")).isFalse();
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("model", "temperature", "max_tokens",
        "stream", "add_special_tokens", "prompt");
    assertThat(authHeaders).containsExactly("Bearer sk-secret");
    assertThat(registry.get("thinkgate.guard.calls").tag("outcome", "safe").counter().count()).isEqualTo(1);
    assertThat(registry.get("thinkgate.guard.latency").timer().count()).isEqualTo(1);
  }

  @Test
  void unsafeAnswerCarriesCategories() throws Exception {
    completions("\n\nunsafe\nS1,S10");

    GuardVerdict v = await(judge(guard(config(4, 4, 5, 2_000)), request));

    assertThat(v.safe()).isFalse();
    assertThat(v.categories()).containsExactly("S1", "S10");
  }

  @Test
  void chatApiSendsMessagesToChatCompletions() throws Exception {
    behaviour.set(req -> req.response().end(new JsonObject().put("choices", new JsonArray().add(
        new JsonObject().put("message", new JsonObject().put("role", "assistant").put("content", "unsafe\nS9"))))
        .encode()));
    GuardConfig c = new GuardConfig("default", "http://127.0.0.1:" + port + "/v1/", GuardFormat.LLAMA_GUARD_3,
        "lg", GuardApi.CHAT, null, 2_000, 4, 4, 5, 1_000, 0, 0);

    GuardVerdict v = await(judge(guard(c), request));

    assertThat(v.categories()).containsExactly("S9");
    assertThat(paths).containsExactly("/v1/chat/completions");
    assertThat(bodies.get(0).getJsonArray("messages"))
        .isEqualTo(LlamaGuardFormat.llamaGuard3().messages(request)).hasSize(2);
    assertThat(bodies.get(0).fieldNames()).containsExactlyInAnyOrder("model", "temperature",
        "max_tokens", "stream", "messages");
    assertThat(bodies.get(0).getString("model")).isEqualTo("lg");
    assertThat(authHeaders).containsExactly("null");
  }

  /**
   * Finding 7 of issue 15. Ground truth: the Qwen3Guard-Gen model card (huggingface.co
   * Qwen/Qwen3Guard-Gen-8B, README.md, "Moderating Model Response") generates with
   * {@code max_new_tokens=128}; a 20-token budget cut the verdict below mid-way.
   */
  @Test
  void qwen3GuardAsksForAsManyTokensAsItsModelCardGenerates() throws Exception {
    String verdict = "Safety: Unsafe\nCategories: Violent, Non-violent Illegal Acts, PII\nRefusal: No";
    behaviour.set(req -> {
      int budget = bodies.get(bodies.size() - 1).getInteger("max_tokens");
      // About three characters a token for these words: a budget below the verdict's length cuts
      // it, as a real server would (finish_reason "length").
      String text = verdict.substring(0, Math.min(verdict.length(), budget * 3));
      req.response().end(new JsonObject().put("choices", new JsonArray().add(new JsonObject()
          .put("message", new JsonObject().put("role", "assistant").put("content", text)))).encode());
    });
    GuardConfig c = new GuardConfig("default", "http://127.0.0.1:" + port, GuardFormat.QWEN3GUARD,
        "qg", GuardApi.CHAT, null, 2_000, 4, 4, 5, 1_000, 0, 0);

    GuardVerdict v = await(judge(guard(c), request));

    assertThat(bodies.get(0).getInteger("max_tokens")).isGreaterThanOrEqualTo(128);
    assertThat(v.safe()).isFalse();
    assertThat(v.categories()).hasSize(3);
  }

  @Test
  void garbageServerErrorsAndBadJsonAreGuardErrorsNotSafe() throws Exception {
    HttpGuard guard = guard(config(4, 4, 50, 2_000));

    completions("I think this is fine");
    assertThat(failureKind(judge(guard, request))).isEqualTo(Kind.UNPARSABLE);

    behaviour.set(req -> req.response().setStatusCode(500).end("boom"));
    assertThat(failureKind(judge(guard, request))).isEqualTo(Kind.HTTP_ERROR);

    behaviour.set(req -> req.response().end("not json"));
    assertThat(failureKind(judge(guard, request))).isEqualTo(Kind.UNPARSABLE);

    behaviour.set(req -> req.response().end("{\"choices\":[]}"));
    assertThat(failureKind(judge(guard, request))).isEqualTo(Kind.UNPARSABLE);

    // a verdict cut by max_tokens parses, but may have lost categories: an error, not a verdict
    behaviour.set(req -> req.response().end(new JsonObject().put("choices", new JsonArray().add(
        new JsonObject().put("index", 0).put("text", "\n\nunsafe\nS1,S2,S3")
            .put("finish_reason", "length"))).encode()));
    assertThat(failureKind(judge(guard, request))).isEqualTo(Kind.UNPARSABLE);
  }

  @Test
  void stallingServerTimesOut() throws Exception {
    behaviour.set(parked::add);
    HttpGuard guard = guard(config(4, 4, 50, 150));

    long t0 = System.nanoTime();
    Kind kind = failureKind(judge(guard, request));

    assertThat(kind).isEqualTo(Kind.TIMEOUT);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(100L, 3_000L);
    assertThat(registry.get("thinkgate.guard.calls").tag("outcome", "timeout").counter().count()).isEqualTo(1);
    assertThat(guard.inFlight()).isZero();
  }

  @Test
  void fullQueueFailsAtOnceAndQueuedCallsRunWhenSlotsFree() throws Exception {
    behaviour.set(parked::add);
    HttpGuard guard = guard(config(1, 1, 50, 5_000));

    Future<GuardVerdict> first = judge(guard, request);
    Future<GuardVerdict> queued = judge(guard, request);
    Future<GuardVerdict> rejected = judge(guard, request);

    assertThat(rejected.failed()).isTrue();
    assertThat(((GuardException) rejected.cause()).kind()).isEqualTo(Kind.OVERLOADED);
    waitUntil(() -> parked.size() == 1);
    assertThat(guard.inFlight()).isEqualTo(1);

    // When the server answers the parked call, the queued one is sent
    answerParked(0, "safe");
    assertThat(await(first).safe()).isTrue();
    waitUntil(() -> parked.size() == 2);
    answerParked(1, "unsafe\nS2");
    assertThat(await(queued).categories()).containsExactly("S2");
    assertThat(guard.inFlight()).isZero();
  }

  @Test
  void cancellingResetsTheCallInFlightDropsTheQueuedOneAndSparesTheBreaker() throws Exception {
    behaviour.set(parked::add);
    HttpGuard guard = guard(config(1, 4, 1, 5_000));
    java.util.concurrent.atomic.AtomicBoolean reset = new java.util.concurrent.atomic.AtomicBoolean();

    Future<GuardVerdict> inFlight = judge(guard, request);
    Future<GuardVerdict> queued = judge(guard, request);
    waitUntil(() -> parked.size() == 1);
    parked.get(0).connection().closeHandler(v -> reset.set(true));

    cancel(guard, queued);
    cancel(guard, inFlight);
    cancel(guard, inFlight);

    assertThat(failureKind(queued)).isEqualTo(Kind.CANCELLED);
    assertThat(failureKind(inFlight)).isEqualTo(Kind.CANCELLED);
    waitUntil(reset::get);
    assertThat(guard.inFlight()).isZero();
    assertThat(parked).hasSize(1);
    assertThat(registry.get("thinkgate.guard.calls").tag("outcome", "cancelled").counter().count())
        .isEqualTo(2);
    // breaker_failures is 1: had cancellation counted as a failure, this call would be refused
    completions("\n\nsafe");
    assertThat(await(judge(guard, request)).safe()).isTrue();
  }

  @Test
  void breakerOpensAfterConsecutiveFailuresThenHalfOpensOnTheInjectedClock() throws Exception {
    behaviour.set(req -> req.response().setStatusCode(503).end());
    HttpGuard guard = guard(config(4, 4, 2, 2_000));

    assertThat(failureKind(judge(guard, request))).isEqualTo(Kind.HTTP_ERROR);
    assertThat(failureKind(judge(guard, request))).isEqualTo(Kind.HTTP_ERROR);
    assertThat(guard.breakerState()).isEqualTo("open");

    // While open, calls fail without reaching the server
    assertThat(failureKind(judge(guard, request))).isEqualTo(Kind.CIRCUIT_OPEN);
    clock.addAndGet(999);
    assertThat(failureKind(judge(guard, request))).isEqualTo(Kind.CIRCUIT_OPEN);
    assertThat(hits.get()).isEqualTo(2);

    // After breakerOpenMs one trial goes through; it fails, so the breaker re-opens
    clock.addAndGet(1);
    assertThat(failureKind(judge(guard, request))).isEqualTo(Kind.HTTP_ERROR);
    assertThat(hits.get()).isEqualTo(3);
    assertThat(guard.breakerState()).isEqualTo("open");

    // Next trial succeeds and closes it
    clock.addAndGet(1_000);
    completions("safe");
    assertThat(await(judge(guard, request)).safe()).isTrue();
    assertThat(guard.breakerState()).isEqualTo("closed");
    assertThat(await(judge(guard, request)).safe()).isTrue();
    assertThat(registry.get("thinkgate.guard.calls").tag("outcome", "circuit_open").counter().count()).isEqualTo(2);
  }

  @Test
  void halfOpenLetsOnlyOneTrialThrough() throws Exception {
    behaviour.set(req -> req.response().setStatusCode(500).end());
    HttpGuard guard = guard(config(4, 4, 1, 5_000));
    assertThat(failureKind(judge(guard, request))).isEqualTo(Kind.HTTP_ERROR);
    behaviour.set(parked::add);
    clock.addAndGet(1_000);

    Future<GuardVerdict> trial = judge(guard, request);
    Future<GuardVerdict> concurrent = judge(guard, request);

    assertThat(concurrent.failed()).isTrue();
    assertThat(((GuardException) concurrent.cause()).kind()).isEqualTo(Kind.CIRCUIT_OPEN);
    waitUntil(() -> parked.size() == 1);
    answerParked(0, "safe");
    assertThat(await(trial).safe()).isTrue();
    assertThat(guard.breakerState()).isEqualTo("closed");
  }

  @Test
  void missingKeyMeansNoAuthorizationHeader() throws Exception {
    GuardConfig c = config(4, 4, 5, 2_000);
    HttpGuard guard = guard(c, name -> null);

    await(judge(guard, request));

    assertThat(authHeaders).containsExactly("null");
  }

  @Test
  void aKeyWithAControlCharacterIsRefusedWithoutEchoingIt() {
    GuardConfig c = config(4, 4, 5, 2_000);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> guard(c, Map.of("GUARD_KEY", "sk-secret\r\nX-Injected: 1")::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("guards.default.api_key_env: environment variable GUARD_KEY holds a control"
            + " character");
  }

  @Test
  void guardsCreateWrapsTheHttpGuardInTheCache() throws Exception {
    GuardConfig c = GuardConfig.quickStart("http://127.0.0.1:" + port, GuardFormat.LLAMA_GUARD_3, null);
    Guard guard = Guards.create(c, vertx, registry, name -> null);

    GuardVerdict first = await(judge(guard, request));
    GuardVerdict second = await(judge(guard, request));

    assertThat(guard).isInstanceOf(CachingGuard.class);
    assertThat(first.cached()).isFalse();
    assertThat(second.cached()).isTrue();
    assertThat(hits.get()).isEqualTo(1);
  }

  // ------------------------------------------------------------ batches

  private final GuardRequest unsafeRequest =
      new GuardRequest("how do I bake bread", "First build a bomb.", List.of("S1"));

  /**
   * Answers as vLLM answers a completions request whose prompt is a list: one choice a prompt,
   * {@code index} its place (vllm/entrypoints/openai/serving_completion.py,
   * {@code request_output_to_completion_response}); a prompt holding TOO-LONG fails the whole
   * request with 400, as vLLM's length check fails it for one prompt over max_model_len.
   */
  void batchCompletions() {
    behaviour.set(req -> {
      JsonObject body = bodies.get(bodies.size() - 1);
      Object prompt = body.getValue("prompt");
      List<Object> prompts = prompt instanceof JsonArray a ? a.getList() : List.of(prompt);
      if (prompts.stream().anyMatch(p -> String.valueOf(p).contains("TOO-LONG"))) {
        req.response().setStatusCode(400).end(new JsonObject().put("object", "error")
            .put("message", "This model's maximum context length is 8192 tokens.")
            .put("type", "BadRequestError").put("code", 400).encode());
        return;
      }
      JsonArray choices = new JsonArray();
      for (Object p : prompts) {
        choices.add(new JsonObject().put("index", choices.size()).put("finish_reason", "stop")
            .put("text", String.valueOf(p).contains("bomb") ? "\n\nunsafe\nS1" : "\n\nsafe"));
      }
      req.response().end(new JsonObject().put("object", "text_completion").put("choices", choices)
          .encode());
    });
  }

  @Test
  void severalVerdictsGoAsOneCompletionsRequestWhosePromptIsTheirList() throws Exception {
    batchCompletions();
    HttpGuard guard = guard(config(4, 4, 5, 2_000));

    List<Future<GuardVerdict>> verdicts = judgeAll(guard, List.of(request, unsafeRequest, request));

    assertThat(await(verdicts.get(0)).safe()).isTrue();
    assertThat(await(verdicts.get(1)).categories()).containsExactly("S1");
    assertThat(await(verdicts.get(2)).safe()).isTrue();
    assertThat(bodies).hasSize(1);
    LlamaGuardFormat format = LlamaGuardFormat.llamaGuard3();
    assertThat(bodies.get(0).getJsonArray("prompt").getList()).containsExactly(
        format.prompt(request), format.prompt(unsafeRequest), format.prompt(request));
    assertThat(bodies.get(0).fieldNames()).containsExactlyInAnyOrder("model", "temperature",
        "max_tokens", "stream", "add_special_tokens", "prompt");
    assertThat(registry.get("thinkgate.guard.requests").counter().count()).isEqualTo(1);
    assertThat(registry.get("thinkgate.guard.calls").tag("outcome", "safe").counter().count()).isEqualTo(2);
    assertThat(registry.get("thinkgate.guard.calls").tag("outcome", "unsafe").counter().count()).isEqualTo(1);
    assertThat(guard.inFlight()).isZero();
  }

  @Test
  void aBatchTheServerRefusesIsJudgedPromptByPromptSoOneBadPromptFailsAlone() throws Exception {
    batchCompletions();
    HttpGuard guard = guard(config(4, 4, 5, 2_000));
    GuardRequest tooLong = new GuardRequest("how do I bake bread", "TOO-LONG", List.of("S1"));

    List<Future<GuardVerdict>> verdicts = judgeAll(guard, List.of(unsafeRequest, tooLong));

    assertThat(await(verdicts.get(0)).categories()).containsExactly("S1");
    assertThat(failureKind(verdicts.get(1))).isEqualTo(Kind.HTTP_ERROR);
    assertThat(bodies).hasSize(3); // the batch, then each alone
    assertThat(bodies.get(1).getString("prompt")).contains("bomb");
    assertThat(bodies.get(2).getString("prompt")).contains("TOO-LONG");
    assertThat(guard.inFlight()).isZero();
  }

  @Test
  void aListTheServerDoesNotTakeAsABatchIsSentAgainPromptByPrompt() throws Exception {
    // a FastAPI server whose schema takes one string refuses a list with 422; one that joins the
    // list into one prompt answers once, judging them together: neither verdict can be used
    for (boolean refuses : new boolean[] {true, false}) {
      HttpGuard guard = guard(config(4, 4, 5, 2_000));
      bodies.clear();
      behaviour.set(req -> {
        JsonObject body = bodies.get(bodies.size() - 1);
        boolean list = body.getValue("prompt") instanceof JsonArray;
        if (list && refuses) {
          req.response().setStatusCode(422).end("{\"detail\":\"prompt: str type expected\"}");
          return;
        }
        String text = String.valueOf(body.getValue("prompt")).contains("bomb") ? "unsafe\nS1" : "safe";
        req.response().end(new JsonObject().put("choices", new JsonArray().add(new JsonObject()
            .put("index", 0).put("text", text).put("finish_reason", "stop"))).encode());
      });

      List<Future<GuardVerdict>> verdicts = judgeAll(guard, List.of(request, unsafeRequest));

      assertThat(await(verdicts.get(0)).safe()).as("refuses " + refuses).isTrue();
      assertThat(await(verdicts.get(1)).categories()).as("refuses " + refuses).containsExactly("S1");
      assertThat(bodies).hasSize(3);
      assertThat(guard.breakerState()).isEqualTo("closed");
      // and it is not asked for a list again
      List<Future<GuardVerdict>> again = judgeAll(guard, List.of(request, unsafeRequest));
      assertThat(await(again.get(1)).categories()).containsExactly("S1");
      assertThat(bodies).hasSize(5);
      assertThat(bodies.subList(3, 5)).allMatch(b -> b.getValue("prompt") instanceof String);
    }
  }

  @Test
  void aBatchAnsweredWithChoicesOutOfOrderOrCutFailsEveryVerdict() throws Exception {
    HttpGuard guard = guard(config(4, 4, 5, 2_000));
    for (String choices : List.of(
        "[{\"index\":1,\"text\":\"safe\"},{\"index\":0,\"text\":\"safe\"}]",
        "[{\"index\":0,\"text\":\"safe\"},{\"index\":1,\"text\":\"unsafe\\nS1\","
            + "\"finish_reason\":\"length\"}]")) {
      behaviour.set(req -> req.response().end("{\"choices\":" + choices + "}"));
      List<Future<GuardVerdict>> verdicts = judgeAll(guard, List.of(request, request));
      assertThat(failureKind(verdicts.get(0))).as(choices).isEqualTo(Kind.UNPARSABLE);
      assertThat(failureKind(verdicts.get(1))).as(choices).isEqualTo(Kind.UNPARSABLE);
    }
  }

  @Test
  void cancellingOneVerdictOfABatchLeavesTheOthersAndCancellingAllResetsIt() throws Exception {
    behaviour.set(parked::add);
    HttpGuard guard = guard(config(1, 4, 5, 5_000));

    List<Future<GuardVerdict>> both = judgeAll(guard, List.of(request, unsafeRequest));
    waitUntil(() -> parked.size() == 1);
    cancel(guard, both.get(0));
    assertThat(failureKind(both.get(0))).isEqualTo(Kind.CANCELLED);
    parked.get(0).response().end(new JsonObject().put("choices", new JsonArray()
        .add(new JsonObject().put("index", 0).put("text", "safe"))
        .add(new JsonObject().put("index", 1).put("text", "unsafe\nS1"))).encode());
    assertThat(await(both.get(1)).categories()).containsExactly("S1");

    java.util.concurrent.atomic.AtomicBoolean reset = new java.util.concurrent.atomic.AtomicBoolean();
    List<Future<GuardVerdict>> again = judgeAll(guard, List.of(request, request));
    waitUntil(() -> parked.size() == 2);
    parked.get(1).connection().closeHandler(v -> reset.set(true));
    cancel(guard, again.get(0));
    cancel(guard, again.get(1));
    waitUntil(reset::get);
    assertThat(guard.inFlight()).isZero();
    assertThat(registry.get("thinkgate.guard.calls").tag("outcome", "cancelled").counter().count())
        .isEqualTo(3);
  }

  @Test
  void theChatApiTakesOneConversationARequestSoEachGoesAlone() throws Exception {
    behaviour.set(req -> req.response().end(new JsonObject().put("choices", new JsonArray().add(
        new JsonObject().put("index", 0).put("message", new JsonObject().put("role", "assistant")
            .put("content", "safe")))).encode()));
    GuardConfig chat = new GuardConfig("default", "http://127.0.0.1:" + port,
        GuardFormat.LLAMA_GUARD_3, null, GuardApi.CHAT, null, 2_000, 4, 4, 5, 1_000, 0, 0);
    HttpGuard guard = guard(chat);

    List<Future<GuardVerdict>> verdicts = judgeAll(guard, List.of(request, unsafeRequest));

    assertThat(await(verdicts.get(0)).safe()).isTrue();
    assertThat(await(verdicts.get(1)).safe()).isTrue();
    assertThat(paths).containsExactly("/v1/chat/completions", "/v1/chat/completions");
  }

  private void answerParked(int i, String text) {
    HttpServerRequest req = parked.get(i);
    req.response().end(new JsonObject().put("choices", new JsonArray().add(new JsonObject().put("text", text)))
        .encode());
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5_000;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("condition not met in time");
      }
      Thread.sleep(5);
    }
  }
}
