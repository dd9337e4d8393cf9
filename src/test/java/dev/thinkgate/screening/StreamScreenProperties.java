package dev.thinkgate.screening;

import static dev.thinkgate.screening.Chunks.answer;
import static dev.thinkgate.screening.Chunks.finish;
import static dev.thinkgate.screening.Chunks.onContext;
import static dev.thinkgate.screening.Chunks.policy;
import static dev.thinkgate.screening.Chunks.role;
import static dev.thinkgate.screening.Chunks.span;
import static dev.thinkgate.screening.Chunks.think;
import static dev.thinkgate.screening.Chunks.usage;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.guard.GuardRequest;
import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.policy.ScreeningPolicy.GuardFailure;
import dev.thinkgate.policy.ScreeningPolicy.Release;
import dev.thinkgate.policy.ScreeningPolicy.SpanAction;
import dev.thinkgate.policy.ScreeningPolicy.SpanScreen;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Properties over random texts, random chunkings (cuts anywhere, also inside words) and random
 * guard latencies (each call answers 0..maxLatency chunks after it was made).
 */
class StreamScreenProperties {

  private static final Vertx VERTX = Vertx.vertx();
  private static final Context CTX = VERTX.getOrCreateContext();
  private static final String TRIGGER = "bomb";
  private static final String[] THINK_WORDS = {"the", "cat", "sat", "on", "a", "mat", "and", "then", "we",
      "consider", "it", "carefully", "step", "one", "two", "maybe", "b", "om", "bo", "mb"};
  private static final String[] ANSWER_WORDS = {"THE", "ANSWER", "IS", "FORTY", "TWO", "OK", "DONE"};
  private static final String[] SEPARATORS = {" ", " ", " ", "  ", "\n", " \n", "\n\n"};

  @AfterContainer
  static void closeVertx() throws Exception {
    VERTX.close().await(5, TimeUnit.SECONDS);
  }

  /** One generated stream. */
  record Scenario(String thinking, String answer, List<JsonObject> chunks, int maxWordsPerChunk, int triggerAt) {}

  static Scenario scenario(long seed, int thinkWords, int answerWords, boolean trigger) {
    Random r = new Random(seed);
    String thinking = text(r, THINK_WORDS, thinkWords, trigger ? r.nextInt(thinkWords) : -1);
    String answer = text(r, ANSWER_WORDS, answerWords, -1);
    List<JsonObject> chunks = new ArrayList<>();
    chunks.add(role());
    int maxWords = 1;
    for (String piece : pieces(r, thinking)) {
      chunks.add(think(piece));
      maxWords = Math.max(maxWords, TokenCounter.count(piece) + 1);
    }
    for (String piece : pieces(r, answer)) {
      chunks.add(answer(piece));
      maxWords = Math.max(maxWords, TokenCounter.count(piece) + 1);
    }
    chunks.add(finish());
    chunks.add(usage());
    return new Scenario(thinking, answer, chunks, maxWords, thinking.indexOf(TRIGGER));
  }

