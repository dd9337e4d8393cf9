package dev.thinkgate.screening;

import static dev.thinkgate.screening.Chunks.answer;
import static dev.thinkgate.screening.Chunks.finish;
import static dev.thinkgate.screening.Chunks.onContext;
import static dev.thinkgate.screening.Chunks.policy;
import static dev.thinkgate.screening.Chunks.chunk;
import static dev.thinkgate.screening.Chunks.role;
import static dev.thinkgate.screening.Chunks.run;
import static dev.thinkgate.screening.Chunks.span;
import static dev.thinkgate.screening.Chunks.think;
import static dev.thinkgate.screening.Chunks.usage;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.guard.GuardException;
import dev.thinkgate.guard.GuardRequest;
import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.policy.ScreeningPolicy.ControversialAs;
import dev.thinkgate.policy.ScreeningPolicy.GuardFailure;
import dev.thinkgate.policy.ScreeningPolicy.Release;
import dev.thinkgate.policy.ScreeningPolicy.SpanAction;
import dev.thinkgate.policy.ScreeningPolicy.SpanScreen;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import dev.thinkgate.guard.GuardVerdict;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

class StreamScreenTest {

  private static Vertx vertx;
  private Context ctx;
  private final RecordingSink sink = new RecordingSink();
  private final AtomicInteger stops = new AtomicInteger();
  private final AtomicInteger restarts = new AtomicInteger();
  private final ScreenListener listener = new ScreenListener() {
    @Override
    public void onStop() {
      stops.incrementAndGet();
    }

    @Override
    public void onRestartRequested() {
      restarts.incrementAndGet();
    }
  };

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() throws Exception {
    vertx.close().await(5, TimeUnit.SECONDS);
  }

  @BeforeEach
  void context() {
    ctx = vertx.getOrCreateContext();
  }

  private static final SpanScreen OFF = SpanScreen.DISABLED;

  private StreamScreen screen(ScreeningPolicy policy, FakeGuard guard) {
    return onContext(ctx, () -> new StreamScreen(policy, guard, "How do I do it?", sink, vertx,
        System::currentTimeMillis, listener));
  }

  private void feed(StreamScreen screen, JsonObject... chunks) {
    run(ctx, () -> {
      for (JsonObject c : chunks) {
        screen.onChunk(c);
      }
    });
  }

  private void end(StreamScreen screen) {
    run(ctx, screen::onEnd);
  }

  private static List<JsonObject> splitPhraseStream() {
    // "build a bomb" is split across chunks ("bo" + "mb") and across the 4-word checkpoint boundary
    return List.of(role(), think("I will now build a"), think(" bo"), think("mb for you and"),
        think(" more words here "), answer("Done."), finish(), usage());
  }

