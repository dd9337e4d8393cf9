package dev.thinkgate.replay;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.audit.SafeChainVerdict;
import dev.thinkgate.guard.Guard;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.policy.ReasoningMode;
import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.policy.ScreeningPolicy.InputAction;
import dev.thinkgate.screening.InputDecision;
import dev.thinkgate.screening.InputScreen;
import dev.thinkgate.screening.ScreenListener;
import dev.thinkgate.screening.ScreenReport;
import dev.thinkgate.screening.ShadowTrial;
import dev.thinkgate.screening.SpanVerdict;
import dev.thinkgate.screening.StreamScreen;
import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.stream.ChunkSink;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Re-screens one recorded sample under a policy, as live enforcement of that policy would have
 * screened the same generation: the input screen first, then the recorded thinking and answer fed
 * word by word (a word with its leading whitespace, as a tokenizer emits it) through the same
 * {@link StreamScreen}, with the same checkpoints and windows, and through a {@link ShadowTrial}
 * per {@code shadow_policies} entry. Tokens are fed at the pace of the guard ({@link Pacer}), so
 * the result does not depend on the replay guard's speed.
 *
 * <p>What a replay cannot do is generate: when enforcement would have made the model write
 * something else (a conditional input mode other than the recorded one, a ZeroThink restart), the
 * record says so in {@code action} and stops there.
 */
public final class RecordReplayer {

  /** The outcome for one input record: a new record, or why none can be made. */
  public sealed interface Result permits Replayed, Skipped {}

  /** @param record the replayed audit record (one JSONL line) */
  public record Replayed(JsonObject record, String action) implements Result {}

  /** @param reason a short machine-readable reason, e.g. {@code prompt_redacted} */
  public record Skipped(String reason) implements Result {}

  private final Vertx vertx;
  private final Function<String, Policy> policies;
  private final Function<String, Guard> guards;
  private final LongSupplier clockMillis;

  /**
   * @param policies policy by name (for {@code shadow_policies}); null when unknown
   * @param guards guard by name; null when not configured
   */
  public RecordReplayer(Vertx vertx, Function<String, Policy> policies,
      Function<String, Guard> guards, LongSupplier clockMillis) {
    this.vertx = vertx;
    this.policies = policies;
    this.guards = guards;
    this.clockMillis = clockMillis;
  }

  /** Replays {@code original} under {@code policy} on a context of its own. */
  public Future<Result> replay(JsonObject original, Policy policy) {
    Context context = vertx.getOrCreateContext();
    Promise<Result> result = Promise.promise();
    context.runOnContext(v -> {
      try {
        new Run(context, original, policy).start().onComplete(result);
      } catch (RuntimeException e) {
        result.tryFail(e);
      }
    });
    return result.future();
  }

