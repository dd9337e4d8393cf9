package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #5 end to end: every reasoning mode through a real gateway in front of the emulated vLLM
 * server. Asserts the exact upstream request bodies (prefill byte for byte, continuation flags,
 * stop, per-call budgets, round count) and what the client received (one seamless stream).
 */
class ReasoningModesIT {
  private static final String PROMPT = "What is two plus two?";
  private static final String ANSWER = "Two plus two is four.";
  private static final String THINKING = "The user asks a simple sum; two and two make four.";
  /** MoreThink round k (k = continuation cues in the prefill) thinks ROUND_THOUGHTS[k]. */
  private static final List<String> ROUND_THOUGHTS = List.of(
      "First pass: adding two and two gives four.",
      "Second pass: four is also two squared.",
      "Third pass: counting on fingers agrees.",
      "Fourth pass: nothing else fits, it is four.");
  private static final Pattern CUE = Pattern.compile("Wait|Let me think again");

  private static final String OPEN = "<think>\n";
  private static final String ZEROTHINK_PREFILL = "<think>\n\n</think>\n\n";
  private static final String LESSTHINK_PREFILL = "<think>\nOkay, the user ask for this, I can"
      + " answer it without thinking much. \n</think>\n\n";
  private static final String SAFETY_PREFILL = "<think>\nOkay, before answering I need to check"
      + " whether this request is safe. Let me go through the safety categories one by one:"
      + " harassment/threatening, hate/threatening, illicit/violent,"
      + " self-harm/intent/instructions, sexual/minors, violence/graphic, misinformation,"
      + " privacy/sensitive.\n\n";
  private static final String BUDGET_CLOSING = "\n\nConsidering the limited time by the user, I"
      + " have to give the solution based on the thinking directly now.\n</think>\n\n";
  private static final String R1_PROMPT = "<｜begin▁of▁sentence｜><｜User｜>" + PROMPT
      + "<｜Assistant｜><think>\n";

  // ------------------------------------------------------------------ prefill modes

  @Test
  void zeroThinkPrefillsAnEmptyClosedThoughtAndTheClientGetsOnlyTheAnswer() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(scripted(fixed())).policy("zerothink")
        .start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions", request());