  private static String text(Random r, String[] vocabulary, int words, int triggerIndex) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words; i++) {
      if (i > 0) {
        sb.append(SEPARATORS[r.nextInt(SEPARATORS.length)]);
      }
      sb.append(i == triggerIndex ? TRIGGER : vocabulary[r.nextInt(vocabulary.length)]);
    }
    // Adjacent "bo" "mb" or "b" "om" ... are separated by whitespace, so they never form the trigger.
    return sb.toString();
  }

  private static List<String> pieces(Random r, String text) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      int len = 1 + r.nextInt(12);
      out.add(text.substring(i, Math.min(text.length(), i + len)));
      i += len;
    }
    return out;
  }

  /** What a run produced. */
  record Outcome(RecordingSink sink, ScreenReport report, FakeGuard guard, int maxInFlightPerSpan) {}

  static Outcome drive(ScreeningPolicy policy, Scenario s, long seed, int maxLatency) {
    return onContext(CTX, () -> {
      Random r = new Random(~seed);
      FakeGuard guard = new FakeGuard().unsafe(TRIGGER, "S9").manual();
      RecordingSink sink = new RecordingSink();
      StreamScreen screen = new StreamScreen(policy, guard, "Tell me something", sink, VERTX, () -> 0L,
          ScreenListener.NONE);
      Map<FakeGuard.Call, Integer> latency = new IdentityHashMap<>();
      int maxPerSpan = 0;
      int step = 0;
      for (JsonObject chunk : s.chunks()) {
        guard.clock = step;
        screen.onChunk(chunk);
        maxPerSpan = Math.max(maxPerSpan, maxPerSpan(guard));
        step++;
        guard.clock = step;
        while (!guard.pending.isEmpty()) {
          FakeGuard.Call oldest = guard.pending.get(0);
          int due = latency.computeIfAbsent(oldest, c -> r.nextInt(maxLatency + 1));
          if (step - oldest.createdAt() < due) {
            break;
          }
          guard.completeOldest();
          maxPerSpan = Math.max(maxPerSpan, maxPerSpan(guard));
        }
      }
      screen.onEnd();
      while (!guard.pending.isEmpty()) {
        guard.completeOldest();
        maxPerSpan = Math.max(maxPerSpan, maxPerSpan(guard));
      }
      return new Outcome(sink, screen.report(), guard, maxPerSpan);
    });
  }

  private static boolean isAnswer(GuardRequest r) {
    return !r.assistantText().equals(r.assistantText().toLowerCase(java.util.Locale.ROOT));
  }

  private static int maxPerSpan(FakeGuard guard) {
    int answers = 0;
    int thoughts = 0;
    for (FakeGuard.Call c : guard.pending) {
      if (isAnswer(c.request())) {
        answers++;
      } else {
        thoughts++;
      }
    }
    return Math.max(answers, thoughts);
  }

  private static ScreeningPolicy both(Release release, SpanAction action, int checkpoint, int window) {
    SpanScreen s = span(release, action);
    return policy(s, s, checkpoint, window, GuardFailure.FAIL_OPEN, 0);
  }

  // ------------------------------------------------------------ hold

  @Property(tries = 250)
  void holdNeverReleasesAnyByteFromTheUnsafeWordOn(@ForAll long seed, @ForAll @IntRange(min = 1, max = 120) int words,
      @ForAll @IntRange(min = 0, max = 20) int answerWords, @ForAll @IntRange(min = 1, max = 10) int checkpoint,
      @ForAll @IntRange(min = 0, max = 40) int windowExtra, @ForAll @IntRange(min = 0, max = 5) int maxLatency) {
    Scenario s = scenario(seed, words, answerWords, true);

    Outcome o = drive(both(Release.HOLD, SpanAction.BLOCK, checkpoint, 2 * checkpoint + windowExtra), s, seed,
        maxLatency);

    String released = o.sink().thinking();
    assertThat(s.thinking()).startsWith(released);
    assertThat(released.length()).isLessThanOrEqualTo(s.triggerAt());
    assertThat(o.sink().answer()).isEmpty();
    assertThat(o.sink().lastFinishReason()).isEqualTo("content_filter");
    assertThat(o.sink().ends).isEqualTo(1);
    assertThat(o.report().thinking().safe()).isFalse();
    assertThat(o.report().thinking().offset()).isEqualTo(released.length());
  }

  @Property(tries = 250)
  void holdReleasesASafeStreamByteIdenticalAndInOrder(@ForAll long seed,
      @ForAll @IntRange(min = 0, max = 120) int words, @ForAll @IntRange(min = 0, max = 40) int answerWords,
      @ForAll @IntRange(min = 1, max = 10) int checkpoint, @ForAll @IntRange(min = 0, max = 5) int maxLatency) {
    Scenario s = scenario(seed, words, answerWords, false);

    Outcome o = drive(both(Release.HOLD, SpanAction.BLOCK, checkpoint, 2048), s, seed, maxLatency);

    List<JsonObject> out = o.sink().chunks;
    assertThat(o.sink().thinking()).isEqualTo(s.thinking());
    assertThat(o.sink().answer()).isEqualTo(s.answer());
    assertThat(out.get(0)).isEqualTo(role());
    assertThat(out.get(out.size() - 2)).isEqualTo(finish());
    assertThat(out.get(out.size() - 1)).isEqualTo(usage());
    assertThat(o.sink().ends).isEqualTo(1);
    // Thinking text all precedes answer text
    boolean answerSeen = false;
    for (JsonObject c : out) {
      JsonObject delta = c.getJsonArray("choices").isEmpty() ? null
          : c.getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
      if (delta != null && delta.getString("content") != null && !delta.getString("content").isEmpty()) {
        answerSeen = true;
      }
      if (delta != null && delta.getString("reasoning_content") != null) {
        assertThat(answerSeen).isFalse();
      }
    }
  }

  @Property(tries = 200)
  void guardCallsPerSpanAreBoundedAndNeverOverlap(@ForAll long seed,
      @ForAll @IntRange(min = 0, max = 150) int words, @ForAll @IntRange(min = 0, max = 60) int answerWords,
      @ForAll @IntRange(min = 1, max = 12) int checkpoint, @ForAll @IntRange(min = 0, max = 6) int maxLatency) {
    Scenario s = scenario(seed, words, answerWords, false);

    Outcome o = drive(both(Release.HOLD, SpanAction.BLOCK, checkpoint, 2048), s, seed, maxLatency);

    long thinkingCalls = o.guard().requests.stream().filter(r -> !isAnswer(r)).count();
    long answerCalls = o.guard().requests.stream().filter(StreamScreenProperties::isAnswer).count();
    assertThat(thinkingCalls).isLessThanOrEqualTo(ceilDiv(TokenCounter.count(s.thinking()), checkpoint) + 1);
    assertThat(answerCalls).isLessThanOrEqualTo(ceilDiv(TokenCounter.count(s.answer()), checkpoint) + 1);
    assertThat(o.report().thinking().guardCalls()).isEqualTo((int) thinkingCalls);
    assertThat(o.maxInFlightPerSpan()).isLessThanOrEqualTo(1);
  }

  private static long ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  // ------------------------------------------------------------ shadow

  @Property(tries = 200)
  void shadowOutputIsByteIdenticalToTheInput(@ForAll long seed, @ForAll @IntRange(min = 1, max = 100) int words,
      @ForAll @IntRange(min = 0, max = 20) int answerWords, @ForAll boolean trigger,
      @ForAll @IntRange(min = 1, max = 10) int checkpoint, @ForAll @IntRange(min = 0, max = 5) int maxLatency) {
    Scenario s = scenario(seed, words, answerWords, trigger);

    Outcome o = drive(both(Release.SHADOW, SpanAction.BLOCK, checkpoint, 2048), s, seed, maxLatency);

    assertThat(o.sink().chunks).isEqualTo(s.chunks());
    assertThat(o.sink().ends).isEqualTo(1);
    assertThat(o.report().action()).isEqualTo("pass");
    assertThat(o.report().shadowAction()).isEqualTo(trigger ? "block" : "pass");
    if (trigger) {
      assertThat(o.report().thinking().offset()).isBetween(0L, (long) s.triggerAt());
    }
  }

  // ------------------------------------------------------------ optimistic

  @Property(tries = 250)
  void optimisticLeakIsBoundedByOneCheckpointPlusCallsInFlight(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 150) int words, @ForAll @IntRange(min = 1, max = 10) int checkpoint,
      @ForAll @IntRange(min = 0, max = 5) int maxLatency) {
    Scenario s = scenario(seed, words, 5, true);
    ScreeningPolicy p = policy(span(Release.OPTIMISTIC, SpanAction.BLOCK), SpanScreen.DISABLED, checkpoint, 2048,
        GuardFailure.FAIL_OPEN, 0);

    Outcome o = drive(p, s, seed, maxLatency);

    String released = o.sink().thinking();
    assertThat(s.thinking()).startsWith(released);
    int leakWords = released.length() > s.triggerAt() ? TokenCounter.count(released.substring(s.triggerAt())) : 0;
    // the unsafe word, up to one checkpoint interval, and what arrived while at most two calls ran
    int bound = 1 + checkpoint + (2 * maxLatency + 2) * s.maxWordsPerChunk();
    assertThat(leakWords).isLessThanOrEqualTo(bound);
    assertThat(o.sink().lastFinishReason()).isEqualTo("content_filter");
    assertThat(o.report().thinking().offset()).isEqualTo(released.length());
  }

  // ------------------------------------------------------------ a thinking checkpoint riding

  /**
   * balanced.yaml's spans (optimistic; thinking hidden, answer blocked; fail open), whose
   * thinking's last checkpoint waits for the answer's next call: the answer always goes out
   * whole (it holds no trigger), the stream ends once, every span's whole text is judged, no span
   * has two calls in flight, the thinking's verdict is reported, and what the client got of the
   * thinking is a prefix of it, cut no later than the optimistic bound after the trigger.
   */
  @Property(tries = 250)
  void aRidingThinkingCheckpointIsJudgedAndReportedAndChangesNothingElse(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 60) int words,
      @ForAll @IntRange(min = 0, max = 20) int answerWords, @ForAll boolean trigger,
      @ForAll @IntRange(min = 1, max = 10) int checkpoint,
      @ForAll @IntRange(min = 0, max = 5) int maxLatency) {
    Scenario s = scenario(seed, words, answerWords, trigger);
    ScreeningPolicy p = policy(span(Release.OPTIMISTIC, SpanAction.HIDE_REASONING),
        span(Release.OPTIMISTIC, SpanAction.BLOCK), checkpoint, 2048, GuardFailure.FAIL_OPEN, 0);

    Outcome o = drive(p, s, seed, maxLatency);

    net.jqwik.api.statistics.Statistics.label("thinking rode with the answer")
        .collect(!o.guard().batches.isEmpty());
    assertThat(o.sink().ends).isEqualTo(1);
    assertThat(o.sink().answer()).isEqualTo(s.answer());
    assertThat(o.maxInFlightPerSpan()).isLessThanOrEqualTo(1);
    assertThat(s.thinking()).startsWith(o.sink().thinking());
    // every word of each span was judged: the last request of a span ends where its text ends
    List<GuardRequest> thinkingCalls = o.guard().requests.stream().filter(r -> !isAnswer(r)).toList();
    assertThat(thinkingCalls).isNotEmpty();
    assertThat(s.thinking().stripTrailing())
        .endsWith(thinkingCalls.get(thinkingCalls.size() - 1).assistantText().stripTrailing());
    assertThat(o.report().thinking().safe()).isEqualTo(!trigger);
    assertThat(o.report().action()).isEqualTo(trigger ? "hide_reasoning" : "pass");
    if (trigger) {
      String released = o.sink().thinking();
      int leakWords = released.length() > s.triggerAt()
          ? TokenCounter.count(released.substring(s.triggerAt())) : 0;
      assertThat(leakWords).isLessThanOrEqualTo(1 + checkpoint + (2 * maxLatency + 2)
          * s.maxWordsPerChunk());
    }
  }
}
