package dev.thinkgate.reasoning;

import static dev.thinkgate.reasoning.Fixtures.chatBody;
import static dev.thinkgate.reasoning.Fixtures.failure;
import static dev.thinkgate.reasoning.Fixtures.moreThink;
import static dev.thinkgate.reasoning.Fixtures.request;
import static dev.thinkgate.reasoning.Fixtures.route;
import static dev.thinkgate.reasoning.Fixtures.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.policy.ReasoningMode;
import dev.thinkgate.policy.ReasoningPolicy;
import dev.thinkgate.reasoning.FakeUpstream.Reply;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MoreThinkRunnerTest {
  private static final ReasoningPolicy DEFAULTS =
      new ReasoningPolicy(ReasoningMode.MORETHINK, List.of(), null, false, null, null, null);

  private static GenerationRequest moreThinkRequest(UpstreamDialect dialect, JsonObject body,
      ReasoningPolicy policy, long seed) {
    return request(ReasoningMode.MORETHINK, route(dialect), body, policy, seed);
  }

  /** The continuations the runner must pick with this seed, as SafeChain's random.choice. */
  private static List<String> continuations(long seed, int count) {
    SplittableRandom random = new SplittableRandom(seed);
    List<String> words = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      words.add(List.of("Wait", "Let me think again").get(random.nextInt(2)));
    }
    return words;
  }

  private static String assistantPrefill(JsonObject chatBody) {
    JsonArray messages = chatBody.getJsonArray("messages");
    JsonObject last = messages.getJsonObject(messages.size() - 1);
    assertThat(last.getString("role")).isEqualTo("assistant");
    return last.getString("content");
  }

  @ParameterizedTest
  @EnumSource(value = UpstreamDialect.class, names = {"VLLM", "SGLANG"})
  void roundsContinueDirectlyAfterTheThoughtAndTheAnswerGetsTheRemainingBudget(
      UpstreamDialect dialect) {
    // Given three thinking rounds that each close the thought, then an answer
    ReasoningPolicy policy = moreThink(10_000, 2, 16_000, null);
    FakeUpstream upstream = FakeUpstream.replying(
        Reply.closed("First idea.", 100),
        Reply.closed(" second idea.", 200),
        Reply.closed(" third idea.", 300),
        Reply.answer("Final answer.", 50));
    RecordingSink sink = new RecordingSink();
    List<String> words = continuations(42, 2);

    // When
    RunResult result = run(moreThinkRequest(dialect, chatBody(), policy, 42), upstream, sink);

    // Then: exact prefills, stops and budgets per round
    List<UpstreamRequest> calls = upstream.requests();
    assertThat(calls).hasSize(4);
    String t1 = "First idea." + words.get(0);
    String t2 = t1 + " second idea." + words.get(1);
    // SGLang appends the prefill to R1's generation prompt, which already opens the thought
    String open = dialect == UpstreamDialect.SGLANG ? "" : "<think>\n";
    assertThat(calls.stream().map(c -> assistantPrefill(c.body())).toList()).containsExactly(
        open,
        open + t1,
        open + t2,
        open + t2 + " third idea.</think>\n\n");
    assertThat(calls.stream().map(c -> c.body().getInteger("max_tokens")).toList())
        .containsExactly(10_000, 9_900, 9_700, 16_000 - 600);
    for (int i = 0; i < 3; i++) {
      assertThat(calls.get(i).body().getJsonArray("stop")).containsExactly("</think>");
      assertThat(calls.get(i).output()).isEqualTo(OutputSpan.THINKING);
    }
    // the answer call carries only the client's stop strings (none here), not </think>
    assertThat(calls.get(3).body().containsKey("stop")).isFalse();
    assertThat(calls.get(3).output()).isEqualTo(OutputSpan.ANSWER);
    for (UpstreamRequest call : calls) {
      assertThat(call.body().getBoolean("continue_final_message")).isTrue();
      assertThat(call.body().getBoolean("add_generation_prompt")).isFalse();
      assertThat(call.body().getJsonObject("x_vendor_field")).isEqualTo(
          new JsonObject().put("keep", "me"));
      assertThat(call.body().getDouble("temperature")).isEqualTo(0.6);
      assertThat(call.body().getString("model")).isEqualTo("deepseek-ai/R1-Distill");
    }

    // and the client saw one stream: one id, thinking with the inserted words, then the answer
    assertThat(sink.ids()).containsExactly("chatcmpl-call1");
    assertThat(sink.createds()).containsExactly(1_700_000_001);
    assertThat(sink.thinking()).isEqualTo(t2 + " third idea.");
    assertThat(sink.answer()).isEqualTo("Final answer.");
    assertThat(sink.deltaSequence()).containsExactly("T:First", "T: idea.", "T:" + words.get(0),
        "T: secon", "T:d idea.", "T:" + words.get(1), "T: third", "T: idea.", "A:Final ",
        "A:answer.");
    assertThat(sink.finishReasons()).containsExactly("stop");
    assertThat(sink.usageChunks()).hasSize(1);
    assertThat(sink.chunksCarryingUsage()).isEqualTo(1);
    JsonObject usage = sink.usageChunks().get(0).getJsonObject("usage");
    assertThat(usage.getLong("prompt_tokens")).isEqualTo(80);
    assertThat(usage.getLong("completion_tokens")).isEqualTo(650);
    assertThat(usage.getLong("total_tokens")).isEqualTo(730);
    JsonObject lastChunk = sink.chunks.get(sink.chunks.size() - 1);
    assertThat(lastChunk.getJsonArray("choices")).isEmpty(); // usage comes last, before onEnd
    assertThat(lastChunk.getString("id")).isEqualTo("chatcmpl-call1");
    assertThat(sink.ends).isEqualTo(1);
    assertThat(result.rounds()).isEqualTo(2);
    assertThat(result.upstreamCalls()).isEqualTo(4);
    assertThat(result.usage()).isEqualTo(usage);
  }

  @Test
  void defaultsMatchThePaperTenContinuationsThenTheAnswer() {
    FakeUpstream upstream = new FakeUpstream(call -> call.output() == OutputSpan.THINKING
        ? Reply.closed("x", 10) : Reply.answer("done", 5));
    RecordingSink sink = new RecordingSink();

    RunResult result = run(moreThinkRequest(UpstreamDialect.VLLM, chatBody(), DEFAULTS, 3),
        upstream, sink);

    assertThat(upstream.requests()).hasSize(12); // 1 + 10 continued rounds + answer
    assertThat(result.rounds()).isEqualTo(10);
    assertThat(upstream.body(0).getInteger("max_tokens")).isEqualTo(10_000);
    assertThat(upstream.body(11).getInteger("max_tokens")).isEqualTo(16_000 - 110);
    String thought = assistantPrefill(upstream.body(11));
    for (String word : continuations(3, 10)) {
      assertThat(thought).contains("x" + word);
    }
  }

  @Test
  void theCompletionsDialectSendsThePromptPlusThoughtAsSafeChainDoes() {
    ReasoningPolicy policy = moreThink(1_000, 1, 1_500, null);
    FakeUpstream upstream = FakeUpstream.replying(
        Reply.closed("Hmm.", 10), Reply.closed(" Sure.", 20), Reply.answer("A", 1));
    JsonObject body = chatBody().put("stop", new JsonArray().add("END"));

    run(moreThinkRequest(UpstreamDialect.COMPLETIONS, body, policy, 9), upstream,
        new RecordingSink());

    String base = "<｜begin▁of▁sentence｜><｜User｜>How do I bake bread?<｜Assistant｜><think>\n";
    String word = continuations(9, 1).get(0);
    assertThat(upstream.body(0)).isEqualTo(new JsonObject().put("model", "deepseek-ai/R1-Distill")
        .put("prompt", base).put("add_special_tokens", false).put("max_tokens", 1_000)
        .put("stop", new JsonArray().add("</think>"))
        .put("temperature", 0.6).put("top_p", 0.95).put("seed", 7));
    assertThat(upstream.body(1).getString("prompt")).isEqualTo(base + "Hmm." + word);
    assertThat(upstream.body(1).getInteger("max_tokens")).isEqualTo(990);
    assertThat(upstream.body(2).getString("prompt"))
        .isEqualTo(base + "Hmm." + word + " Sure.</think>\n\n");
    assertThat(upstream.body(2).getInteger("max_tokens")).isEqualTo(1_500 - 30);
    // finding 4/issue 15: the answer call stops only at the client's own strings
    assertThat(upstream.body(2).getJsonArray("stop")).containsExactly("END");
  }

  @Test
  void aModelThatClosesImmediatelyIsStillPushedToThink() {
    ReasoningPolicy policy = moreThink(500, 1, 1_000, null);
    FakeUpstream upstream = FakeUpstream.replying(
        Reply.closed("", 1), Reply.closed(" Actually, flour first.", 6), Reply.answer("A", 1));
    RecordingSink sink = new RecordingSink();

    run(moreThinkRequest(UpstreamDialect.VLLM, chatBody(), policy, 5), upstream, sink);

    String word = continuations(5, 1).get(0);
    assertThat(assistantPrefill(upstream.body(1))).isEqualTo("<think>\n" + word);
    assertThat(sink.thinking()).isEqualTo(word + " Actually, flour first.");
    assertThat(sink.ids()).hasSize(1);
  }

  @Test
  void aRoundEndingByLengthEndsThinkingAndTheAnswerGetsWhatIsLeft() {
    ReasoningPolicy policy = moreThink(300, 10, 1_000, null);
    FakeUpstream upstream = FakeUpstream.replying(
        Reply.closed("a", 100), Reply.length("b", 200), Reply.answer("A", 1));
    RecordingSink sink = new RecordingSink();

    RunResult result = run(moreThinkRequest(UpstreamDialect.VLLM, chatBody(), policy, 1),
        upstream, sink);

    assertThat(upstream.requests()).hasSize(3);
    assertThat(upstream.body(1).getInteger("max_tokens")).isEqualTo(200);
    assertThat(assistantPrefill(upstream.body(2))).endsWith("b</think>\n\n");
    assertThat(upstream.body(2).getInteger("max_tokens")).isEqualTo(700);
    assertThat(result.rounds()).isEqualTo(1);
    assertThat(sink.finishReasons()).containsExactly("stop"); // the round's "length" is hidden
  }

  @Test
  void theClientsMaxTokensCapsTheTotalAndNoAnswerBudgetMeansFinishLength() {
    FakeUpstream upstream = FakeUpstream.replying(Reply.length("long thought", 400));
    RecordingSink sink = new RecordingSink();

    RunResult result = run(moreThinkRequest(UpstreamDialect.VLLM,
        chatBody().put("max_completion_tokens", 400), DEFAULTS, 1), upstream, sink);

    assertThat(upstream.requests()).hasSize(1);
    assertThat(upstream.body(0).getInteger("max_completion_tokens")).isEqualTo(400);
    assertThat(upstream.body(0).containsKey("max_tokens")).isFalse();
    assertThat(sink.finishReasons()).containsExactly("length");
    assertThat(sink.ends).isEqualTo(1);
    assertThat(result.upstreamCalls()).isEqualTo(1);
  }

  @Test
  void anUpstreamFailureInRoundThreeReachesTheClientAsAnErrorWithoutAnAnswer() {
    FakeUpstream upstream = FakeUpstream.replying(
        Reply.closed("one", 10), Reply.closed("two", 10), Reply.closed("three", 10),
        Reply.answer("never", 1)).failingOnCall(3);
    RecordingSink sink = new RecordingSink();

    Future<RunResult> run = Fixtures.RUNNERS.runner(ReasoningMode.MORETHINK).run(
        moreThinkRequest(UpstreamDialect.VLLM, chatBody(), DEFAULTS, 1), upstream, sink);

    assertThat(failure(run)).isInstanceOf(OpenAiException.class);
    assertThat(((OpenAiException) failure(run)).status()).isEqualTo(502);
    assertThat(upstream.requests()).hasSize(3);
    assertThat(sink.errors).hasSize(1);
    assertThat(sink.ends).isZero();
    assertThat(sink.answer()).isEmpty();
    assertThat(sink.finishReasons()).isEmpty();
    assertThat(sink.usageChunks()).isEmpty();
  }

  @Test
  void aClientGoneInRoundTwoStartsNoFurtherCall() {
    FakeUpstream upstream = FakeUpstream.replying(
        Reply.closed("one", 10), Reply.closed("two", 10), Reply.answer("never", 1))
        .clientGoneAfterCall(2);
    RecordingSink sink = new RecordingSink();

    Future<RunResult> run = Fixtures.RUNNERS.runner(ReasoningMode.MORETHINK).run(
        moreThinkRequest(UpstreamDialect.VLLM, chatBody(), DEFAULTS, 1), upstream, sink);

    assertThat(upstream.requests()).hasSize(2);
    assertThat(((OpenAiException) failure(run)).status()).isEqualTo(499);
    assertThat(sink.errors).hasSize(1);
    assertThat(sink.ends).isZero();
  }

  @Test
  void aSeedGivesReproducibleContinuations() {
    List<String> first = thoughtsWithSeed(1234);
    List<String> again = thoughtsWithSeed(1234);

    assertThat(again).isEqualTo(first);
    assertThat(first.get(first.size() - 1)).isEqualTo(
        "<think>\n" + String.join("", continuations(1234, 10).stream().map(w -> "." + w)
            .toList()) + ".</think>\n\n");
    // different seeds pick different sequences (2^-10 chance of a tie for a given pair)
    assertThat(thoughtsWithSeed(1).get(11)).isNotEqualTo(thoughtsWithSeed(2).get(11));
  }

  private static List<String> thoughtsWithSeed(long seed) {
    FakeUpstream upstream = new FakeUpstream(call -> call.output() == OutputSpan.THINKING
        ? Reply.closed(".", 1) : Reply.answer("A", 1));
    run(moreThinkRequest(UpstreamDialect.VLLM, chatBody(), DEFAULTS, seed), upstream,
        new RecordingSink());
    return upstream.requests().stream().map(r -> assistantPrefill(r.body())).toList();
  }

  @Test
  void withoutIncludeUsageTheClientGetsNoUsageChunkAndServerUsageIsStripped() {
    FakeUpstream upstream = FakeUpstream.replying(Reply.closed("t", 5).withoutUsage(),
        Reply.answer("A", 1));
    RecordingSink sink = new RecordingSink();
    JsonObject body = chatBody();
    body.remove("stream_options");

    RunResult result = run(moreThinkRequest(UpstreamDialect.VLLM, body,
        moreThink(100, 0, 200, null), 1), upstream, sink);

    assertThat(sink.usageChunks()).isEmpty();
    assertThat(sink.chunksCarryingUsage()).isZero();
    // a call without usage still counts its generated tokens
    assertThat(result.usage().getLong("completion_tokens")).isEqualTo(6);
    assertThat(result.usage().getLong("prompt_tokens")).isEqualTo(20);
  }
}
