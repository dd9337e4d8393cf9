package dev.thinkgate.reasoning;

import static dev.thinkgate.reasoning.Fixtures.chatBody;
import static dev.thinkgate.reasoning.Fixtures.failure;
import static dev.thinkgate.reasoning.Fixtures.policy;
import static dev.thinkgate.reasoning.Fixtures.request;
import static dev.thinkgate.reasoning.Fixtures.route;
import static dev.thinkgate.reasoning.Fixtures.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.policy.ReasoningMode;
import dev.thinkgate.reasoning.FakeUpstream.Reply;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PrefillModesTest {
  private static final String ZERO = "<think>\n\n</think>\n\n";
  private static final String LESS =
      "<think>\nOkay, the user ask for this, I can answer it without thinking much. \n</think>\n\n";

  /** The client's body plus the prefill as the vLLM/SGLang chat dialect sends it. */
  private static JsonObject expectedChatBody(String prefill) {
    JsonObject body = chatBody().put("model", "deepseek-ai/R1-Distill");
    body.getJsonArray("messages")
        .add(new JsonObject().put("role", "assistant").put("content", prefill));
    return body.put("continue_final_message", true).put("add_generation_prompt", false);
  }

  @ParameterizedTest
  @EnumSource(value = UpstreamDialect.class, names = {"VLLM", "SGLANG"})
  void zeroThinkOnAChatDialectAppendsTheClosedEmptyThought(UpstreamDialect dialect) {
    // Given
    FakeUpstream upstream = FakeUpstream.replying(Reply.answer("Knead flour.", 4));
    RecordingSink sink = new RecordingSink();

    // When
    RunResult result = run(request(ReasoningMode.ZEROTHINK, dialect, chatBody()), upstream, sink);

    // Then: the exact body, unknown and sampling fields untouched
    assertThat(upstream.requests()).hasSize(1);
    UpstreamRequest call = upstream.requests().get(0);
    assertThat(call.path()).isEqualTo(UpstreamRequest.CHAT);
    assertThat(call.output()).isEqualTo(OutputSpan.ANSWER);
    // SGLang (serving_chat.py _apply_jinja_template) appends the final assistant message to the
    // generation prompt, which on R1 already ends with <think>\n: it is not sent twice
    assertThat(call.body()).isEqualTo(expectedChatBody(
        dialect == UpstreamDialect.SGLANG ? ZERO.substring("<think>\n".length()) : ZERO));
    assertThat(sink.thinking()).isEmpty();
    assertThat(sink.answer()).isEqualTo("Knead flour.");
    assertThat(sink.finishReasons()).containsExactly("stop");
    assertThat(sink.ends).isEqualTo(1);
    assertThat(result.prefill()).isEqualTo(ZERO);
    assertThat(result.upstreamCalls()).isEqualTo(1);
  }

  @Test
  void zeroThinkOnACompletionsRouteSendsTheRenderedPromptAsInThePaper() {
    FakeUpstream upstream = FakeUpstream.replying(Reply.answer("Knead flour.", 4));
    JsonObject body = chatBody().put("max_tokens", 900).put("stop", "END");

    run(request(ReasoningMode.ZEROTHINK, UpstreamDialect.COMPLETIONS, body), upstream,
        new RecordingSink());

    UpstreamRequest call = upstream.requests().get(0);
    assertThat(call.path()).isEqualTo(UpstreamRequest.COMPLETIONS);
    assertThat(call.body()).isEqualTo(new JsonObject()
        .put("model", "deepseek-ai/R1-Distill")
        .put("prompt", "<｜begin▁of▁sentence｜><｜User｜>How do I bake bread?<｜Assistant｜>"
            + "<think>\n\n</think>\n\n")
        .put("add_special_tokens", false)
        .put("max_tokens", 900)
        .put("stop", new JsonArray().add("END"))
        .put("temperature", 0.6).put("top_p", 0.95).put("seed", 7));
  }

  @Test
  void aCompletionsRouteWithoutClientMaxTokensGetsSafeChainsDefaultNotVllms16() {
    FakeUpstream upstream = FakeUpstream.replying(Reply.answer("ok", 1));

    run(request(ReasoningMode.LESSTHINK, UpstreamDialect.COMPLETIONS, chatBody()), upstream,
        new RecordingSink());

    assertThat(upstream.body(0).getInteger("max_tokens")).isEqualTo(16_000);
    assertThat(upstream.body(0).getString("prompt")).endsWith("<｜Assistant｜>" + LESS);
  }

  @Test
  void qwen3TemplateGetsTheSamePrefillAfterItsOpenedThought() {
    FakeUpstream upstream = FakeUpstream.replying(Reply.answer("ok", 1));
    var route = route(UpstreamDialect.COMPLETIONS, "qwen3", false, false);

    run(request(ReasoningMode.ZEROTHINK, route, chatBody(), policy(ReasoningMode.ZEROTHINK, false),
        1), upstream, new RecordingSink());

    assertThat(upstream.body(0).getString("prompt")).isEqualTo(
        "<|im_start|>user\nHow do I bake bread?<|im_end|>\n<|im_start|>assistant\n" + ZERO);
  }

  @ParameterizedTest
  @EnumSource(value = UpstreamDialect.class, names = {"VLLM", "SGLANG"})
  void zeroThinkOnAnEnableThinkingRouteMergesTheKwargInsteadOfPrefilling(UpstreamDialect d) {
    FakeUpstream upstream = FakeUpstream.replying(Reply.answer("ok", 1));
    JsonObject body = chatBody()
        .put("chat_template_kwargs", new JsonObject().put("custom", 1))
        .put("tools", new JsonArray().add(new JsonObject().put("type", "function")));
    var route = route(d, "qwen3", true, false);

    RunResult result = run(request(ReasoningMode.ZEROTHINK, route, body,
        policy(ReasoningMode.ZEROTHINK, false), 1), upstream, new RecordingSink());

    JsonObject expected = body.copy().put("model", "deepseek-ai/R1-Distill")
        .put("chat_template_kwargs", new JsonObject().put("custom", 1)
            .put("enable_thinking", false));
    assertThat(upstream.body(0)).isEqualTo(expected);
    assertThat(upstream.requests().get(0).output()).isEqualTo(OutputSpan.ANSWER);
    assertThat(result.prefill()).isEmpty();
  }

  @Test
  void anEnableThinkingRouteOnTheCompletionsDialectStillPrefills() {
    FakeUpstream upstream = FakeUpstream.replying(Reply.answer("ok", 1));
    var route = route(UpstreamDialect.COMPLETIONS, "deepseek-r1", true, false);

    run(request(ReasoningMode.ZEROTHINK, route, chatBody(), policy(ReasoningMode.ZEROTHINK, false),
        1), upstream, new RecordingSink());

    assertThat(upstream.body(0).getString("prompt")).endsWith(ZERO);
    assertThat(upstream.body(0).containsKey("chat_template_kwargs")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void lessThinkShowsItsPrefilledThoughtFirstOnlyWhenThePolicySaysSo(boolean show) {
    FakeUpstream upstream = FakeUpstream.replying(Reply.answer("Mix and bake.", 3));
    RecordingSink sink = new RecordingSink();

    run(request(ReasoningMode.LESSTHINK, route(UpstreamDialect.VLLM), chatBody(),
        policy(ReasoningMode.LESSTHINK, show), 1), upstream, sink);

    assertThat(upstream.body(0)).isEqualTo(expectedChatBody(LESS));
    if (show) {
      assertThat(sink.deltaSequence()).containsExactly(
          "T:Okay, the user ask for this, I can answer it without thinking much. ",
          "A:Mix an", "A:d bake.");
    } else {
      assertThat(sink.deltaSequence()).containsExactly("A:Mix an", "A:d bake.");
    }
    // the shown thought carries the upstream's identity, like every other chunk
    assertThat(sink.ids()).containsExactly("chatcmpl-call1");
  }

  @Test
  void aPrefillAppliesToEveryChoiceWhenNIsGreaterThanOne() {
    FakeUpstream upstream = FakeUpstream.replying(Reply.answer("ok", 1));
    RecordingSink sink = new RecordingSink();

    run(request(ReasoningMode.LESSTHINK, route(UpstreamDialect.VLLM), chatBody().put("n", 3),
        policy(ReasoningMode.LESSTHINK, true), 1), upstream, sink);

    assertThat(upstream.body(0).getInteger("n")).isEqualTo(3);
    JsonArray shown = sink.chunks.get(0).getJsonArray("choices");
    assertThat(shown).hasSize(3);
    assertThat(shown.getJsonObject(2).getInteger("index")).isEqualTo(2);
  }

  @Test
  void safetyTemplateLeavesTheSelfCheckOpenForTheModelToContinue() {
    FakeUpstream upstream = FakeUpstream.replying(Reply.answer("checked</think>answer", 5));
    RecordingSink sink = new RecordingSink();

    RunResult result = run(request(ReasoningMode.SAFETY_TEMPLATE, route(UpstreamDialect.VLLM),
        chatBody(), policy(ReasoningMode.SAFETY_TEMPLATE, true), 1), upstream, sink);

    String prefill = upstream.body(0).getJsonArray("messages").getJsonObject(1)
        .getString("content");
    assertThat(prefill).startsWith("<think>\n").doesNotContain("</think>")
        .contains("harassment/threatening").contains("privacy/sensitive");
    assertThat(upstream.requests().get(0).output()).isEqualTo(OutputSpan.THINKING_UNTIL_CLOSE);
    assertThat(result.prefill()).isEqualTo(prefill);
    assertThat(sink.thinking()).isEqualTo(prefill.substring("<think>\n".length()));
  }

  @ParameterizedTest
  @EnumSource(value = ReasoningMode.class, names = "PASSTHROUGH", mode = EnumSource.Mode.EXCLUDE)
  void everyModeButPassthroughRefusesARequestEndingWithAnAssistantMessage(ReasoningMode mode) {
    JsonObject body = chatBody();
    body.getJsonArray("messages").add(new JsonObject().put("role", "assistant").put("content",
        "Sure,"));
    FakeUpstream upstream = FakeUpstream.replying();

    Future<RunResult> run = Fixtures.RUNNERS.runner(mode).run(
        request(mode, UpstreamDialect.VLLM, body), upstream, new RecordingSink());

    assertThat(failure(run)).isInstanceOf(OpenAiException.class)
        .hasMessage("ThinkGate cannot apply reasoning mode " + mode.wire()
            + " to a request that already ends with an assistant message");
    assertThat(((OpenAiException) failure(run)).status()).isEqualTo(400);
    assertThat(upstream.requests()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(value = ReasoningMode.class, names = {"ZEROTHINK", "LESSTHINK", "MORETHINK",
      "BUDGET", "SAFETY_TEMPLATE"})
  void prefillModesRefuseTools(ReasoningMode mode) {
    JsonObject body = chatBody().put("tool_choice", "auto");
    FakeUpstream upstream = FakeUpstream.replying();
    RecordingSink sink = new RecordingSink();

    Future<RunResult> run = Fixtures.RUNNERS.runner(mode).run(
        request(mode, UpstreamDialect.VLLM, body), upstream, sink);

    OpenAiException error = (OpenAiException) failure(run);
    assertThat(error.status()).isEqualTo(400);
    assertThat(error.param()).isEqualTo("tool_choice");
    assertThat(error.getMessage()).contains("tool-calling");
    assertThat(upstream.requests()).isEmpty();
    assertThat(sink.chunks).isEmpty();
    assertThat(sink.errors).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(value = ReasoningMode.class, names = {"MORETHINK", "BUDGET"})
  void multiCallModesRefuseSeveralChoices(ReasoningMode mode) {
    FakeUpstream upstream = FakeUpstream.replying();

    Future<RunResult> run = Fixtures.RUNNERS.runner(mode).run(
        request(mode, UpstreamDialect.VLLM, chatBody().put("n", 2)), upstream,
        new RecordingSink());

    OpenAiException error = (OpenAiException) failure(run);
    assertThat(error.status()).isEqualTo(400);
    assertThat(error.param()).isEqualTo("n");
    assertThat(upstream.requests()).isEmpty();
  }

  @Test
  void aRawCompletionsClientGetsThePrefillAppendedToItsPrompt() {
    FakeUpstream upstream = FakeUpstream.replying(Reply.answer("ok", 1));
    var route = route(UpstreamDialect.VLLM);
    JsonObject body = new JsonObject().put("model", "r1").put("prompt", "RAW<think>\n")
        .put("max_tokens", 50).put("echo", false);
    GenerationRequest request = new GenerationRequest(body, UpstreamRequest.COMPLETIONS,
        "deepseek-ai/R1-Distill", route, ReasoningMode.ZEROTHINK,
        policy(ReasoningMode.ZEROTHINK, false), new java.util.SplittableRandom(1));

    run(request, upstream, new RecordingSink());

    assertThat(upstream.requests().get(0).path()).isEqualTo(UpstreamRequest.COMPLETIONS);
    assertThat(upstream.body(0)).isEqualTo(body.copy().put("model", "deepseek-ai/R1-Distill")
        .put("prompt", "RAW" + ZERO));
  }

  @Test
  void anUnknownChatTemplateFailsBeforeAnyCall() {
    FakeUpstream upstream = FakeUpstream.replying();
    var route = route(UpstreamDialect.COMPLETIONS, "nope", false, false);

    Future<RunResult> run = Fixtures.RUNNERS.runner(ReasoningMode.ZEROTHINK).run(
        request(ReasoningMode.ZEROTHINK, route, chatBody(), policy(ReasoningMode.ZEROTHINK, false),
            1), upstream, new RecordingSink());

    assertThat(failure(run)).hasMessageContaining("chat_template 'nope' is unknown");
    assertThat(upstream.requests()).isEmpty();
  }

  @Test
  void theFactoryGivesOneClassPerMode() {
    assertThat(List.of(ReasoningMode.values()).stream()
        .map(m -> ReasoningRunners.forMode(m).getClass().getSimpleName()).toList())
        .containsExactly("PassthroughRunner", "ZeroThinkRunner", "LessThinkRunner",
            "MoreThinkRunner", "BudgetRunner", "SafetyTemplateRunner");
  }
}
