package dev.thinkgate.screening;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.guard.Guard;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.stream.ChunkSink;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A live trial of one shadow policy (issue 13): the policy's input screen and its stream screen
 * run enforced, exactly as if the policy served the request, on copies of the chunks the served
 * stream sees, and write into a sink that discards everything but what it measures. Because the
 * trial is the same {@link StreamScreen} enforcement uses, its decision is by construction what
 * enforcement would have done; because it only ever receives copies and its output goes nowhere,
 * it cannot change or delay a byte the client receives. Event-loop confined, like the screen.
 */
public final class ShadowTrial implements ChunkSink {
  private final Policy policy;
  private final LongSupplier clockMillis;
  private final StreamScreen screen;
  private final Future<InputDecision> input;
  private final InputScreen inputScreen;
  private final Promise<Void> done = Promise.promise();
  private final Output output = new Output();
  private long firstInTextMs = -1;
  private long firstOutTextMs = -1;

  /** Null guard with screening enabled: the trial acts as enforcement would, fail_closed. */
  public ShadowTrial(Policy policy, Guard guard, String userPrompt, Vertx vertx,
      LongSupplier clockMillis) {
    this.policy = policy;
    this.clockMillis = clockMillis;
    ScreeningPolicy s = policy.screening();
    if (s.input().enabled() && guard != null) {
      inputScreen = new InputScreen();
      input = inputScreen.screen(s, guard, userPrompt);
    } else {
      inputScreen = null;
      input = Future.succeededFuture(null);
    }
    screen = (s.thinking().enabled() || s.answer().enabled()) && guard != null
        ? new StreamScreen(s, guard, userPrompt, output, vertx, clockMillis, new ScreenListener() {
          @Override
          public void onRestartRequested() {
            output.endMs = clockMillis.getAsLong();
            done.tryComplete();
          }
        })
        : null;
  }

  public String policyName() {
    return policy.name();
  }

  /** Completes when the trial has decided (its screen ended or stopped, its input judged). */
  public Future<Void> done() {
    return Future.all(done.future(), input.recover(e -> Future.succeededFuture(null))).mapEmpty();
  }

  @Override
  public void onChunk(JsonObject chunk) {
    if (firstInTextMs < 0 && hasText(chunk)) {
      firstInTextMs = clockMillis.getAsLong();
    }
    if (screen != null) {
      screen.onChunk(chunk.copy());
    } else {
      output.onChunk(chunk.copy());
    }
  }

  @Override
  public void onEnd() {
    if (screen != null) {
      screen.onEnd();
    } else {
      output.onEnd();
    }
  }

  @Override
  public void onError(OpenAiException error) {
    cancel();
  }

  /** The served request ended early (client gone, timeout): stop guard calls and timers. */
  public void cancel() {
    if (screen != null) {
      screen.cancel();
    }
    if (inputScreen != null) {
      inputScreen.cancel();
    }
    done.tryComplete();
  }

  /** The audit record's {@code shadow[]} entry. */
  public JsonObject result() {
    ScreenReport report = screen == null ? null : screen.report();
    String action = report == null ? "pass" : report.action();
    String span = report == null ? null : report.span();
    long offset = -1;
    List<String> categories = new ArrayList<>();
    if (report != null) {
      SpanVerdict v = "answer".equals(span) ? report.answer() : report.thinking();
      offset = v.offset();
      addAll(categories, report.thinking().categories());
      addAll(categories, report.answer().categories());
    }
    InputDecision in = input.succeeded() ? input.result() : null;
    if (in != null && in.unsafe()) {
      String inputAction = in.failedClosed() ? "fail_closed"
          : in.action() == ScreeningPolicy.InputAction.CONDITIONAL ? "conditional"
          : in.action().name().toLowerCase(Locale.ROOT);
      addAll(categories, in.categories());
      if (ShadowActions.rank(inputAction) > ShadowActions.rank(action)
          || in.action() == ScreeningPolicy.InputAction.REFUSE || in.failedClosed()) {
        // A refusal happens before the model runs: nothing of either span would be released.
        action = in.action() == ScreeningPolicy.InputAction.REFUSE && !in.failedClosed() ? "refuse" : inputAction;
        span = "input";
        offset = 0;
      }
    } else if (report != null && ShadowActions.rank(report.shadowAction()) > ShadowActions.rank(action)) {
      action = report.shadowAction(); // e.g. log_only
    }
    boolean refused = "input".equals(span) && ("refuse".equals(action) || "fail_closed".equals(action));
    Long addedTtft = refused || firstInTextMs < 0 ? null
        : Math.max(0, (firstOutTextMs >= 0 ? firstOutTextMs : output.endMs >= 0 ? output.endMs
            : clockMillis.getAsLong()) - firstInTextMs);
    return new JsonObject()
        .put("policy", policy.name())
        .put("action", action)
        .put("span", "pass".equals(action) ? null : span)
        .put("offset", "pass".equals(action) || offset < 0 ? null : offset)
        .put("categories", new JsonArray(categories))
        .put("released_chars", new JsonObject()
            .put("thinking", refused ? 0 : output.thinking)
            .put("answer", refused ? 0 : output.answer))
        .put("added_ttft_ms", addedTtft)
        // Per span, where enforcement acted (e.g. reasoning hidden at N, then the answer blocked).
        .put("span_offsets", new JsonObject()
            .put("thinking", report == null || report.thinking().offset() < 0 ? null : report.thinking().offset())
            .put("answer", report == null || report.answer().offset() < 0 ? null : report.answer().offset()));
  }

  /** The entry recorded when the trial was not run (over its concurrency budget). */
  public static JsonObject skipped(String policy) {
    return new JsonObject().put("policy", policy).put("skipped", "over_budget");
  }

  private static void addAll(List<String> into, List<String> from) {
    for (String c : from) {
      if (!into.contains(c)) {
        into.add(c);
      }
    }
  }

  private static boolean hasText(JsonObject chunk) {
    JsonArray choices = chunk.getJsonArray("choices");
    if (choices == null || choices.isEmpty() || !(choices.getValue(0) instanceof JsonObject c)) {
      return false;
    }
    JsonObject delta = c.getJsonObject("delta");
    if (delta == null) {
      return false;
    }
    String t = delta.getString("reasoning_content");
    String a = delta.getString("content");
    return (t != null && !t.isEmpty()) || (a != null && !a.isEmpty());
  }

  /** Where the trial's enforced output goes: counted, timed, dropped. */
  private final class Output implements ChunkSink {
    long thinking;
    long answer;
    long endMs = -1;

    @Override
    public void onChunk(JsonObject chunk) {
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices == null || choices.isEmpty() || !(choices.getValue(0) instanceof JsonObject c)
          || c.getJsonObject("delta") == null) {
        return;
      }
      JsonObject delta = c.getJsonObject("delta");
      String t = delta.getString("reasoning_content");
      String a = delta.getString("content");
      boolean refusal = "content_filter".equals(c.getString("finish_reason"));
      if (t != null) {
        thinking += t.length();
      }
      if (a != null && !refusal) {
        answer += a.length();
      }
      if (firstOutTextMs < 0 && ((t != null && !t.isEmpty()) || (a != null && !a.isEmpty() && !refusal))) {
        firstOutTextMs = clockMillis.getAsLong();
      }
    }

    @Override
    public void onEnd() {
      endMs = clockMillis.getAsLong();
      done.tryComplete();
    }

    @Override
    public void onError(OpenAiException error) {
      endMs = clockMillis.getAsLong();
      done.tryComplete();
    }
  }
}
