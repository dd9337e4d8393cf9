package dev.thinkgate.screening;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.guard.Guard;
import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.policy.ScreeningPolicy.InputAction;
import dev.thinkgate.policy.ScreeningPolicy.Release;
import dev.thinkgate.policy.ScreeningPolicy.SpanScreen;
import dev.thinkgate.stream.ChunkSink;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * A live trial of one shadow policy: its input screen and an <em>enforcing</em>
 * {@link StreamScreen} run on a copy of the served stream, writing to a sink that only measures.
 * Nothing it does reaches the client; the result says what enforcement would have done
 * (action, span, char offset, released chars, added time to first chunk). Spans the trialed
 * policy releases in {@code shadow} are trialed as {@code hold}: the question is what enforcing
 * it would do. Event-loop confined, like the screen it drives.
 */
public final class ShadowTrial implements ChunkSink {

  /**
   * What enforcing the trialed policy would have done.
   *
   * @param action refuse, block, fail_closed, restart_zerothink, hide_reasoning, redact, a
   *     conditional input mode ({@code conditional:zerothink}), pass, or skipped (over budget, no
   *     guard) / incomplete (the served stream stopped first)
   * @param span input, thinking or answer; null for pass
   * @param offset char offset in {@code span} where it would have acted; -1 for pass
   * @param releasedThinking thinking chars it would have released to the client
   * @param releasedAnswer answer chars it would have released (refusal text not counted)
   * @param addedTtftMs time to its first client text (or refusal) minus the upstream's first
   *     text; -1 when the model was never called
   * @param steps every action it would have taken, in order (hide the reasoning, then block)
   */
  public record Result(String policy, String action, String span, long offset,
      List<String> categories, int releasedThinking, int releasedAnswer, long addedTtftMs,
      List<StreamScreen.Step> steps) {
    public Result {
      categories = categories == null ? List.of() : List.copyOf(categories);
      steps = steps == null ? List.of() : List.copyOf(steps);
    }

    public Result(String policy, String action, String span, long offset,
        List<String> categories, int releasedThinking, int releasedAnswer, long addedTtftMs) {
      this(policy, action, span, offset, categories, releasedThinking, releasedAnswer,
          addedTtftMs, span == null ? List.of()
              : List.of(new StreamScreen.Step(span, action, offset, categories)));
    }

    public static Result skipped(String policy, String reason) {
      return new Result(policy, "skipped", null, -1, List.of(reason), 0, 0, -1);
    }

    public JsonObject toJson() {
      return new JsonObject().put("policy", policy).put("action", action).put("span", span)
          .put("offset", offset).put("categories", new JsonArray(categories))
          .put("released_chars", new JsonObject().put("thinking", releasedThinking)
              .put("answer", releasedAnswer))
          .put("added_ttft_ms", addedTtftMs)
          .put("steps", new JsonArray(steps.stream().map(StreamScreen.Step::toJson).toList()));
    }
  }

  private final String policyName;
  private final ScreeningPolicy screening;
  private final LongSupplier clockMillis;
  private final Measure measure = new Measure();
  private final StreamScreen screen;
  private final Promise<Result> result = Promise.promise();
  private final InputScreen inputScreen = new InputScreen();
  private Future<InputDecision> input;
  private long firstInputMs = -1;
  private boolean streamDone;
  private String streamAction;

  public ShadowTrial(String policyName, ScreeningPolicy policy, Guard guard, String userPrompt,
      Vertx vertx, LongSupplier clockMillis) {
    this.policyName = policyName;
    this.screening = enforced(policy);
    this.clockMillis = clockMillis;
    this.screen = screening.thinking().enabled() || screening.answer().enabled()
        ? new StreamScreen(screening, guard, userPrompt, measure, vertx, clockMillis,
            new ScreenListener() {
              @Override
              public void onRestartRequested() {
                streamAction = "restart_zerothink";
                streamEnded();
              }
            })
        : null;
    this.input = inputScreen.screen(screening, guard, userPrompt);
  }

  /** The policy as enforced: shadow releases become hold. */
  public static ScreeningPolicy enforced(ScreeningPolicy s) {
    return new ScreeningPolicy(s.guard(), s.input(), hold(s.thinking()), hold(s.answer()),
        s.checkpointTokens(), s.windowTokens(), s.onGuardError(), s.categories(), s.refusal(),
        0, s.controversialAs());
  }

  private static SpanScreen hold(SpanScreen s) {
    return s.enabled() && s.release() == Release.SHADOW
        ? new SpanScreen(true, Release.HOLD, s.action()) : s;
  }