      List<JsonObject> upstream = h.model.requests();
      assertThat(upstream).hasSize(1);
      assertPrefilled(upstream.get(0), ZEROTHINK_PREFILL);
      assertThat(s.header("X-ThinkGate-Reasoning")).isEqualTo("zerothink");
      assertThat(s.thinking()).isEmpty();
      assertThat(s.answer()).isEqualTo(ANSWER);
      assertSeamless(s, "stop");
      assertUsage(s, summedUsage(h, upstream));
    }
  }

  @Test
  void lessThinkPrefillsTheExactSentenceAndHidesItUnlessShowPrefill(@TempDir Path policies)
      throws Exception {
    Files.writeString(policies.resolve("shown.yaml"),
        "reasoning:\n  mode: lessthink\n  show_prefill: true\n");
    Files.copy(Path.of("policies/lessthink.yaml"), policies.resolve("lessthink.yaml"));
    try (GatewayHarness h = new GatewayHarness().model(scripted(fixed())).policies(policies)
        .tenant("hidden", "key-hidden", "lessthink").tenant("shown", "key-shown", "shown")
        .start()) {
      TestClient.Stream hidden = h.client.stream("/v1/chat/completions", request(),
          "Authorization", "Bearer key-hidden");
      TestClient.Stream shown = h.client.stream("/v1/chat/completions", request(),
          "Authorization", "Bearer key-shown");

      List<JsonObject> upstream = h.model.requests();
      assertThat(upstream).hasSize(2);
      assertPrefilled(upstream.get(0), LESSTHINK_PREFILL);
      assertPrefilled(upstream.get(1), LESSTHINK_PREFILL);
      assertThat(hidden.thinking()).isEmpty();
      assertThat(hidden.answer()).isEqualTo(ANSWER);
      assertThat(shown.thinking())
          .isEqualTo("Okay, the user ask for this, I can answer it without thinking much. ");
      assertThat(shown.answer()).isEqualTo(ANSWER);
      assertSeamless(hidden, "stop");
      assertSeamless(shown, "stop");
      assertUsage(hidden, summedUsage(h, upstream.subList(0, 1)));
    }
  }

  @Test
  void safetyTemplateLeavesTheSelfCheckOpenForTheModelToContinue() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(scripted(fixed()))
        .guard(GuardEmulatorOptions.defaults()).policy("shadow-audit").start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions", request(),
          "X-ThinkGate-Reasoning", "safety_template");

      List<JsonObject> upstream = clientCalls(h);
      assertThat(upstream).hasSize(1);
      assertPrefilled(upstream.get(0), SAFETY_PREFILL);
      assertThat(s.header("X-ThinkGate-Reasoning")).isEqualTo("safety_template");
      assertThat(s.thinking()).isEqualTo(THINKING + "\n");
      assertThat(s.answer().strip()).isEqualTo(ANSWER);
      assertSeamless(s, "stop");
    }
  }

  @Test
  void budgetStopsALongThoughtClosesItAndAnswersWithTheRest(@TempDir Path policies)
      throws Exception {
    Files.writeString(policies.resolve("b.yaml"),
        "reasoning:\n  mode: budget\n  budget:\n    think_tokens: 5\n");
    try (GatewayHarness h = new GatewayHarness().model(scripted(fixed())).policies(policies)
        .policy("b").start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions",
          request().put("max_tokens", 100));

      List<JsonObject> upstream = h.model.requests();
      assertThat(upstream).hasSize(2);
      JsonObject think = upstream.get(0);
      assertPrefilled(think, OPEN);
      assertThat(think.getInteger("max_tokens")).isEqualTo(5);
      assertThat(think.getJsonArray("stop")).containsExactly("</think>");
      String firstFive = "The user asks a simple";
      JsonObject answer = upstream.get(1);
      assertPrefilled(answer, OPEN + firstFive + BUDGET_CLOSING);
      assertThat(answer.getInteger("max_tokens")).isEqualTo(100 - 5);
      assertThat(answer.containsKey("stop")).isFalse();
      assertThat(s.thinking()).isEqualTo(firstFive
          + "\n\nConsidering the limited time by the user, I have to give the solution based on"
          + " the thinking directly now.\n");
      assertThat(s.answer()).isEqualTo(ANSWER);
      assertSeamless(s, "stop");
      assertUsage(s, summedUsage(h, upstream));
    }
  }

  // ------------------------------------------------------------------ MoreThink

  @Test
  void moreThinkRunsRoundsWithContinuationsAsOneSeamlessStream(@TempDir Path policies)
      throws Exception {
    Files.writeString(policies.resolve("mt.yaml"), """
        reasoning:
          mode: morethink
          morethink:
            think_budget: 1000
            max_rounds: 3
            total_max_tokens: 1500
            seed: 42
        """);
    try (GatewayHarness h = new GatewayHarness().model(scripted(byRound(ANSWER)))
        .policies(policies).policy("mt").start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions", request());

      List<JsonObject> upstream = h.model.requests();
      // three continuations: four thinking rounds, then the answer
      assertThat(upstream).hasSize(5);
      List<String> cues = new ArrayList<>();
      String thought = "";
      int thinkingTokens = 0;
      for (int round = 0; round < 4; round++) {
        JsonObject call = upstream.get(round);
        String prefill = assistantPrefill(call);
        assertThat(prefill).isEqualTo(OPEN + thought);
        assertThat(call.getBoolean("continue_final_message")).isTrue();
        assertThat(call.getBoolean("add_generation_prompt")).isFalse();
        assertThat(call.getJsonArray("stop")).containsExactly("</think>");
        assertThat(call.getInteger("max_tokens")).isEqualTo(1000 - thinkingTokens);
        thinkingTokens += completionTokens(h, call);
        thought += ROUND_THOUGHTS.get(round) + "\n";
        if (round < 3) {
          String next = assistantPrefill(upstream.get(round + 1));
          String cue = next.substring(OPEN.length() + thought.length());
          assertThat(cue).isIn("Wait", "Let me think again");
          cues.add(cue);
          thought += cue; // directly after the text, no space or newline
        }
      }
      JsonObject answerCall = upstream.get(4);
      assertPrefilled(answerCall, OPEN + thought + "</think>\n\n");
      assertThat(answerCall.getInteger("max_tokens")).isEqualTo(1500 - thinkingTokens);
      // issue 15: the answer call carries only the client's stop strings (none here)
      assertThat(answerCall.containsKey("stop")).isFalse();

      assertThat(s.thinking()).isEqualTo(thought);
      assertThat(s.answer()).isEqualTo(ANSWER);
      assertThinkingThenAnswer(s);
      assertSeamless(s, "stop");
      assertUsage(s, summedUsage(h, upstream));

      // the policy's seed makes the continuation choice reproducible
      h.model.clearRequests();
      h.client.stream("/v1/chat/completions", request());
      List<String> again = new ArrayList<>();
      List<JsonObject> second = h.model.requests();
      for (int round = 1; round < 4; round++) {
        Matcher m = CUE.matcher(assistantPrefill(second.get(round)));
        String last = null;
        while (m.find()) {
          last = m.group();
        }
        again.add(last);
      }
      assertThat(again).isEqualTo(cues);
    }
  }

  @Test
  void moreThinkOverTheCompletionsDialectRendersTheDeepSeekR1Prompt(@TempDir Path policies)
      throws Exception {
    Files.writeString(policies.resolve("mt.yaml"), """
        reasoning:
          mode: morethink
          allow_override: [zerothink]
          morethink:
            think_budget: 1000
            max_rounds: 1
            total_max_tokens: 1500
            continuations: [Wait]
        """);
    try (GatewayHarness h = new GatewayHarness().model(scripted(byRound(ANSWER)))
        .dialect(UpstreamDialect.COMPLETIONS).policies(policies).policy("mt").start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions", request());

      List<JsonObject> upstream = h.model.requests();
      assertThat(upstream).hasSize(3);
      String round0 = ROUND_THOUGHTS.get(0) + "\n";
      String round1 = ROUND_THOUGHTS.get(1) + "\n";
      assertThat(upstream.get(0).getString("prompt")).isEqualTo(R1_PROMPT);
      assertThat(upstream.get(0).getJsonArray("stop")).containsExactly("</think>");
      assertThat(upstream.get(0).getInteger("max_tokens")).isEqualTo(1000);
      assertThat(upstream.get(1).getString("prompt")).isEqualTo(R1_PROMPT + round0 + "Wait");
      assertThat(upstream.get(2).getString("prompt"))
          .isEqualTo(R1_PROMPT + round0 + "Wait" + round1 + "</think>\n\n");
      assertThat(upstream).allSatisfy(call -> {
        assertThat(call.containsKey("messages")).isFalse();
        assertThat(call.getString("model")).isEqualTo(MODEL);
      });
      assertThat(s.thinking()).isEqualTo(round0 + "Wait" + round1);
      assertThat(s.answer()).isEqualTo(ANSWER);
      assertSeamless(s, "stop");
      assertUsage(s, summedUsage(h, upstream));

      h.model.clearRequests();
      TestClient.Stream zero = h.client.stream("/v1/chat/completions", request(),
          "X-ThinkGate-Reasoning", "zerothink");
      assertThat(h.model.requests()).singleElement().satisfies(call ->
          assertThat(call.getString("prompt")).isEqualTo(R1_PROMPT + "\n</think>\n\n"));
      assertThat(zero.answer()).isEqualTo(ANSWER);
      assertThat(zero.thinking()).isEmpty();
    }
  }

  @Test
  void moreThinkWhenTheModelClosesItsThoughtAtOnce(@TempDir Path policies) throws Exception {
    Files.writeString(policies.resolve("mt.yaml"), """
        reasoning:
          mode: morethink
          morethink: {think_budget: 1000, max_rounds: 2, total_max_tokens: 1500}
        """);
    try (GatewayHarness h = new GatewayHarness().policies(policies).policy("mt").start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "Name a colour [[close-think-now]]").put("temperature", 0)
              .put("stream_options", new JsonObject().put("include_usage", true)));

      List<JsonObject> upstream = h.model.requests();
      assertThat(upstream).hasSize(4);
      String thought = "";
      for (int round = 0; round < 3; round++) {
        assertThat(assistantPrefill(upstream.get(round))).isEqualTo(OPEN + thought);
        if (round < 2) {
          String next = assistantPrefill(upstream.get(round + 1));
          thought += next.substring(OPEN.length() + thought.length());
        }
      }
      // every round was empty: the thought is the continuation words alone
      assertThat(thought).matches("(Wait|Let me think again){2}");
      assertThat(assistantPrefill(upstream.get(3))).isEqualTo(OPEN + thought + "</think>\n\n");
      assertThat(s.thinking()).isEqualTo(thought);
      assertThat(s.answer()).isNotBlank();
      assertSeamless(s, "stop");
      assertUsage(s, summedUsage(h, upstream));
    }
  }

  @Test
  void moreThinkBudgetRunningOutMidRoundEndsTheThought(@TempDir Path policies) throws Exception {
    Files.writeString(policies.resolve("mt.yaml"), """
        reasoning:
          mode: morethink
          morethink: {think_budget: 12, max_rounds: 10, total_max_tokens: 40, continuations: [Wait]}
        """);
    try (GatewayHarness h = new GatewayHarness().model(scripted(byRound(ANSWER)))
        .policies(policies).policy("mt").start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions", request());

      List<JsonObject> upstream = h.model.requests();
      // round 0 stops at </think> within budget; round 1 is cut by max_tokens; then the answer
      assertThat(upstream).hasSize(3);
      int round0Tokens = completionTokens(h, upstream.get(0));
      assertThat(round0Tokens).isLessThan(12);
      assertThat(upstream.get(1).getInteger("max_tokens")).isEqualTo(12 - round0Tokens);
      String round0 = ROUND_THOUGHTS.get(0) + "\n";
      String cut = String.join("", firstTokens(ROUND_THOUGHTS.get(1), 12 - round0Tokens));
      assertPrefilled(upstream.get(2), OPEN + round0 + "Wait" + cut + "</think>\n\n");
      assertThat(upstream.get(2).getInteger("max_tokens")).isEqualTo(40 - 12);
      assertThat(s.thinking()).isEqualTo(round0 + "Wait" + cut);
      assertThat(s.answer()).isEqualTo(ANSWER);
      assertSeamless(s, "stop");
      assertUsage(s, summedUsage(h, upstream));
    }
  }

  @Test
  void moreThinkUpstreamFailureInRoundThreeIsAnErrorEventNotACompleteLookingAnswer(
      @TempDir Path policies) throws Exception {
    Files.writeString(policies.resolve("mt.yaml"), """
        reasoning:
          mode: morethink
          morethink: {think_budget: 1000, max_rounds: 5, total_max_tokens: 1500}
        """);
    Function<JsonObject, Script> failThirdRound = body -> {
      Script script = byRound(ANSWER).apply(body);
      return cues(assistantPrefill(body)) == 2
          ? script.withFaults(Set.of(Script.Fault.SERVER_ERROR)) : script;
    };
    try (GatewayHarness h = new GatewayHarness().model(scripted(failThirdRound))
        .policies(policies).policy("mt").start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions", request());

      assertThat(h.model.requestCount()).isEqualTo(3);
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.thinking()).startsWith(ROUND_THOUGHTS.get(0)).contains(ROUND_THOUGHTS.get(1));
      assertThat(s.answer()).isEmpty();
      assertThat(s.finishReason()).isNull();
      assertThat(s.error()).isNotNull();
      assertThat(s.error().getString("type")).isEqualTo("upstream_error");
      assertThat(s.done()).isFalse();
      assertThat(s.body()).doesNotContain("[DONE]");
    }
  }

  @Test
  void moreThinkClientHangingUpInRoundTwoStopsAllUpstreamCalls(@TempDir Path policies)
      throws Exception {
    Files.writeString(policies.resolve("mt.yaml"), """
        reasoning:
          mode: morethink
          morethink: {think_budget: 1000, max_rounds: 5, total_max_tokens: 1500, continuations: [Wait]}
        """);
    // Round two sends a few chunks, then stalls until its client (the gateway) goes away.
    Function<JsonObject, Script> stallSecondRound = body -> {
      Script script = byRound(ANSWER).apply(body);
      return cues(assistantPrefill(body)) == 1
          ? script.withFaults(Set.of(Script.Fault.STALL)) : script;
    };
    try (GatewayHarness h = new GatewayHarness().model(scripted(stallSecondRound))
        .policies(policies).policy("mt").start()) {
      String seen = h.client.streamAndHangUp("/v1/chat/completions", request(),
          text -> text.contains("Second"), 10_000);

      assertThat(seen).contains("Wait");
      StreamControlIT.waitUntil(() -> h.model.cancelledStreams() >= 1, 5_000);
      assertThat(h.model.cancelledStreams()).isEqualTo(1);
      StreamControlIT.waitUntil(() -> h.metrics.openStreams() == 0, 5_000);
      // Bounded wait: had the gateway gone on, round three would have started by now.
      Thread.sleep(300);
      assertThat(h.model.requestCount()).isEqualTo(2);
    }
  }

  // ------------------------------------------------------------------ override header

  @Test
  void overrideHeaderPicksAnyModeThePolicyAllows() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(scripted(fixed()))
        .guard(GuardEmulatorOptions.defaults()).policy("shadow-audit").start()) {
      TestClient.Stream zero = h.client.stream("/v1/chat/completions", request(),
          "X-ThinkGate-Reasoning", "zerothink");
      TestClient.Stream less = h.client.stream("/v1/chat/completions", request(),
          "X-ThinkGate-Reasoning", "LessThink");
      TestClient.Stream plain = h.client.stream("/v1/chat/completions", request());

      List<JsonObject> upstream = clientCalls(h);
      assertThat(upstream).hasSize(3);
      assertPrefilled(upstream.get(0), ZEROTHINK_PREFILL);
      assertPrefilled(upstream.get(1), LESSTHINK_PREFILL);
      assertThat(upstream.get(2).getJsonArray("messages")).isEqualTo(request().getJsonArray(
          "messages"));
      assertThat(upstream.get(2).containsKey("continue_final_message")).isFalse();
      assertThat(zero.header("X-ThinkGate-Reasoning")).isEqualTo("zerothink");
      assertThat(less.header("X-ThinkGate-Reasoning")).isEqualTo("lessthink");
      assertThat(plain.header("X-ThinkGate-Reasoning")).isEqualTo("passthrough");
      assertThat(zero.answer()).isEqualTo(ANSWER);
      assertThat(plain.thinking()).isEqualTo(THINKING + "\n");
    }
  }

  @Test
  void overrideNotAllowedOrUnknownIsA400WithAClearMessage() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(scripted(fixed())).policy("zerothink")
        .start()) {
      TestClient.Response notAllowed = h.client.post("/v1/chat/completions", request().encode(),
          "X-ThinkGate-Reasoning", "morethink");
      TestClient.Response unknown = h.client.post("/v1/chat/completions", request().encode(),
          "X-ThinkGate-Reasoning", "ultrathink");
      TestClient.Response same = h.client.post("/v1/chat/completions", request().encode(),
          "X-ThinkGate-Reasoning", "zerothink");

      assertThat(notAllowed.status()).isEqualTo(400);
      JsonObject error = notAllowed.json().getJsonObject("error");
      assertThat(error.getString("message")).contains("zerothink")
          .contains("does not allow the reasoning mode 'morethink'");
      assertThat(error.getString("param")).isEqualTo("X-ThinkGate-Reasoning");
      assertThat(unknown.status()).isEqualTo(400);
      assertThat(unknown.json().getJsonObject("error").getString("message"))
          .contains("Unknown reasoning mode 'ultrathink'");
      assertThat(same.status()).isEqualTo(200);
      // the refused requests never reached the model
      assertThat(h.model.requestCount()).isEqualTo(1);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static JsonObject request() {
    return TestClient.chat(MODEL, PROMPT)
        .put("stream_options", new JsonObject().put("include_usage", true));
  }

  /**
   * The upstream calls made for clients: shadow-audit also draws Safe@K samples in the
   * background, sent with SafeChain's temperature 0.6.
   */
  private static List<JsonObject> clientCalls(GatewayHarness h) {
    return h.model.requests().stream().filter(call -> !call.containsKey("temperature")).toList();
  }

  private static ModelEmulatorOptions scripted(Function<JsonObject, Script> script) {
    return ModelEmulatorOptions.builder().scriptOverride(script).build();
  }

  private static Function<JsonObject, Script> fixed() {
    return body -> Script.of(THINKING, ANSWER);
  }

  /** Round k of a MoreThink run (k continuation cues in the prefill) thinks ROUND_THOUGHTS[k]. */
  private static Function<JsonObject, Script> byRound(String answer) {
    return body -> Script.of(
        ROUND_THOUGHTS.get(Math.min(cues(assistantPrefill(body)), ROUND_THOUGHTS.size() - 1)),
        answer);
  }

  private static int cues(String prefill) {
    if (prefill == null) {
      return 0;
    }
    Matcher m = CUE.matcher(prefill);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  /** The assistant text a request prefilled (chat or rendered R1 prompt), or null. */
  static String assistantPrefill(JsonObject body) {
    if (body.getValue("prompt") instanceof String prompt) {
      int at = prompt.lastIndexOf("<｜Assistant｜>");
      return at < 0 ? null : prompt.substring(at + "<｜Assistant｜>".length());
    }
    JsonArray messages = body.getJsonArray("messages");
    JsonObject last = messages.getJsonObject(messages.size() - 1);
    return "assistant".equals(last.getString("role")) ? last.getString("content") : null;
  }

  private static void assertPrefilled(JsonObject upstream, String prefill) {
    JsonArray messages = upstream.getJsonArray("messages");
    assertThat(messages.getJsonObject(messages.size() - 1)).isEqualTo(
        new JsonObject().put("role", "assistant").put("content", prefill));
    assertThat(new JsonArray(messages.getList().subList(0, messages.size() - 1)))
        .isEqualTo(request().getJsonArray("messages"));
    assertThat(upstream.getBoolean("continue_final_message")).isTrue();
    assertThat(upstream.getBoolean("add_generation_prompt")).isFalse();
    assertThat(upstream.getString("model")).isEqualTo(MODEL);
  }

  /** One id, one role announcement, one finish_reason (the last choice chunk), [DONE]. */
  static void assertSeamless(TestClient.Stream s, String finishReason) {
    assertThat(s.status()).isEqualTo(200);
    assertThat(s.error()).isNull();
    assertThat(s.done()).isTrue();
    assertThat(s.chunks()).isNotEmpty();
    String id = s.chunks().get(0).getString("id");
    assertThat(s.chunks()).extracting(c -> c.getString("id")).containsOnly(id);
    List<String> finishes = new ArrayList<>();
    int roles = 0;
    for (JsonObject chunk : s.chunks()) {
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices == null || choices.isEmpty()) {
        continue;
      }
      JsonObject choice = choices.getJsonObject(0);
      if (choice.getString("finish_reason") != null) {
        finishes.add(choice.getString("finish_reason"));
      }
      JsonObject delta = choice.getJsonObject("delta");
      if (delta != null && delta.containsKey("role")) {
        roles++;
      }
    }
    assertThat(finishes).containsExactly(finishReason);
    assertThat(roles).isEqualTo(1);
    long usageChunks = s.chunks().stream().filter(c -> c.getJsonObject("usage") != null).count();
    assertThat(usageChunks).isLessThanOrEqualTo(1);
  }

  /** No thinking delta after the first answer delta. */
  private static void assertThinkingThenAnswer(TestClient.Stream s) {
    boolean answering = false;
    for (JsonObject chunk : s.chunks()) {
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices == null || choices.isEmpty()) {
        continue;
      }
      JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
      if (delta == null) {
        continue;
      }
      String content = delta.getString("content");
      if (content != null && !content.isEmpty()) {
        answering = true;
      }
      if (answering) {
        assertThat(delta.getString("reasoning_content")).as("thinking after the answer began")
            .isNull();
      }
    }
  }

  private static void assertUsage(TestClient.Stream s, JsonObject expected) {
    JsonObject usage = s.usage();
    assertThat(usage).as("the client's usage chunk").isNotNull();
    for (String field : expected.fieldNames()) {
      assertThat(usage.getLong(field)).as("usage." + field).isEqualTo(expected.getLong(field));
    }
  }

  /** Replays each recorded upstream call directly against the emulator and sums its usage. */
  private static JsonObject summedUsage(GatewayHarness h, List<JsonObject> calls)
      throws Exception {
    long prompt = 0;
    long completion = 0;
    long total = 0;
    for (JsonObject call : calls) {
      JsonObject usage = replayUsage(h, call);
      prompt += usage.getLong("prompt_tokens");
      completion += usage.getLong("completion_tokens");
      total += usage.getLong("total_tokens");
    }
    return new JsonObject().put("prompt_tokens", prompt).put("total_tokens", total)
        .put("completion_tokens", completion);
  }

  private static int completionTokens(GatewayHarness h, JsonObject call) throws Exception {
    return replayUsage(h, call).getInteger("completion_tokens");
  }

  private static JsonObject replayUsage(GatewayHarness h, JsonObject call) throws Exception {
    String path = call.containsKey("prompt") ? "/v1/completions" : "/v1/chat/completions";
    TestClient.Stream direct = h.direct().stream(path, call.copy());
    assertThat(direct.usage()).as("usage of a replayed upstream call").isNotNull();
    return direct.usage();
  }

  /** The first n emulator tokens of text (words with their leading whitespace). */
  private static List<String> firstTokens(String text, int n) {
    List<String> tokens = dev.thinkgate.emulator.Decoding.tokenize(text);
    return tokens.subList(0, Math.min(n, tokens.size()));
  }
}