  /** Splits text into words, each with the whitespace before it (trailing whitespace kept). */
  static List<String> pieces(String text) {
    List<String> out = new ArrayList<>();
    if (text == null || text.isEmpty()) {
      return out;
    }
    int start = 0;
    int i = 0;
    int n = text.length();
    while (i < n) {
      while (i < n && Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      while (i < n && !Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      out.add(text.substring(start, i));
      start = i;
    }
    return out;
  }

  /** One record's replay; confined to its context. */
  private final class Run {
    private final Context context;
    private final JsonObject original;
    private final AuditRecord record;
    private final Policy policy;
    private final ScreeningPolicy screening;
    private final Pacer pacer;
    private final String prompt;
    private final List<ShadowTrial> trials = new ArrayList<>();
    private final List<Future<ShadowTrial.Result>> trialResults = new ArrayList<>();
    private final Promise<Void> streamDone = Promise.promise();
    private StreamScreen screen;
    private boolean stopped;
    private boolean restart;

    Run(Context context, JsonObject original, Policy policy) {
      this.context = context;
      this.original = original;
      this.record = AuditRecord.fromJson(original);
      this.policy = policy;
      this.screening = policy.screening();
      this.pacer = new Pacer(context);
      this.prompt = record.prompt();
    }

    Future<Result> start() {
      if (prompt == null) {
        return Future.succeededFuture(new Skipped("no_prompt"));
      }
      if (prompt.startsWith("sha256:")) {
        return Future.succeededFuture(new Skipped("prompt_redacted"));
      }
      Guard guard = screening.anyEnabled() ? guards.apply(screening.guard()) : null;
      if (screening.anyEnabled() && guard == null) {
        return Future.failedFuture(new IllegalStateException("policy '" + policy.name()
            + "' screens with guard '" + screening.guard() + "', which is not configured"));
      }
      Guard paced = guard == null ? null : pacer.wrap(guard);
      startTrials();
      Future<InputDecision> input = new InputScreen().screen(screening, paced, prompt);
      return input.compose(decision -> afterInput(decision, paced));
    }

    private void startTrials() {
      for (String name : policy.shadowPolicies()) {
        Policy p = policies.apply(name);
        Guard g = p == null ? null : guards.apply(p.screening().guard());
        if (p == null || (p.screening().anyEnabled() && g == null)) {
          trialResults.add(Future.succeededFuture(
              ShadowTrial.Result.skipped(name, "not_configured")));
          continue;
        }
        ShadowTrial trial = new ShadowTrial(name, p.screening(), g == null ? null : pacer.wrap(g),
            prompt, vertx, clockMillis);
        trials.add(trial);
        trialResults.add(trial.result());
      }
    }

    private Future<Result> afterInput(InputDecision decision, Guard paced) {
      String inputAction = null;
      if (decision.unsafe()) {
        InputAction a = screening.input().action();
        if (a == InputAction.REFUSE) {
          inputAction = "refuse";
        } else if (a == InputAction.CONDITIONAL) {
          ReasoningMode m = policy.reasoning().onUnsafeInput();
          String mode = (m == null ? ReasoningMode.ZEROTHINK : m).wire();
          inputAction = "conditional:" + mode;
          if (!mode.equals(record.mode())) {
            // Enforcement would have generated under another mode: nothing recorded to screen.
            trials.forEach(ShadowTrial::noGeneration);
            return finish(decision, null, inputAction, inputAction);
          }
        }
      }
      if ("refuse".equals(inputAction)) {
        trials.forEach(ShadowTrial::noGeneration);
        return finish(decision, null, inputAction, inputAction);
      }
      String conditional = inputAction;
      ChunkSink collector = new Collector();
      if (screening.thinking().enabled() || screening.answer().enabled()) {
        screen = new StreamScreen(screening, paced, prompt, collector, vertx, clockMillis,
            new ScreenListener() {
              @Override
              public void onStop() {
                stopped = true;
              }

              @Override
              public void onRestartRequested() {
                restart = true;
                stopped = true;
                streamDone.tryComplete();
              }
            });
      }
      ChunkSink served = screen != null ? screen : collector;
      List<JsonObject> chunks = chunks();
      return feed(served, chunks, 0).compose(v -> streamDone.future()).compose(v -> {
        ScreenReport report = screen == null ? null : screen.report();
        String action = conditional != null ? conditional
            : restart ? "restart_zerothink"
            : report == null ? "pass" : report.action();
        String shadowAction = restart ? "restart_zerothink"
            : report == null ? action : report.shadowAction();
        return finish(decision, report, action, shadowAction);
      });
    }

    /** Feeds chunk {@code i} and, once the guard has caught up, the next; ends the stream. */
    private Future<Void> feed(ChunkSink sink, List<JsonObject> chunks, int i) {
      if (stopped) {
        // A block or restart ended the served stream: enforcement stopped the upstream here.
        trials.forEach(ShadowTrial::abandon);
        return Future.succeededFuture();
      }
      if (i == chunks.size()) {
        sink.onEnd();
        trials.forEach(ShadowTrial::onEnd);
        return pacer.idle();
      }
      JsonObject chunk = chunks.get(i);
      sink.onChunk(chunk);
      for (ShadowTrial t : trials) {
        t.onChunk(chunk.copy());
      }
      return pacer.idle().compose(v -> feed(sink, chunks, i + 1));
    }

    private List<JsonObject> chunks() {
      List<JsonObject> out = new ArrayList<>();
      String id = "chatcmpl-replay-" + (record.id() == null ? "" : record.id());
      out.add(chunk(id, new JsonObject().put("role", "assistant").put("content", ""), null));
      for (String p : pieces(record.thinking())) {
        out.add(chunk(id, new JsonObject().put("reasoning_content", p), null));
      }
      for (String p : pieces(record.answer())) {
        out.add(chunk(id, new JsonObject().put("content", p), null));
      }
      String finish = record.finishReason() == null ? "stop" : record.finishReason();
      out.add(chunk(id, new JsonObject(), finish));
      return out;
    }

    private JsonObject chunk(String id, JsonObject delta, String finish) {
      return new JsonObject().put("id", id).put("object", "chat.completion.chunk")
          .put("created", clockMillis.getAsLong() / 1000).put("model", record.model())
          .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
              .put("delta", delta).putNull("logprobs").put("finish_reason", finish)));
    }

    private Future<Result> finish(InputDecision decision, ScreenReport report, String action,
        String shadowAction) {
      JsonObject verdicts = new JsonObject()
          .put("input", SpanVerdict.toJson(decision.verdict()))
          .put("thinking", report == null ? null : SpanVerdict.toJson(report.thinking()))
          .put("answer", report == null ? null : SpanVerdict.toJson(report.answer()));
      long guardMs = decision.verdict().guardMs() + (report == null ? 0
          : report.thinking().guardMs() + report.answer().guardMs());
      return ShadowTrial.shadowField(trialResults).compose(trialsJson -> {
        AuditRecord replayed = new AuditRecord(record.id(), record.ts(), record.tenant(),
            policy.name(), record.model(), record.mode(), record.group(), record.sample(),
            record.params(), record.prompt(), record.thinking(), record.answer(), verdicts, action,
            shadowAction, record.finishReason(), record.usage(),
            new JsonObject().put("guard_ms", guardMs), trialsJson);
        // SafeChain's whole-response verdict, as the live recorder adds it
        return SafeChainVerdict.judged(replayed, replayed.prompt(),
            screening.anyEnabled() ? guards.apply(screening.guard()) : null);
      }).map(r -> {
        JsonObject json = r.toJson().put("replay", new JsonObject()
            .put("of_policy", original.getString("policy"))
            .put("of_action", original.getString("action"))
            .put("steps", new JsonArray(screen == null ? List.of()
                : screen.steps().stream().map(StreamScreen.Step::toJson).toList())));
        return (Result) new Replayed(json, action);
      });
    }

    /** Where the replayed client stream goes: only its end matters. */
    private final class Collector implements ChunkSink {
      @Override
      public void onChunk(JsonObject chunk) {}

      @Override
      public void onEnd() {
        streamDone.tryComplete();
      }

      @Override
      public void onError(OpenAiException error) {
        streamDone.tryComplete();
      }
    }
  }
}
