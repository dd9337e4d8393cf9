package dev.thinkgate.screening;

import static dev.thinkgate.screening.Chunks.answer;
import static dev.thinkgate.screening.Chunks.finish;
import static dev.thinkgate.screening.Chunks.onContext;
import static dev.thinkgate.screening.Chunks.policy;
import static dev.thinkgate.screening.Chunks.role;
import static dev.thinkgate.screening.Chunks.span;
import static dev.thinkgate.screening.Chunks.think;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.guard.Guard;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.policy.ScreeningPolicy.GuardFailure;
import dev.thinkgate.policy.ScreeningPolicy.Release;
import dev.thinkgate.policy.ScreeningPolicy.SpanAction;
import dev.thinkgate.replay.RecordReplayer;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Issue #13's replay proof at the screen level: replaying a recorded generation under policy P
 * gives the same verdicts and actions as enforcing P live on the same generation, streamed token
 * by token (random sub-word tokens) while the guard keeps up with the model. Random texts,
 * tokenizations, actions, release modes and checkpoint spacings.
 */
class ReplayProperties {

  private static final Vertx VERTX = Vertx.vertx();
  private static final Context CTX = VERTX.getOrCreateContext();
  private static final SpanAction[] ACTIONS = {SpanAction.BLOCK, SpanAction.HIDE_REASONING,
      SpanAction.REDACT, SpanAction.RESTART_ZEROTHINK, SpanAction.LOG_ONLY};
  private static final Release[] RELEASES = {Release.HOLD, Release.OPTIMISTIC, Release.SHADOW};
  private static final String PROMPT = "Tell me something";

  @AfterContainer
  static void closeVertx() throws Exception {
    VERTX.close().await(5, TimeUnit.SECONDS);
  }

  private static FakeGuard guard(boolean answerUnsafe) {
    FakeGuard g = new FakeGuard().unsafe("bomb", "S9");
    return answerUnsafe ? g.unsafe("forty", "S1") : g;
  }