  /**
   * The audit record's {@code shadow} field once every trial has its result (a failed one is
   * recorded as skipped); null when nothing was trialed.
   */
  public static Future<JsonArray> shadowField(List<Future<Result>> results) {
    if (results.isEmpty()) {
      return Future.succeededFuture(null);
    }
    return Future.join(results).transform(done -> {
      JsonArray a = new JsonArray();
      for (Future<Result> f : results) {
        a.add(f.succeeded() ? f.result().toJson() : Result.skipped("?", "error").toJson());
      }
      return Future.succeededFuture(a);
    });
  }

  public Future<Result> result() {
    return result.future();
  }

  @Override
  public void onChunk(JsonObject chunk) {
    if (firstInputMs < 0 && hasText(chunk)) {
      firstInputMs = clockMillis.getAsLong();
    }
    if (screen != null) {
      screen.onChunk(chunk);
    } else {
      measure.onChunk(chunk);
    }
  }

  @Override
  public void onEnd() {
    if (screen != null) {
      screen.onEnd();
    } else {
      measure.onEnd();
    }
  }

  @Override
  public void onError(OpenAiException error) {
    abandon();
  }

  /** The served stream stopped before its end (restart, block, client gone): report what is known. */
  public void abandon() {
    if (screen != null) {
      screen.cancel();
    }
    if (!streamDone) {
      streamAction = "incomplete";
      streamEnded();
    }
  }

  /** The model was never called (the served policy refused the input). */
  public void noGeneration() {
    if (!streamDone) {
      streamEnded();
    }
  }

  private void streamEnded() {
    if (streamDone) {
      return;
    }
    streamDone = true;
    input.onComplete(ar -> result.tryComplete(combine(ar.succeeded() ? ar.result() : null)));
  }

  private Result combine(InputDecision decision) {
    if (decision != null && decision.unsafe()) {
      List<String> cats = decision.categories();
      if (decision.failedClosed() || decision.action() == InputAction.REFUSE) {
        return new Result(policyName, decision.failedClosed() ? "fail_closed" : "refuse", "input", 0,
            cats, 0, 0, -1);
      }
      if (decision.action() == InputAction.CONDITIONAL) {
        // Enforcement would have generated under another mode: this stream says nothing more.
        return new Result(policyName, "conditional", "input", 0, cats, 0, 0, -1);
      }
    }
    long added = firstInputMs < 0 ? -1
        : Math.max(0, (measure.firstMs < 0 ? clockMillis.getAsLong() : measure.firstMs) - firstInputMs);
    if (screen == null) {
      return new Result(policyName, streamAction == null ? "pass" : streamAction, null, -1, List.of(),
          measure.thinking, measure.answer, added);
    }
    ScreenReport r = screen.report();
    String action = streamAction != null && !"incomplete".equals(streamAction) ? streamAction
        : r.action();
    if ("pass".equals(action) && "incomplete".equals(streamAction)) {
      action = "incomplete";
    }
    String span = "pass".equals(action) || "incomplete".equals(action) ? null : r.span();
    SpanVerdict v = "thinking".equals(span) ? r.thinking() : "answer".equals(span) ? r.answer() : null;
    return new Result(policyName, action, span, v == null ? -1 : v.offset(),
        v == null ? List.of() : v.categories(), measure.thinking, measure.answer, added,
        "incomplete".equals(action) ? List.of() : screen.steps());
  }

  /** TTFT counts text (thinking or answer), not the role chunk that precedes it. */
  private static boolean hasText(JsonObject chunk) {
    JsonArray choices = chunk.getJsonArray("choices");
    if (choices == null || choices.isEmpty() || !(choices.getValue(0) instanceof JsonObject c)
        || !(c.getValue("delta") instanceof JsonObject delta)) {
      return false;
    }
    return delta.getValue("reasoning_content") instanceof String t && !t.isEmpty()
        || delta.getValue("content") instanceof String a && !a.isEmpty();
  }

  /** Where the trial's client stream would have gone: counts, times, never forwards. */
  private final class Measure implements ChunkSink {
    int thinking;
    int answer;
    long firstMs = -1;

    @Override
    public void onChunk(JsonObject chunk) {
      if (firstMs < 0 && (hasText(chunk) || chunk.getValue("thinkgate") != null)) {
        firstMs = clockMillis.getAsLong();
      }
      if (chunk.getValue("thinkgate") != null) {
        return; // the refusal, not released model text
      }
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices == null || choices.isEmpty()) {
        return;
      }
      JsonObject delta = choices.getJsonObject(0).getJsonObject("delta");
      if (delta == null) {
        return;
      }
      if (delta.getValue("reasoning_content") instanceof String s) {
        thinking += s.length();
      }
      if (delta.getValue("content") instanceof String s) {
        answer += s.length();
      }
    }

    @Override
    public void onEnd() {
      streamEnded();
    }

    @Override
    public void onError(OpenAiException error) {
      streamAction = "incomplete";
      streamEnded();
    }
  }
}
