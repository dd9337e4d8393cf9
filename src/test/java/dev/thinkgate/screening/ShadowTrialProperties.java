package dev.thinkgate.screening;

import static dev.thinkgate.screening.Chunks.onContext;
import static dev.thinkgate.screening.Chunks.policy;
import static dev.thinkgate.screening.Chunks.span;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.guard.GuardException;
import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.policy.ScreeningPolicy.GuardFailure;
import dev.thinkgate.policy.ScreeningPolicy.Release;
import dev.thinkgate.policy.ScreeningPolicy.SpanAction;
import dev.thinkgate.policy.ScreeningPolicy.SpanScreen;
import dev.thinkgate.stream.ChunkSink;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
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
 * The differential property of live trials: what a trial of policy P records while the client is
 * served passthrough is what enforcing P does on the same stream (same action, span, offset and
 * released text), and the client's bytes under the trial are the passthrough bytes. Random
 * texts, random chunkings, random guard latencies (the same latency draw for both runs).
 */
class ShadowTrialProperties {

  private static final Vertx VERTX = Vertx.vertx();
  private static final Context CTX = VERTX.getOrCreateContext();
  private static final SpanAction[] ACTIONS = {SpanAction.BLOCK, SpanAction.HIDE_REASONING,
      SpanAction.REDACT, SpanAction.RESTART_ZEROTHINK, SpanAction.LOG_ONLY};

  @AfterContainer
  static void closeVertx() throws Exception {
    VERTX.close().await(5, TimeUnit.SECONDS);
  }

  /** Feeds the chunks to {@code sink} one per step, completing guard calls after their latency. */
  private static void drive(ChunkSink sink, FakeGuard guard, List<JsonObject> chunks, long seed,
      int maxLatency, Runnable afterEachChunk) {
    Random r = new Random(~seed);
    Map<FakeGuard.Call, Integer> latency = new IdentityHashMap<>();
    int step = 0;
    for (JsonObject chunk : chunks) {
      guard.clock = step;
      sink.onChunk(chunk);
      afterEachChunk.run();
      step++;
      guard.clock = step;
      while (!guard.pending.isEmpty()) {
        FakeGuard.Call oldest = guard.pending.get(0);
        int due = latency.computeIfAbsent(oldest, c -> r.nextInt(maxLatency + 1));
        if (step - oldest.createdAt() < due) {
          break;
        }
        guard.completeOldest();
      }
    }
    sink.onEnd();
    guard.completeAll();
  }

  private static FakeGuard guard(boolean answerUnsafe) {
    FakeGuard g = new FakeGuard().unsafe("bomb", "S9").manual();
    return answerUnsafe ? g.unsafe("forty", "S1") : g;
  }

  /** Served passthrough, P trialed: the client sink sees the tee's copy-free originals. */
  private record Trialed(RecordingSink client, ShadowTrial.Result result) {}

  private static Trialed trialed(ScreeningPolicy p, StreamScreenProperties.Scenario s, long seed,
      int maxLatency, FakeGuard guard) {
    return onContext(CTX, () -> {
      RecordingSink client = new RecordingSink();
      ShadowTrial trial = new ShadowTrial("P", p, guard, "Tell me something", VERTX, () -> 0L);
      ChunkSink tee = new ChunkSink() {
        @Override
        public void onChunk(JsonObject chunk) {
          trial.onChunk(chunk.copy());
          client.onChunk(chunk);
        }

        @Override
        public void onEnd() {
          trial.onEnd();
          client.onEnd();
        }

        @Override
        public void onError(OpenAiException error) {
          trial.abandon();
          client.onError(error);
        }
      };
      drive(tee, guard, s.chunks(), seed, maxLatency, () -> {});
      trial.abandon(); // no-op when the trial finished; the served stream is over either way
      assertThat(trial.result().isComplete()).isTrue();
      return new Trialed(client, trial.result().result());
    });
  }

  private record Enforced(RecordingSink client, ScreenReport report) {}

  private static Enforced enforced(ScreeningPolicy p, StreamScreenProperties.Scenario s, long seed,
      int maxLatency, FakeGuard guard) {
    return onContext(CTX, () -> {
      RecordingSink client = new RecordingSink();
      StreamScreen screen = new StreamScreen(p, guard, "Tell me something", client, VERTX, () -> 0L,
          ScreenListener.NONE);
      drive(screen, guard, s.chunks(), seed, maxLatency, () -> {});
      return new Enforced(client, screen.report());
    });
  }

  private static int released(RecordingSink sink, String field) {
    int n = 0;
    for (JsonObject c : sink.chunks) {
      JsonArray choices = c.getJsonArray("choices");
      if (c.getValue("thinkgate") != null || choices == null || choices.isEmpty()) {
        continue;
      }
      JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
      if (delta != null && delta.getValue(field) instanceof String text) {
        n += text.length();
      }
    }
    return n;
  }