  @Test
  void heldTextChunksCarryTheirRoleAndFinishButPlainOnesLeaveNoResidual() {
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.BLOCK), OFF, 4, 64, GuardFailure.FAIL_OPEN, 0),
        new FakeGuard());
    JsonObject roleAndText = chunk(new JsonObject().put("role", "assistant").put("reasoning_content", "Hi there "),
        null);
    JsonObject withFinish = chunk(new JsonObject().put("reasoning_content", "last words"), "length");

    feed(screen, roleAndText, think("more words "), think("and more "), withFinish);
    end(screen);

    // The role goes out first on its own, the finish reason after the text: each the only
    // text-less chunk of its kind. The plain text chunks add none.
    List<JsonObject> textless = sink.chunks.stream()
        .filter(c -> !c.getJsonArray("choices").getJsonObject(0).getJsonObject("delta")
            .containsKey("reasoning_content"))
        .toList();
    assertThat(textless).hasSize(2);
    assertThat(sink.chunks.get(0).getJsonArray("choices").getJsonObject(0).getJsonObject("delta").encode())
        .isEqualTo("{\"role\":\"assistant\"}");
    assertThat(sink.last().getJsonArray("choices").getJsonObject(0).getString("finish_reason"))
        .isEqualTo("length");
    assertThat(sink.last().getJsonArray("choices").getJsonObject(0).getJsonObject("delta").isEmpty()).isTrue();
    assertThat(sink.thinking()).isEqualTo("Hi there more words and more last words");
    assertThat(sink.chunks.stream().filter(c -> c.getJsonArray("choices").getJsonObject(0)
        .getJsonObject("delta").containsKey("role"))).hasSize(1);
    // the input chunks were read, not rewritten
    assertThat(roleAndText.getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getString("role"))
        .isEqualTo("assistant");
  }

  // ------------------------------------------------------------ split phrase, three releases

  @Test
  void holdCatchesAPhraseSplitAcrossChunksAndACheckpointWithoutReleasingIt() {
    FakeGuard guard = new FakeGuard().unsafe("build a bomb", "S9");
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.BLOCK), OFF, 4, 64, GuardFailure.FAIL_OPEN, 0),
        guard);

    feed(screen, splitPhraseStream().toArray(JsonObject[]::new));
    end(screen);

    // The first checkpoint judged "I will now build " (4 complete words); the second saw the phrase whole
    assertThat(sink.thinking()).isEqualTo("I will now build ");
    assertThat(guard.requests.get(0).assistantText()).isEqualTo("I will now build ");
    assertThat(guard.requests.get(1).assistantText()).isEqualTo("I will now build a bomb for you ");
    assertThat(sink.answer()).isEmpty();
    JsonObject last = sink.last();
    assertThat(last.getJsonArray("choices").getJsonObject(0).getString("finish_reason")).isEqualTo("content_filter");
    assertThat(last.getJsonArray("choices").getJsonObject(0).getJsonObject("delta").getString("content"))
        .isEqualTo(ScreeningPolicy.DEFAULT_REFUSAL);
    assertThat(last.getJsonObject("thinkgate").encode())
        .isEqualTo("{\"action\":\"block\",\"span\":\"thinking\",\"categories\":[\"S9\"]}");
    assertThat(last.getString("id")).isEqualTo("chatcmpl-1");
    assertThat(sink.ends).isEqualTo(1);
    assertThat(stops.get()).isEqualTo(1);
    ScreenReport report = screen.report();
    assertThat(report.action()).isEqualTo("block");
    assertThat(report.span()).isEqualTo("thinking");
    assertThat(report.thinking().safe()).isFalse();
    assertThat(report.thinking().categories()).containsExactly("S9");
    assertThat(report.thinking().checkpoint()).isEqualTo(1);
    assertThat(report.thinking().offset()).isEqualTo("I will now build ".length());
  }

  @Test
  void optimisticPassesChunksAtOnceAndCutsOnTheFirstUnsafeVerdict() {
    FakeGuard guard = new FakeGuard().unsafe("build a bomb", "S9");
    StreamScreen screen = screen(
        policy(span(Release.OPTIMISTIC, SpanAction.BLOCK), OFF, 4, 64, GuardFailure.FAIL_OPEN, 0), guard);
    List<JsonObject> input = splitPhraseStream();

    feed(screen, input.toArray(JsonObject[]::new));
    end(screen);

    // The original chunks before the one that completed the phrase went out untouched (the instant
    // guard answered before that chunk was passed on), then the cut
    assertThat(sink.chunks.subList(0, 3)).isEqualTo(input.subList(0, 3));
    assertThat(sink.chunks).hasSize(4);
    assertThat(sink.thinking()).isEqualTo("I will now build a bo");
    assertThat(sink.lastFinishReason()).isEqualTo("content_filter");
    assertThat(sink.answer()).isEmpty();
    assertThat(screen.report().thinking().offset()).isEqualTo("I will now build a bo".length());
  }

  // ------------------------------------------------------------ a checkpoint riding with the next

  /** balanced.yaml's spans: optimistic, thinking hidden, answer blocked, failing open. */
  private static ScreeningPolicy balancedSpans(int checkpoint, GuardFailure onError) {
    return policy(span(Release.OPTIMISTIC, SpanAction.HIDE_REASONING),
        span(Release.OPTIMISTIC, SpanAction.BLOCK), checkpoint, 2048, onError, 0);
  }

  @Test
  void theThinkingsLastCheckpointRidesWithTheAnswersLastCallWhenItsVerdictCanChangeNothing() {
    FakeGuard guard = new FakeGuard().manual().unsafe("bomb", "S9");
    StreamScreen screen = screen(balancedSpans(64, GuardFailure.FAIL_OPEN), guard);

    feed(screen, role(), think("I could explain a bomb here, but"), think(" I will not."),
        answer("Bake the bread."));
    // the thinking is over and went out as it came: its verdict can only be recorded, so it waits
    assertThat(guard.requests).isEmpty();
    assertThat(sink.thinking()).isEqualTo("I could explain a bomb here, but I will not.");
    feed(screen, answer(" It is good."), finish());
    end(screen);

    // one request for both, the thinking first (it came due first)
    assertThat(guard.batches).hasSize(1);
    assertThat(guard.batches.get(0)).extracting(GuardRequest::assistantText)
        .containsExactly("I could explain a bomb here, but I will not.", "Bake the bread. It is good.");
    assertThat(sink.ends).isZero(); // the stream waits for both verdicts, as before
    guard.completeAll();
    run(ctx, () -> { });

    assertThat(sink.ends).isEqualTo(1);
    assertThat(sink.answer()).isEqualTo("Bake the bread. It is good.");
    ScreenReport report = screen.report();
    assertThat(report.action()).isEqualTo("hide_reasoning");
    assertThat(report.thinking().safe()).isFalse();
    assertThat(report.thinking().categories()).containsExactly("S9");
    assertThat(report.thinking().guardCalls()).isEqualTo(1);
    assertThat(report.answer().safe()).isTrue();
  }

  @Test
  void aRidingCheckpointGoesWithTheAnswersNextCheckpointNotOnlyAtTheEnd() {
    FakeGuard guard = new FakeGuard().manual();
    StreamScreen screen = screen(balancedSpans(4, GuardFailure.FAIL_OPEN), guard);

    feed(screen, role(), think("short thought"), answer("one two three four"), answer(" five six"));

    // the answer's first checkpoint (four words, judged up to the last whole one) took the
    // thinking's last one along
    assertThat(guard.batches).hasSize(1);
    assertThat(guard.batches.get(0)).extracting(GuardRequest::assistantText)
        .containsExactly("short thought", "one two three four five ");
    guard.completeAll();
    feed(screen, finish());
    end(screen);
    guard.completeAll();
    assertEndedAfterCalls(screen, 1, 2);
  }

  /** The stream ended once its verdicts came back, after these checkpoint calls a span. */
  private void assertEndedAfterCalls(StreamScreen screen, int thinkingCalls, int answerCalls) {
    run(ctx, () -> { });
    assertThat(sink.ends).isEqualTo(1);
    assertThat(screen.report().thinking().guardCalls()).isEqualTo(thinkingCalls);
    assertThat(screen.report().answer().guardCalls()).isEqualTo(answerCalls);
  }

  @Test
  void aThinkingCheckpointWhoseVerdictCanStillActGoesAtOnce() {
    // block on the thinking would cut the answer; hold still holds text; fail_closed blocks on a
    // guard error: in each, the thinking's last checkpoint goes as soon as the thinking ends
    List<ScreeningPolicy> policies = List.of(
        policy(span(Release.OPTIMISTIC, SpanAction.BLOCK), span(Release.OPTIMISTIC, SpanAction.BLOCK),
            64, 2048, GuardFailure.FAIL_OPEN, 0),
        policy(span(Release.HOLD, SpanAction.HIDE_REASONING), span(Release.OPTIMISTIC, SpanAction.BLOCK),
            64, 2048, GuardFailure.FAIL_OPEN, 0),
        balancedSpans(64, GuardFailure.FAIL_CLOSED));
    for (ScreeningPolicy policy : policies) {
      FakeGuard guard = new FakeGuard().manual();
      StreamScreen screen = screen(policy, guard);
      feed(screen, role(), think("a thought"), answer("An answer."));
      assertThat(guard.requests).as(policy.thinking().toString()).hasSize(1);
      assertThat(guard.requests.get(0).assistantText()).isEqualTo("a thought");
      assertThat(guard.batches).isEmpty();
      run(ctx, screen::cancel);
    }
  }

  @Test
  void aVerdictAskedForAtTheEndGoesWithTheLastCallAndIsNotAwaited() {
    FakeGuard guard = new FakeGuard().manual();
    StreamScreen screen = screen(balancedSpans(64, GuardFailure.FAIL_OPEN), guard);
    List<String> seen = new ArrayList<>();
    run(ctx, () -> screen.alsoJudgeAtEnd((thinking, answer) -> {
      seen.add(thinking + "|" + answer);
      return new GuardRequest("whole", thinking + answer, List.of());
    }));

    feed(screen, role(), think("a thought"), answer("An answer."), finish());
    end(screen);

    assertThat(seen).containsExactly("a thought|An answer.");
    assertThat(guard.batches).hasSize(1);
    assertThat(guard.batches.get(0)).extracting(GuardRequest::assistantText)
        .containsExactly("a thought", "An answer.", "a thoughtAn answer.");
    // the two span verdicts end the stream; the third is someone else's, handed over as is
    guard.completeOldest();
    guard.completeOldest();
    assertEndedAfterCalls(screen, 1, 1);
    assertThat(screen.endVerdict()).isNotNull();
    assertThat(screen.endVerdict().isComplete()).isFalse();
    guard.completeOldest();
    assertThat(screen.endVerdict().succeeded()).isTrue();
  }

  @Test
  void aVerdictAskedForAtTheEndIsNotAskedWhenNoCallFollowsTheEnd() {
    FakeGuard guard = new FakeGuard().manual();
    StreamScreen screen = screen(policy(span(Release.OPTIMISTIC, SpanAction.BLOCK),
        span(Release.OPTIMISTIC, SpanAction.BLOCK), 2, 2048, GuardFailure.FAIL_OPEN, 0), guard);
    run(ctx, () -> screen.alsoJudgeAtEnd((thinking, answer) -> {
      throw new AssertionError("asked for with no call to go with");
    }));

    feed(screen, role(), think("one two "), answer("three four "));
    guard.completeAll();
    run(ctx, () -> { });
    feed(screen, finish());
    end(screen); // every word was judged before the end: no call after it

    assertThat(guard.batches).isEmpty();
    assertThat(sink.ends).isEqualTo(1);
    assertThat(screen.endVerdict()).isNull();
  }

  @Test
  void shadowThinkingRidesToo() {
    FakeGuard guard = new FakeGuard().manual().unsafe("bomb", "S9");
    StreamScreen screen = screen(policy(span(Release.SHADOW, SpanAction.BLOCK),
        span(Release.SHADOW, SpanAction.BLOCK), 64, 2048, GuardFailure.FAIL_CLOSED, 0), guard);
    List<JsonObject> input = List.of(role(), think("a bomb"), answer("An answer."), finish());

    feed(screen, input.toArray(JsonObject[]::new));
    assertThat(guard.requests).isEmpty();
    end(screen);
    assertThat(guard.batches).hasSize(1);
    guard.completeAll();
    run(ctx, () -> { });

    assertThat(sink.chunks).isEqualTo(input);
    assertThat(screen.report().shadowAction()).isEqualTo("block");
    assertThat(screen.report().span()).isEqualTo("thinking");
  }

  @Test
  void shadowNeverAltersTheStreamButRecordsWhereHoldWouldHaveCut() {
    FakeGuard guard = new FakeGuard().unsafe("build a bomb", "S9");
    StreamScreen screen = screen(policy(span(Release.SHADOW, SpanAction.BLOCK), OFF, 4, 64, GuardFailure.FAIL_OPEN, 0),
        guard);
    List<JsonObject> input = splitPhraseStream();

    feed(screen, input.toArray(JsonObject[]::new));
    end(screen);

    assertThat(sink.chunks).isEqualTo(input);
    assertThat(sink.ends).isEqualTo(1);
    ScreenReport report = screen.report();
    assertThat(report.action()).isEqualTo("pass");
    assertThat(report.shadowAction()).isEqualTo("block");
    assertThat(report.span()).isEqualTo("thinking");
    assertThat(report.thinking().safe()).isFalse();
    assertThat(report.thinking().offset()).isEqualTo("I will now build ".length());
  }

  // ------------------------------------------------------------ hold release mechanics

  @Test
  void holdReleasesNothingBeforeAVerdictThenReChunksInOrderWithFinishAndUsageLast() {
    FakeGuard guard = new FakeGuard().manual();
    StreamScreen screen = screen(
        policy(span(Release.HOLD, SpanAction.BLOCK), span(Release.HOLD, SpanAction.BLOCK), 4, 64,
            GuardFailure.FAIL_OPEN, 0), guard);

    feed(screen, role(), think("one two three"), think(" four five "), answer("The answer "), answer("is 42."),
        finish(), usage());
    end(screen);

    // Only the role chunk is out: no text has passed a checkpoint yet
    assertThat(sink.chunks).containsExactly(role());
    assertThat(guard.pending).hasSize(2);

    run(ctx, guard::completeAll);

    assertThat(sink.thinking()).isEqualTo("one two three four five ");
    assertThat(sink.answer()).isEqualTo("The answer is 42.");
    assertThat(sink.chunks.get(sink.chunks.size() - 2)).isEqualTo(finish());
    assertThat(sink.last()).isEqualTo(usage());
    JsonObject synthetic = sink.chunks.get(1);
    assertThat(synthetic.getString("id")).isEqualTo("chatcmpl-1");
    assertThat(synthetic.getString("model")).isEqualTo("r1");
    assertThat(synthetic.getInteger("created")).isEqualTo(1700000000);
    assertThat(synthetic.getString("object")).isEqualTo("chat.completion.chunk");
    assertThat(sink.ends).isEqualTo(1);
    assertThat(screen.report().thinking().safe()).isTrue();
    assertThat(screen.report().answer().safe()).isTrue();
  }

  @Test
  void checkpointsCoalesceWithOneCallInFlightPerSpan() {
    FakeGuard guard = new FakeGuard().manual();
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.BLOCK), OFF, 2, 64, GuardFailure.FAIL_OPEN, 0),
        guard);

    feed(screen, role(), think("a b c "));
    assertThat(guard.pending).hasSize(1);
    feed(screen, think("d e "), think("f g "), think("h i "));

    assertThat(guard.requests).hasSize(1);
    assertThat(guard.requests.get(0).assistantText()).isEqualTo("a b c ");

    run(ctx, guard::completeOldest);

    // The next call covers everything that arrived meanwhile
    assertThat(guard.requests).hasSize(2);
    assertThat(guard.requests.get(1).assistantText()).isEqualTo("a b c d e f g h i ");
    assertThat(sink.thinking()).isEqualTo("a b c ");
    assertThat(guard.maxInFlight).isEqualTo(1);
  }

  @Test
  void guardPromptsGrowByAppendingUnderTheWindow() {
    FakeGuard guard = new FakeGuard();
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.BLOCK), OFF, 2, 1000, GuardFailure.FAIL_OPEN, 0),
        guard);

    feed(screen, role());
    for (int i = 0; i < 20; i++) {
      feed(screen, think("word" + i + " "));
    }
    end(screen);

    assertThat(guard.requests).hasSizeGreaterThan(5);
    for (int i = 1; i < guard.requests.size(); i++) {
      assertThat(guard.requests.get(i).assistantText()).startsWith(guard.requests.get(i - 1).assistantText());
      assertThat(guard.requests.get(i).userPrompt()).isEqualTo("How do I do it?");
    }
  }

  @Test
  void windowsAreCappedOnWordBoundariesAndOverlap() {
    FakeGuard guard = new FakeGuard();
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.BLOCK), OFF, 2, 6, GuardFailure.FAIL_OPEN, 0),
        guard);
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      all.append('w').append(i).append(' ');
    }

    feed(screen, role(), think(all.substring(0, 37)), think(all.substring(37, 90)), think(all.substring(90)));
    end(screen);

    int previousEnd = -1;
    List<Integer> covered = new ArrayList<>();
    for (GuardRequest r : guard.requests) {
      String[] words = r.assistantText().strip().split("\\s+");
      assertThat(words.length).isLessThanOrEqualTo(6);
      int first = Integer.parseInt(words[0].substring(1));
      int lastWord = Integer.parseInt(words[words.length - 1].substring(1));
      assertThat(lastWord - first + 1).isEqualTo(words.length);
      if (previousEnd >= 0) {
        assertThat(first).isLessThanOrEqualTo(previousEnd);
      }
      previousEnd = lastWord;
      for (int w = first; w <= lastWord; w++) {
        covered.add(w);
      }
    }
    assertThat(covered).containsAll(java.util.stream.IntStream.range(0, 30).boxed().toList());
    assertThat(sink.thinking()).isEqualTo(all.toString());
  }

  // ------------------------------------------------------------ guard failures

  @Test
  void failOpenReleasesAndCountsTheErrors() {
    FakeGuard guard = new FakeGuard().failing(GuardException.Kind.TIMEOUT);
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.BLOCK), OFF, 4, 64, GuardFailure.FAIL_OPEN, 0),
        guard);

    feed(screen, role(), think("one two three four five six "), answer("ok"), finish());
    end(screen);

    assertThat(sink.thinking()).isEqualTo("one two three four five six ");
    assertThat(sink.answer()).isEqualTo("ok");
    assertThat(sink.ends).isEqualTo(1);
    SpanVerdict thinking = screen.report().thinking();
    assertThat(thinking.safe()).isNull();
    assertThat(thinking.guardErrors()).isEqualTo(thinking.guardCalls()).isPositive();
    assertThat(screen.report().action()).isEqualTo("pass");
  }

  @Test
  void failClosedEndsLikeABlockWithNoCategories() {
    FakeGuard guard = new FakeGuard().failing(GuardException.Kind.HTTP_ERROR);
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.LOG_ONLY), OFF, 4, 64,
        GuardFailure.FAIL_CLOSED, 0), guard);

    feed(screen, role(), think("one two three four five six "), answer("ok"), finish());

    assertThat(sink.thinking()).isEmpty();
    assertThat(sink.last().getJsonObject("thinkgate").encode())
        .isEqualTo("{\"action\":\"fail_closed\",\"span\":\"thinking\",\"categories\":[]}");
    assertThat(sink.lastFinishReason()).isEqualTo("content_filter");
    assertThat(sink.ends).isEqualTo(1);
    assertThat(screen.report().action()).isEqualTo("fail_closed");
    assertThat(screen.report().thinking().guardErrors()).isEqualTo(1);
  }

  // ------------------------------------------------------------ actions

  @Test
  void hideReasoningStopsThinkingButTheAnswerContinues() {
    FakeGuard guard = new FakeGuard().unsafe("bomb", "S9");
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.HIDE_REASONING),
        span(Release.HOLD, SpanAction.BLOCK), 4, 64, GuardFailure.FAIL_OPEN, 0), guard);

    feed(screen, role(), think("safe start here and "), think("bomb stuff more words "), think("even more "),
        answer("Final answer."), finish());
    end(screen);

    assertThat(sink.thinking()).isEqualTo("safe start here and ");
    assertThat(sink.answer()).isEqualTo("Final answer.");
    assertThat(sink.lastFinishReason()).isEqualTo("stop");
    assertThat(sink.ends).isEqualTo(1);
    ScreenReport report = screen.report();
    assertThat(report.action()).isEqualTo("hide_reasoning");
    assertThat(report.span()).isEqualTo("thinking");
    assertThat(report.thinking().safe()).isFalse();
    assertThat(report.thinking().guardCalls()).isGreaterThanOrEqualTo(2);
    assertThat(report.answer().safe()).isTrue();
  }

  @Test
  void redactReplacesTheOffendingCheckpointAndLaterWindowsStartAfterIt() {
    FakeGuard guard = new FakeGuard().unsafe("bomb", "S9");
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.REDACT), OFF, 4, 64, GuardFailure.FAIL_OPEN, 0),
        guard);

    feed(screen, role(), think("alpha beta gamma delta "), think("make bomb now please "),
        think("then safe words here "), finish());
    end(screen);

    assertThat(sink.thinking()).isEqualTo("alpha beta gamma delta [redacted]then safe words here ");
    assertThat(guard.requests.get(guard.requests.size() - 1).assistantText()).doesNotContain("bomb");
    assertThat(screen.report().action()).isEqualTo("redact");
    assertThat(screen.report().thinking().offset()).isEqualTo("alpha beta gamma delta ".length());
    assertThat(sink.ends).isEqualTo(1);
  }

  @Test
  void restartZeroThinkAsksForARestartAndEmitsNothingMore() {
    FakeGuard guard = new FakeGuard().unsafe("bomb", "S9");
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.RESTART_ZEROTHINK), OFF, 4, 64,
        GuardFailure.FAIL_OPEN, 0), guard);

    feed(screen, role(), think("alpha beta gamma delta "), think("make bomb now please "));
    int emitted = sink.chunks.size();
    feed(screen, think("more more more more "), answer("x"), finish());
    end(screen);

    assertThat(restarts.get()).isEqualTo(1);
    assertThat(stops.get()).isZero();
    assertThat(sink.ends).isZero();
    assertThat(sink.chunks).hasSize(emitted);
    assertThat(sink.thinking()).isEqualTo("alpha beta gamma delta ");
    assertThat(screen.report().action()).isEqualTo("restart_zerothink");
  }

  @Test
  void restartFallsBackToBlockOnceAnswerTextWasReleased() {
    FakeGuard guard = new FakeGuard().unsafe("bomb", "S9");
    StreamScreen screen = screen(policy(OFF, span(Release.OPTIMISTIC, SpanAction.RESTART_ZEROTHINK), 4, 64,
        GuardFailure.FAIL_OPEN, 0), guard);

    feed(screen, role(), answer("Here is how to "), answer("make a bomb at home "));

    assertThat(restarts.get()).isZero();
    assertThat(stops.get()).isEqualTo(1);
    assertThat(sink.lastFinishReason()).isEqualTo("content_filter");
    assertThat(screen.report().action()).isEqualTo("block");
    assertThat(screen.report().span()).isEqualTo("answer");
  }

  @Test
  void logOnlyChangesNothingButRecordsTheVerdict() {
    FakeGuard guard = new FakeGuard().unsafe("bomb", "S9");
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.LOG_ONLY), OFF, 4, 64, GuardFailure.FAIL_OPEN, 0),
        guard);

    feed(screen, role(), think("alpha beta gamma delta "), think("make bomb now please "), answer("ok"), finish());
    end(screen);

    assertThat(sink.thinking()).isEqualTo("alpha beta gamma delta make bomb now please ");
    assertThat(sink.answer()).isEqualTo("ok");
    assertThat(screen.report().action()).isEqualTo("pass");
    assertThat(screen.report().thinking().safe()).isFalse();
    assertThat(screen.report().thinking().categories()).containsExactly("S9");
  }

  @Test
  void controversialCountsPerPolicy() {
    for (ControversialAs as : ControversialAs.values()) {
      RecordingSink out = new RecordingSink();
      FakeGuard guard = new FakeGuard();
      guard.controversialPhrase = "elections";
      ScreeningPolicy p = new ScreeningPolicy("default", null, span(Release.HOLD, SpanAction.BLOCK), OFF, 4, 64,
          GuardFailure.FAIL_OPEN, List.of(), null, 0, as);
      StreamScreen screen = onContext(ctx, () -> new StreamScreen(p, guard, "q", out, vertx,
          System::currentTimeMillis, listener));

      run(ctx, () -> {
        screen.onChunk(role());
        screen.onChunk(think("talk about elections today "));
        screen.onEnd();
      });

      assertThat(out.lastFinishReason()).isEqualTo(as == ControversialAs.SAFE ? null : "content_filter");
    }
  }

  // ------------------------------------------------------------ timers and cancellation

  @Test
  void keepAliveWhileHoldingAndNoneAfterTheEnd() throws Exception {
    FakeGuard guard = new FakeGuard().manual();
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.BLOCK), OFF, 4, 64, GuardFailure.FAIL_OPEN, 30),
        guard);

    feed(screen, role(), think("one two three four five "));
    Thread.sleep(250);

    assertThat(sink.keepAlives).isGreaterThanOrEqualTo(2);
    run(ctx, () -> {
      guard.completeAll();
      screen.onEnd();
      guard.completeAll();
    });
    int after = sink.keepAlives;
    assertThat(sink.ends).isEqualTo(1);
    Thread.sleep(120);
    assertThat(sink.keepAlives).isEqualTo(after);
  }

  @Test
  void noKeepAliveWhenNothingIsHeld() throws Exception {
    FakeGuard guard = new FakeGuard();
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.BLOCK), OFF, 4, 64, GuardFailure.FAIL_OPEN, 30),
        guard);

    feed(screen, role(), think("one two three four "));
    Thread.sleep(150);

    assertThat(sink.keepAlives).isZero();
    run(ctx, screen::cancel);
  }

  @Test
  void cancelStopsGuardCallsAndOutput() {
    FakeGuard guard = new FakeGuard().manual();
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.BLOCK), OFF, 2, 64, GuardFailure.FAIL_OPEN, 0),
        guard);
    feed(screen, role(), think("one two three "));
    assertThat(guard.pending).hasSize(1);
    int emitted = sink.chunks.size();
    Future<GuardVerdict> outstanding = guard.pending.get(0).promise().future();

    run(ctx, () -> {
      screen.cancel();
      assertThat(guard.cancelled).containsExactly(outstanding);
      guard.completeAll();
      screen.onChunk(think("four five six seven eight "));
      screen.onEnd();
    });

    assertThat(guard.requests).hasSize(1);
    assertThat(sink.chunks).hasSize(emitted);
    assertThat(sink.ends).isZero();
  }

  @Test
  void upstreamErrorIsForwardedAndHeldTextDropped() {
    FakeGuard guard = new FakeGuard().manual();
    StreamScreen screen = screen(policy(span(Release.HOLD, SpanAction.BLOCK), OFF, 2, 64, GuardFailure.FAIL_OPEN, 0),
        guard);
    feed(screen, role(), think("one two three "));

    run(ctx, () -> {
      screen.onError(new dev.thinkgate.api.openai.OpenAiException(502, "upstream_error", "boom", null, null));
      guard.completeAll();
    });

    assertThat(sink.error).isNotNull();
    assertThat(sink.thinking()).isEmpty();
    assertThat(sink.ends).isZero();
  }

  @Test
  void disabledScreeningPassesEverythingThroughWithoutGuardCalls() {
    FakeGuard guard = new FakeGuard().unsafe("bomb", "S9");
    StreamScreen screen = screen(ScreeningPolicy.DISABLED, guard);
    List<JsonObject> input = splitPhraseStream();

    feed(screen, input.toArray(JsonObject[]::new));
    end(screen);

    assertThat(sink.chunks).isEqualTo(input);
    assertThat(guard.requests).isEmpty();
    assertThat(screen.report().thinking()).isEqualTo(SpanVerdict.NOT_SCREENED);
  }
}