  /** Words with their leading whitespace, each cut into 1..3 sub-word tokens. */
  private static List<String> tokens(Random r, String text) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      int end = i;
      while (end < text.length() && Character.isWhitespace(text.charAt(end))) {
        end++;
      }
      while (end < text.length() && !Character.isWhitespace(text.charAt(end))) {
        end++;
      }
      int from = i;
      int parts = 1 + r.nextInt(3);
      for (int p = 1; p < parts && end - from > 1; p++) {
        int cut = from + 1 + r.nextInt(end - from - 1);
        out.add(text.substring(from, cut));
        from = cut;
      }
      out.add(text.substring(from, end));
      i = end;
    }
    return out;
  }

  private record Live(ScreenReport report, boolean restarted) {}

  /** Enforces P on the token stream; every guard call answers before the next token. */
  private static Live live(ScreeningPolicy p, List<JsonObject> chunks, boolean answerUnsafe) {
    return onContext(CTX, () -> {
      FakeGuard guard = guard(answerUnsafe).manual();
      boolean[] restarted = {false};
      boolean[] stopped = {false};
      StreamScreen screen = new StreamScreen(p, guard, PROMPT, new RecordingSink(), VERTX,
          () -> 0L, new ScreenListener() {
            @Override
            public void onStop() {
              stopped[0] = true;
            }

            @Override
            public void onRestartRequested() {
              restarted[0] = true;
              stopped[0] = true;
            }
          });
      for (JsonObject chunk : chunks) {
        if (stopped[0]) {
          break; // the upstream is cancelled
        }
        screen.onChunk(chunk);
        guard.completeAll();
      }
      if (!stopped[0]) {
        screen.onEnd();
        guard.completeAll();
      }
      return new Live(screen.report(), restarted[0]);
    });
  }

  private static JsonObject replay(ScreeningPolicy p, String thinking, String answer,
      boolean answerUnsafe) throws Exception {
    Guard guard = guard(answerUnsafe);
    Policy policy = new Policy("P", null, null, null, p, null);
    RecordReplayer replayer = new RecordReplayer(VERTX, n -> null, n -> guard, () -> 0L);
    JsonObject record = new JsonObject().put("id", "r1").put("policy", "passthrough")
        .put("model", "r1").put("mode", "passthrough").put("prompt", PROMPT)
        .put("thinking", thinking).put("answer", answer).put("action", "pass")
        .put("finish_reason", "stop");
    RecordReplayer.Result r = replayer.replay(record, policy).await(10, TimeUnit.SECONDS);
    assertThat(r).isInstanceOf(RecordReplayer.Replayed.class);
    return ((RecordReplayer.Replayed) r).record();
  }

  /**
   * Equal verdicts, offsets included, with one allowance: an offset is a count of characters
   * the client had been (or would have been) sent when the verdict came, and that can depend on
   * how the model's tokens split the text. A token boundary inside a whitespace run moves a hold
   * release by that whitespace; under {@code optimistic} release the client also had the part of
   * the current word streamed so far. Replay feeds whole words, so its offset may be later by
   * whitespace (hold, shadow) or by the rest of one word (optimistic), never earlier.
   */
  private static void sameVerdict(JsonObject replayed, SpanVerdict live, Release release,
      String text) {
    JsonObject expected = SpanVerdict.toJson(live);
    if (expected == null || replayed == null || expected.getLong("offset") < 0) {
      assertThat(replayed).isEqualTo(expected);
      return;
    }
    long liveOffset = expected.getLong("offset");
    long replayOffset = replayed.getLong("offset");
    assertThat(replayed.copy().put("offset", liveOffset)).isEqualTo(expected);
    assertThat(replayOffset).isGreaterThanOrEqualTo(liveOffset);
    String between = text.substring((int) Math.max(0, liveOffset), (int) replayOffset);
    if (release == Release.OPTIMISTIC) {
      assertThat(between.strip()).doesNotContainAnyWhitespaces();
    } else {
      assertThat(between).isBlank();
    }
  }

  @Property(tries = 300)
  void replayingARecordedGenerationEqualsEnforcingPOnIt(
      @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 60) int thinkWords,
      @ForAll @IntRange(min = 0, max = 25) int answerWords,
      @ForAll boolean trigger,
      @ForAll boolean answerUnsafe,
      @ForAll @IntRange(min = 0, max = 4) int thinkAction,
      @ForAll @IntRange(min = 0, max = 4) int answerAction,
      @ForAll @IntRange(min = 0, max = 2) int thinkRelease,
      @ForAll @IntRange(min = 0, max = 2) int answerRelease,
      @ForAll @IntRange(min = 1, max = 12) int checkpoint,
      @ForAll @IntRange(min = 1, max = 4) int windowFactor) throws Exception {
    // Given a policy P and a generation, as the model streamed it token by token
    SpanAction aAction = ACTIONS[answerAction] == SpanAction.HIDE_REASONING ? SpanAction.BLOCK
        : ACTIONS[answerAction];
    ScreeningPolicy p = policy(span(RELEASES[thinkRelease], ACTIONS[thinkAction]),
        span(RELEASES[answerRelease], aAction), checkpoint, checkpoint * windowFactor,
        GuardFailure.FAIL_OPEN, 0);
    StreamScreenProperties.Scenario s = StreamScreenProperties.scenario(seed,
        Math.max(1, thinkWords), Math.max(1, answerWords), trigger);
    String thinking = thinkWords == 0 ? "" : s.thinking();
    String answer = answerWords == 0 ? "" : s.answer();
    Random r = new Random(seed);
    List<JsonObject> chunks = new ArrayList<>();
    chunks.add(role());
    tokens(r, thinking).forEach(t -> chunks.add(think(t)));
    tokens(r, answer).forEach(t -> chunks.add(answer(t)));
    chunks.add(finish());

    // When P is enforced live, and when the recorded generation is replayed under P
    Live live = live(p, chunks, answerUnsafe);
    JsonObject replayed = replay(p, thinking, answer, answerUnsafe);

    // Then both took the same action, with the same verdicts at the same offsets
    ScreenReport lr = live.report();
    String action = live.restarted() ? "restart_zerothink" : lr.action();
    assertThat(replayed.getString("action")).isEqualTo(action);
    if (!live.restarted()) {
      assertThat(replayed.getString("shadow_action")).isEqualTo(lr.shadowAction());
    }
    JsonObject verdicts = replayed.getJsonObject("verdicts");
    sameVerdict(verdicts.getJsonObject("thinking"), lr.thinking(), RELEASES[thinkRelease], thinking);
    sameVerdict(verdicts.getJsonObject("answer"), lr.answer(), RELEASES[answerRelease], answer);
    assertThat(replayed.getString("policy")).isEqualTo("P");
    assertThat(replayed.getString("thinking")).isEqualTo(thinking);
  }
}