  private static String bytes(List<JsonObject> chunks) {
    StringBuilder sb = new StringBuilder();
    chunks.forEach(c -> sb.append(c.encode()).append('\n'));
    return sb.toString();
  }

  @Property(tries = 300)
  void trialOfPWhileServingPassthroughEqualsEnforcingP(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 60) int thinkWords,
      @ForAll @IntRange(min = 1, max = 20) int answerWords,
      @ForAll boolean trigger,
      @ForAll boolean answerUnsafe,
      @ForAll @IntRange(min = 0, max = 4) int thinkAction,
      @ForAll @IntRange(min = 0, max = 4) int answerAction,
      @ForAll boolean thinkHolds,
      @ForAll boolean answerHolds,
      @ForAll @IntRange(min = 1, max = 12) int checkpoint,
      @ForAll @IntRange(min = 0, max = 5) int maxLatency) {
    // Given a policy P and one stream
    SpanAction aAction = ACTIONS[answerAction] == SpanAction.HIDE_REASONING ? SpanAction.BLOCK
        : ACTIONS[answerAction];
    ScreeningPolicy p = policy(
        span(thinkHolds ? Release.HOLD : Release.OPTIMISTIC, ACTIONS[thinkAction]),
        span(answerHolds ? Release.HOLD : Release.OPTIMISTIC, aAction),
        checkpoint, checkpoint * 4, GuardFailure.FAIL_OPEN, 0);
    StreamScreenProperties.Scenario s = StreamScreenProperties.scenario(seed, thinkWords,
        answerWords, trigger);

    // When P is trialed while serving passthrough, and when P is enforced
    Trialed t = trialed(p, s, seed, maxLatency, guard(answerUnsafe));
    Enforced e = enforced(p, s, seed, maxLatency, guard(answerUnsafe));

    // Then the client got the passthrough bytes, and the trial recorded what enforcement did
    assertThat(bytes(t.client().chunks)).isEqualTo(bytes(s.chunks()));
    ScreenReport r = e.report();
    assertThat(t.result().action()).isEqualTo(r.action());
    String span = "pass".equals(r.action()) ? null : r.span();
    assertThat(t.result().span()).isEqualTo(span);
    long offset = "thinking".equals(span) ? r.thinking().offset()
        : "answer".equals(span) ? r.answer().offset() : -1;
    assertThat(t.result().offset()).isEqualTo(offset);
    if (!"restart_zerothink".equals(r.action())) {
      assertThat(t.result().releasedThinking()).isEqualTo(released(e.client(), "reasoning_content"));
      assertThat(t.result().releasedAnswer()).isEqualTo(released(e.client(), "content"));
    }
  }

  @Property(tries = 100)
  void aTrialWhoseGuardIsDownNeverChangesOrDelaysTheServedStream(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 40) int thinkWords,
      @ForAll @IntRange(min = 1, max = 10) int answerWords,
      @ForAll boolean failClosed,
      @ForAll boolean neverAnswers) {
    // Given a trialed policy whose guard fails every call, or never answers at all
    ScreeningPolicy p = policy(span(Release.HOLD, SpanAction.BLOCK),
        span(Release.HOLD, SpanAction.BLOCK), 3, 12,
        failClosed ? GuardFailure.FAIL_CLOSED : GuardFailure.FAIL_OPEN, 0);
    StreamScreenProperties.Scenario s = StreamScreenProperties.scenario(seed, thinkWords,
        answerWords, true);
    FakeGuard down = new FakeGuard().failing(GuardException.Kind.CIRCUIT_OPEN);
    FakeGuard silent = new FakeGuard().manual();

    ShadowTrial.Result result = onContext(CTX, () -> {
      RecordingSink client = new RecordingSink();
      ShadowTrial trial = new ShadowTrial("P", p, neverAnswers ? silent : down, "q", VERTX,
          () -> 0L);
      List<Integer> deliveredAfterStep = new ArrayList<>();
      // When each chunk goes to the trial and then to the client
      for (JsonObject chunk : s.chunks()) {
        trial.onChunk(chunk.copy());
        client.onChunk(chunk);
        deliveredAfterStep.add(client.chunks.size());
      }
      trial.onEnd();
      client.onEnd();
      trial.abandon();
      // Then every chunk reached the client in the step it arrived, unchanged
      for (int i = 0; i < deliveredAfterStep.size(); i++) {
        assertThat(deliveredAfterStep.get(i)).isEqualTo(i + 1);
      }
      assertThat(bytes(client.chunks)).isEqualTo(bytes(s.chunks()));
      assertThat(client.ends).isEqualTo(1);
      return trial.result().result();
    });
    // And the trial says what it knows: fail_closed would have blocked, fail_open passes,
    // a guard that never answered leaves the trial incomplete
    String expected = neverAnswers ? "incomplete" : failClosed ? "fail_closed" : "pass";
    assertThat(result.action()).isEqualTo(expected);
  }
}
