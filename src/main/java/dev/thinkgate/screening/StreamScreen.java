package dev.thinkgate.screening;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.guard.Guard;
import dev.thinkgate.guard.GuardRequest;
import dev.thinkgate.guard.GuardVerdict;
import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.policy.ScreeningPolicy.GuardFailure;
import dev.thinkgate.policy.ScreeningPolicy.Release;
import dev.thinkgate.policy.ScreeningPolicy.SpanAction;
import dev.thinkgate.policy.ScreeningPolicy.SpanScreen;
import dev.thinkgate.stream.ChunkSink;
import dev.thinkgate.stream.Span;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Screens the thinking and answer spans of one streamed completion while it flows to the client
 * (DESIGN §6). Input and output are normalized {@code chat.completion.chunk} objects.
 *
 * <p><b>Checkpoints.</b> Each screened span is judged every {@code checkpoint_tokens} words and at
 * its end (thinking ends when the first answer text arrives or at stream end). A checkpoint judges
 * {@code [user prompt, span text]} from the window start up to the last complete word; the window
 * keeps its start (so successive guard prompts only grow at the end and share a prefix) until it
 * would exceed {@code window_tokens}, then jumps forward to half a window before the last judged
 * word, so consecutive windows overlap and a phrase split across a checkpoint is judged whole. At
 * most one guard call per span is in flight; checkpoints reached meanwhile coalesce into the next.
 *
 * <p><b>Release.</b> {@code hold}: a span's text is released only once a checkpoint covering it
 * passed, re-chunked into synthetic chunks carrying the first chunk's id/object/created/model;
 * chunks without text (role, finish, usage) keep their place in the order. {@code optimistic}:
 * chunks pass at once; the first unsafe verdict acts (the leak is what arrived during one
 * checkpoint interval plus the calls in flight). {@code shadow}: nothing is altered; the report
 * records what would have happened and the char offset where a hold release would have cut.
 *
 * <p><b>Actions.</b> {@code block}: {@link ScreenListener#onStop()}, one final chunk with the
 * refusal, {@code finish_reason: content_filter} and a {@code thinkgate} object, then
 * {@code onEnd}. {@code hide_reasoning}: thinking is no longer emitted (still screened).
 * {@code redact}: the unreleased text of the offending checkpoint becomes {@code [redacted]} and
 * later windows start after it. {@code restart_zerothink}: while no answer text was released,
 * {@link ScreenListener#onRestartRequested()} and nothing more is emitted (no {@code onEnd}: the
 * proxy starts a ZeroThink run with a fresh screen on the same client stream); otherwise block.
 * A guard failure passes ({@code fail_open}, counted) or blocks with action {@code fail_closed}.
 *
 * <p>Not thread-safe: all calls must arrive on the event-loop context that built the screen;
 * guard results are brought back onto it.
 */
public final class StreamScreen implements ChunkSink {

  static final String REDACTED = "[redacted]";

  private enum Phase { STREAMING, DRAINING, DONE, STOPPED, FAILED, CANCELLED }

  private final ScreeningPolicy policy;
  private final Guard guard;
  private final String userPrompt;
  private final ChunkSink downstream;
  private final Vertx vertx;
  private final Context context;
  private final LongSupplier clockMillis;
  private final ScreenListener listener;
  /** {@link #alsoJudgeAtEnd}'s request, until the call after the end took it; null for none. */
  private java.util.function.BiFunction<String, String, GuardRequest> atEnd;
  /** The verdict {@link #alsoJudgeAtEnd} asked for, once asked; null before or when never. */
  private Future<GuardVerdict> endVerdict;
  private final int checkpointTokens;
  private final int windowTokens;
  private final Track thinking;
  private final Track answer;
  private final boolean passthroughAll;
  /** A span is held until judged (so {@link #observe} never applies). */
  private final boolean anyHolds;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final StringBuilder outText = new StringBuilder();
  private Span outSpan;

  private Phase phase = Phase.STREAMING;
  private JsonObject head;
  private boolean anyEmitted;
  private long lastEmitMs;
  private long keepaliveTimer = -1;
  private String action = "pass";
  private String actionSpan;
  private String shadowAction;
  private String shadowSpan;
  private final List<Step> steps = new ArrayList<>(2);

  /**
   * One action enforcement took, in order: e.g. {@code hide_reasoning} in the thinking, then
   * {@code block} in the answer. A span's repeated redactions are one step (the first offset).
   */
  public record Step(String span, String action, long offset, List<String> categories) {
    public Step {
      categories = categories == null ? List.of() : List.copyOf(categories);
    }

    public JsonObject toJson() {
      return new JsonObject().put("span", span).put("action", action).put("offset", offset)
          .put("categories", new JsonArray(categories));
    }
  }

  public StreamScreen(ScreeningPolicy policy, Guard guard, String userPrompt, ChunkSink downstream,
      Vertx vertx, LongSupplier clockMillis, ScreenListener listener) {
    this.policy = policy;
    this.guard = guard;
    this.userPrompt = userPrompt == null ? "" : userPrompt;
    this.downstream = downstream;
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.clockMillis = clockMillis;
    this.listener = listener == null ? ScreenListener.NONE : listener;
    this.checkpointTokens = Math.max(1, policy.checkpointTokens());
    this.windowTokens = Math.max(2, Math.max(policy.windowTokens(), this.checkpointTokens));
    this.thinking = new Track(Span.THINKING, policy.thinking());
    this.answer = new Track(Span.ANSWER, policy.answer());
    this.passthroughAll = !thinking.enforces() && !answer.enforces();
    this.anyHolds = thinking.holds() || answer.holds();
    this.lastEmitMs = clockMillis.getAsLong();
    if (policy.keepaliveMs() > 0 && anyHolds) {
      long period = Math.max(1, policy.keepaliveMs() / 2);
      keepaliveTimer = vertx.setPeriodic(period, id -> onContext(this::keepAliveTick));
    }
  }

  // ---------------------------------------------------------------- input

  @Override
  public void onChunk(JsonObject chunk) {
    if (phase != Phase.STREAMING) {
      return;
    }
    if (head == null && chunk.getValue("id") != null) {
      // A copy: downstream may rewrite the chunks it is given.
      head = new JsonObject().put("id", chunk.getValue("id")).put("created", chunk.getValue("created"))
          .put("model", chunk.getValue("model")).put("system_fingerprint", chunk.getValue("system_fingerprint"));
    }
    JsonObject delta = delta(chunk);
    String thinkText = text(delta, "reasoning_content");
    String answerText = text(delta, "content");
    int thinkFrom = thinking.text.length();
    int answerFrom = answer.text.length();
    takeText(thinkText, answerText);
    if (passthroughAll) {
      emit(chunk);
      allEmitted();
    } else if (thinkText == null && answerText == null) {
      queue.add(new Pending(null, 0, 0, chunk, null, false));
    } else {
      JsonObject residual = residual(chunk);
      boolean residualFirst = residual != null && delta(residual) != null && delta(residual).containsKey("role");
      if (thinkText != null && answerText != null) {
        // Rare: both spans in one chunk. Split it; the non-text part rides on the side that keeps order.
        queue.add(new Pending(thinking, thinkFrom, thinking.text.length(), null,
            residualFirst ? residual : null, residualFirst));
        queue.add(new Pending(answer, answerFrom, answer.text.length(), null,
            residualFirst ? null : residual, false));
      } else if (thinkText != null) {
        queue.add(new Pending(thinking, thinkFrom, thinking.text.length(), chunk, residual, residualFirst));
      } else {
        queue.add(new Pending(answer, answerFrom, answer.text.length(), chunk, residual, residualFirst));
      }
    }
    checkpointAndPump();
  }

  /** A chunk's text joins its span (answer text ends the thinking). */
  private void takeText(String thinkText, String answerText) {
    if (answerText != null && !thinking.ended) {
      thinking.ended = true;
    }
    thinking.append(thinkText);
    answer.append(answerText);
  }

  /** Shadow-only screening emits every chunk at once: all text so far is out. */
  private void allEmitted() {
    thinking.emitted = thinking.text.length();
    answer.emitted = answer.text.length();
  }

  private void checkpointAndPump() {
    requestCheckpoint(thinking);
    requestCheckpoint(answer);
    pump();
  }

  /**
   * Whether {@link #observe} may take a chunk carrying this text: a chunk that {@link #onChunk}
   * would emit as it is, at once. True while streaming after the first chunk (which gives the
   * identity), with nothing queued, no span held, and the text's span neither hidden nor redacted;
   * never for a chunk with text of both spans (that one is split).
   */
  public boolean canObserve(String thinkText, String answerText) {
    String think = emptyToNull(thinkText);
    String said = emptyToNull(answerText);
    if (phase != Phase.STREAMING || head == null || !queue.isEmpty()
        || anyHolds || think != null && said != null) {
      return false;
    }
    Track t = think != null ? thinking : said != null ? answer : null;
    return t == null || !t.suppressed && t.redactions.isEmpty();
  }

  /**
   * {@link #onChunk} for a chunk the caller forwards itself (the raw relay: the upstream's bytes,
   * never parsed into a tree). Call only when {@link #canObserve} said so, with that chunk's text.
   * The screen's state moves exactly as {@code onChunk} would move it, and {@code forward} runs
   * exactly where {@code onChunk} would emit the chunk (before or after what a verdict that comes
   * back during the call emits), or never when it would not. When such a verdict hides the chunk's
   * span, {@code chunk} is asked for and what is left of it is emitted as {@code onChunk} would.
   * Nothing of the call outlives it: both callbacks run before this returns, or not at all.
   *
   * @param chunk the chunk as a tree, asked for only in that rare case
   * @param forward sends the chunk on, unchanged
   */
  public void observe(String thinkText, String answerText,
      java.util.function.Supplier<JsonObject> chunk, Runnable forward) {
    String think = emptyToNull(thinkText);
    String said = emptyToNull(answerText);
    Track t = think != null ? thinking : said != null ? answer : null;
    int from = t == null ? 0 : t.text.length();
    boolean thinkingEnds = said != null && !thinking.ended;
    takeText(think, said);
    if (passthroughAll) {
      markEmitted();
      forward.run();
      allEmitted();
    } else if (!thinkingEnds && (t == null || !checkpointComesDue(t))) {
      // No guard call starts here, so nothing can change the screen before this chunk goes: it
      // goes now, as pump would send it (canObserve said nothing is queued, held, hidden or
      // redacted), without a queue entry. Most chunks take this way: one in a checkpoint starts
      // a call.
      markEmitted();
      forward.run();
      if (t != null) {
        t.emitted = Math.max(t.emitted, t.text.length());
      }
      return;
    } else {
      Pending p = new Pending(t, from, t == null ? 0 : t.text.length(), null, null, false);
      p.raw = forward;
      p.parse = chunk;
      queue.add(p);
    }
    // Only a span whose text grew or that just ended can have a checkpoint come due: the other's
    // state moved last in its own verdict, which asked for its next checkpoint then. Asking it
    // again, as onChunk does, would change nothing but touch its (cold) state on every chunk.
    if (thinkingEnds) {
      requestCheckpoint(thinking);
    }
    if (t != null) {
      requestCheckpoint(t);
    }
    pump();
  }

  private void markEmitted() {
    anyEmitted = true;
    if (keepaliveTimer >= 0) { // the time of the last emit matters to the keep-alive only
      lastEmitMs = clockMillis.getAsLong();
    }
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  @Override
  public void onEnd() {
    if (phase != Phase.STREAMING) {
      return;
    }
    if (thinking.riding) {
      // The answer's last call first, while still streaming: the thinking's goes with it.
      answer.ended = true;
      requestCheckpoint(answer);
      if (phase != Phase.STREAMING) {
        return; // a verdict given at once (the verdict cache's) blocked and ended the stream
      }
    }
    phase = Phase.DRAINING;
    thinking.ended = true;
    answer.ended = true;
    checkpointAndPump();
    maybeFinish();
  }

  @Override
  public void onError(OpenAiException error) {
    if (!active()) {
      return;
    }
    phase = Phase.FAILED;
    stopTimers();
    queue.clear();
    downstream.onError(error);
  }

  /** The client went away: cancel pending guard calls, stop timers, emit nothing more. */
  public void cancel() {
    if (active()) {
      phase = Phase.CANCELLED;
    }
    stopTimers();
    queue.clear();
    for (Track t : new Track[] {thinking, answer}) {
      if (t.pending != null) {
        Future<GuardVerdict> pending = t.pending;
        t.pending = null;
        guard.cancel(pending);
      }
    }
  }

  /** The actions enforcement took so far, in order (none for spans released in shadow). */
  public List<Step> steps() {
    return List.copyOf(steps);
  }

  /** What screening saw and did so far ({@code input} is left {@link SpanVerdict#NOT_SCREENED}). */
  public ScreenReport report() {
    boolean shadowStronger = shadowAction != null && strength(shadowAction) > strength(action);
    String span = actionSpan != null && !shadowStronger ? actionSpan : shadowSpan;
    return new ScreenReport(SpanVerdict.NOT_SCREENED, thinking.verdict(), answer.verdict(), action,
        shadowStronger ? shadowAction : action, span);
  }

  // ---------------------------------------------------------------- checkpoints

  private void requestCheckpoint(Track t) {
    if (checkpointComesDue(t)) {
      t.riding = rides(t);
      if (!t.riding) {
        startCall(t);
      }
    }
  }

  /**
   * Whether {@code t}'s due checkpoint waits to go with the answer's next call (one request to the
   * guard for both): true for the thinking's last checkpoint, once the thinking ended while the
   * answer streams, when its verdict can no longer change what the client gets. That holds when
   * the thinking went out as it came (optimistic) and its action only stops thinking that is
   * over ({@code hide_reasoning}), marks text already sent ({@code redact}) or logs, under a
   * policy that fails open; or when it is released in shadow, which never alters anything. The
   * verdict is still judged, recorded and reported before the stream ends, and the wait is at
   * most one answer checkpoint.
   */
  private boolean rides(Track t) {
    if (t != thinking || !t.ended || answer.ended || phase != Phase.STREAMING
        || !answer.screened()) {
      return false;
    }
    if (t.config.release() == Release.SHADOW) {
      return true;
    }
    SpanAction a = t.config.action();
    return t.config.release() == Release.OPTIMISTIC
        && policy.onGuardError() == GuardFailure.FAIL_OPEN
        && (a == SpanAction.HIDE_REASONING || a == SpanAction.REDACT || a == SpanAction.LOG_ONLY);
  }

  /**
   * Marks {@code t}'s checkpoint due once its text reached it; whether a call should start now
   * (due, and none in flight for the span).
   */
  private boolean checkpointComesDue(Track t) {
    if (!t.screened() || !active()) {
      return false;
    }
    boolean due = t.ended ? t.judgedCut < t.text.length()
        : t.tokens.complete(false) >= t.nextCheckpointTok;
    if (due) {
      t.checkpointDue = true;
    }
    return t.checkpointDue && !t.inFlight;
  }

  /**
   * Asks, with the first guard call made once the stream ended, for one more verdict that is not
   * the screen's: a request built from the whole thinking and answer (the audit's whole-response
   * verdict, which the caller then takes from {@link #endVerdict}). The screen does not await
   * it; when no call is made after the end, it is not asked for.
   *
   * @param request the request for the whole thinking and answer; null for none
   */
  public void alsoJudgeAtEnd(java.util.function.BiFunction<String, String, GuardRequest> request) {
    this.atEnd = request;
  }

  /**
   * The verdict {@link #alsoJudgeAtEnd} asked for: null until the call it went with started, and
   * for good when no call followed the end or the request function gave none.
   */
  public Future<GuardVerdict> endVerdict() {
    return endVerdict;
  }

  /** A checkpoint's guard request, the span's state already moved as if it were sent. */
  private record Checkpoint(Track track, int callIndex, int cut, int endTok, GuardRequest request) {}

  /**
   * Starts {@code t}'s checkpoint call; a thinking checkpoint that {@link #rides} on it goes in
   * the same request to the guard, first (it came due first, and its verdict is applied first).
   */
  private void startCall(Track t) {
    Checkpoint mine = checkpoint(t);
    if (mine == null) {
      return;
    }
    Track other = t == thinking ? answer : thinking;
    List<Checkpoint> sent = new ArrayList<>(2);
    if (other.riding && other.checkpointDue && !other.inFlight) {
      Checkpoint riding = checkpoint(other);
      if (riding != null) {
        sent.add(riding);
      }
    }
    sent.add(mine);
    List<GuardRequest> requests = new ArrayList<>(3);
    sent.forEach(c -> requests.add(c.request()));
    if (answer.ended && atEnd != null) { // the answer ends only with the stream
      GuardRequest extra = atEnd.apply(thinking.text.toString(), answer.text.toString());
      atEnd = null;
      if (extra != null) {
        requests.add(extra); // last: nobody here awaits it
      }
    }
    List<Future<GuardVerdict>> calls;
    try {
      calls = requests.size() == 1 ? List.of(guard.judge(requests.get(0)))
          : guard.judgeAll(requests);
    } catch (RuntimeException e) {
      calls = java.util.Collections.nCopies(requests.size(), Future.failedFuture(e));
    }
    for (int i = 0; i < sent.size(); i++) {
      await(sent.get(i), calls.get(i));
    }
    if (calls.size() > sent.size()) {
      endVerdict = calls.get(sent.size());
    }
  }

  /**
   * The checkpoint due on {@code t}, its state moved as sent; null when only whitespace was left
   * to judge (covered by the passed checkpoint before it).
   */
  private Checkpoint checkpoint(Track t) {
    t.riding = false;
    while (true) {
      int complete = t.tokens.complete(t.ended);
      int endTok = complete;
      if (endTok - t.windowStartTok > windowTokens) {
        t.windowStartTok = Math.max(t.windowStartTok, t.judgedEndTok - windowTokens / 2);
        endTok = Math.min(endTok, t.windowStartTok + windowTokens);
      }
      int cut = endTok < complete ? t.tokens.start(endTok) : t.cutAfterComplete();
      t.checkpointDue = endTok < complete;
      if (cut <= t.judgedCut) {
        return null;
      }
      if (isBlank(t.text, t.judgedCut, cut)) {
        // Whitespace cannot change a verdict: covered by the (passed) checkpoint before it.
        t.judgedCut = cut;
        t.judgedEndTok = endTok;
        t.passedCut = Math.max(t.passedCut, cut);
        if (t.checkpointDue) {
          continue;
        }
        return null;
      }
      int startOff = t.windowStartTok == 0 ? 0
          : t.windowStartTok < t.tokens.total() ? t.tokens.start(t.windowStartTok) : t.judgedCut;
      String judged = t.text.substring(Math.min(startOff, cut), cut);
      int callIndex = t.calls++;
      t.inFlight = true;
      t.judgedCut = cut;
      t.judgedEndTok = endTok;
      while (t.nextCheckpointTok <= endTok) {
        t.nextCheckpointTok += checkpointTokens;
      }
      return new Checkpoint(t, callIndex, cut, endTok,
          new GuardRequest(userPrompt, judged, policy.categories()));
    }
  }

  /** Applies {@code call}'s verdict to its checkpoint's span when it comes, on the context. */
  private void await(Checkpoint c, Future<GuardVerdict> call) {
    Track t = c.track();
    t.pending = call;
    call.onComplete(ar -> onContext(() -> {
      if (t.pending == call) {
        t.pending = null;
      }
      onVerdict(t, c.callIndex(), c.cut(), c.endTok(), ar);
    }));
  }

  private void onVerdict(Track t, int callIndex, int cut, int endTok, AsyncResult<GuardVerdict> ar) {
    if (!active()) {
      return;
    }
    t.inFlight = false;
    boolean goOn;
    if (ar.failed()) {
      t.errors++;
      if (policy.onGuardError() == GuardFailure.FAIL_OPEN) {
        t.passedCut = Math.max(t.passedCut, cut);
        goOn = true;
      } else {
        goOn = onUnsafe(t, callIndex, cut, endTok, List.of(), true);
      }
    } else {
      GuardVerdict v = ar.result();
      t.guardMs += v.guardMs();
      if (VerdictRules.unsafe(policy, v)) {
        goOn = onUnsafe(t, callIndex, cut, endTok, v.categories(), false);
      } else {
        t.passes++;
        t.passedCut = Math.max(t.passedCut, cut);
        goOn = true;
      }
    }
    if (goOn) {
      requestCheckpoint(t);
      pump();
      maybeFinish();
    }
  }

  /** Applies the span's action; false when the stream is over for this screen. */
  private boolean onUnsafe(Track t, int callIndex, int cut, int endTok, List<String> categories,
      boolean guardFailed) {
    if (t.firstFlagged < 0) {
      t.firstFlagged = callIndex;
      t.categories = categories;
    }
    if (!guardFailed) {
      t.unsafe = true;
    }
    SpanAction spanAction = guardFailed ? SpanAction.BLOCK : t.config.action();
    String name = guardFailed ? "fail_closed" : spanAction.name().toLowerCase(Locale.ROOT);
    if (t.config.release() == Release.SHADOW) {
      if (spanAction != SpanAction.LOG_ONLY) {
        if (t.offset < 0) {
          t.offset = t.passedCut;
        }
        // hide_reasoning on the answer span is enforced as a block.
        String would = spanAction == SpanAction.HIDE_REASONING && t.span != Span.THINKING
            ? "block" : name;
        if (shadowAction == null || strength(would) > strength(shadowAction)) {
          shadowAction = would;
          shadowSpan = t.span.wire();
        }
      }
      t.passedCut = Math.max(t.passedCut, cut);
      return true;
    }
    switch (spanAction) {
      case LOG_ONLY:
        t.passedCut = Math.max(t.passedCut, cut);
        return true;
      case HIDE_REASONING:
        if (t.span != Span.THINKING) {
          block(t, "block", categories);
          return false;
        }
        if (!t.suppressed) {
          t.suppressed = true;
          t.offset = t.emitted;
          markAction("hide_reasoning", t);
          steps.add(new Step(t.span.wire(), "hide_reasoning", t.offset, categories));
        }
        t.passedCut = Math.max(t.passedCut, cut);
        return true;
      case REDACT:
        int from = Math.max(t.passedCut, t.emitted);
        if (cut > from) {
          t.redactions.add(new int[] {from, cut});
        }
        if (t.offset < 0) {
          t.offset = from;
          steps.add(new Step(t.span.wire(), "redact", t.offset, categories));
        }
        // Later windows start after the redacted text, or every one would judge it again.
        t.windowStartTok = Math.max(t.windowStartTok, endTok);
        t.passedCut = Math.max(t.passedCut, cut);
        markAction("redact", t);
        return true;
      case RESTART_ZEROTHINK:
        if (answer.emitted == 0) {
          phase = Phase.STOPPED;
          t.offset = t.emitted;
          action = "restart_zerothink";
          actionSpan = t.span.wire();
          steps.add(new Step(t.span.wire(), action, t.offset, categories));
          stopTimers();
          queue.clear();
          listener.onRestartRequested();
          return false;
        }
        block(t, "block", categories);
        return false;
      default:
        block(t, name, categories);
        return false;
    }
  }

  /** Orders actions by how much of the response they take away; the strongest is reported. */
  static int strength(String action) {
    return switch (action) {
      case "refuse" -> 6;
      case "block", "fail_closed" -> 5;
      case "restart_zerothink" -> 4;
      case "hide_reasoning" -> 3;
      case "redact" -> 2;
      case "pass" -> 0;
      default -> 1;
    };
  }

  private void markAction(String name, Track t) {
    if (action.equals("pass")) {
      action = name;
      actionSpan = t.span.wire();
    }
  }

  private void block(Track t, String name, List<String> categories) {
    phase = Phase.STOPPED;
    if (t.offset < 0) {
      t.offset = t.emitted;
    }
    action = name;
    actionSpan = t.span.wire();
    steps.add(new Step(t.span.wire(), name, t.offset, categories));
    stopTimers();
    queue.clear();
    listener.onStop();
    JsonObject delta = new JsonObject();
    if (!anyEmitted) {
      delta.put("role", "assistant");
    }
    delta.put("content", policy.refusal());
    JsonObject chunk = base().put("choices", new JsonArray().add(new JsonObject().put("index", 0)
        .put("delta", delta).put("finish_reason", "content_filter")));
    chunk.put("thinkgate", new JsonObject().put("action", name).put("span", t.span.wire())
        .put("categories", new JsonArray(new ArrayList<>(categories))));
    downstream.onChunk(chunk);
    downstream.onEnd();
  }

  private void maybeFinish() {
    if (phase == Phase.DRAINING && queue.isEmpty() && !thinking.busy() && !answer.busy()) {
      phase = Phase.DONE;
      stopTimers();
      downstream.onEnd();
    }
  }

  // ---------------------------------------------------------------- output

  /** Emits, in input order, everything whose text may be released now. */
  private void pump() {
    while (!queue.isEmpty() && active()) {
      Pending p = queue.peek();
      Track t = p.track;
      if (t == null) {
        flushText();
        emitWhole(p);
        queue.poll();
        continue;
      }
      if (t.suppressed) {
        p.materialize();
        p.next = p.to;
      }
      int frontier = Math.min(t.frontier(), p.to);
      if (frontier >= p.to && p.next == p.from && (p.original != null || p.raw != null)
          && !t.holds() && !t.redactedWithin(p.from, p.to)) {
        flushText();
        emitWhole(p);
        t.emitted = Math.max(t.emitted, p.to);
        queue.poll();
        continue;
      }
      p.materialize();
      if (p.residualFirst && p.residual != null && !p.residualSent && (frontier > p.next || p.next >= p.to)) {
        flushText();
        emit(p.residual);
        p.residualSent = true;
      }
      if (frontier > p.next) {
        appendOut(t, p.next, frontier);
        p.next = frontier;
      }
      if (p.next < p.to) {
        break;
      }
      queue.poll();
      if (p.residual != null && !p.residualSent) {
        flushText();
        emit(p.residual);
      }
    }
    flushText();
  }

  private void appendOut(Track t, int from, int to) {
    if (outSpan != t.span) {
      flushText();
      outSpan = t.span;
    }
    int pos = from;
    for (int[] r : t.redactions) {
      if (r[1] <= pos || r[0] >= to) {
        continue;
      }
      if (r[0] > pos) {
        outText.append(t.text, pos, r[0]);
      }
      if (r[0] >= from) {
        outText.append(REDACTED);
      }
      pos = Math.min(to, r[1]);
    }
    if (pos < to) {
      outText.append(t.text, pos, to);
    }
    t.emitted = Math.max(t.emitted, to);
  }

  private void flushText() {
    if (outText.length() == 0) {
      return;
    }
    String field = outSpan == Span.THINKING ? "reasoning_content" : "content";
    JsonObject chunk = base().put("choices", new JsonArray().add(new JsonObject().put("index", 0)
        .put("delta", new JsonObject().put(field, outText.toString())).putNull("finish_reason")));
    outText.setLength(0);
    emit(chunk);
  }

  /** A queued chunk as it came: forwarded by the caller when it was observed, else emitted. */
  private void emitWhole(Pending p) {
    if (p.raw != null) {
      markEmitted();
      p.raw.run();
    } else {
      emit(p.original);
    }
  }

  private void emit(JsonObject chunk) {
    markEmitted();
    downstream.onChunk(chunk);
  }

  private JsonObject base() {
    JsonObject c = new JsonObject();
    if (head != null) {
      c.put("id", head.getValue("id")).put("object", "chat.completion.chunk")
          .put("created", head.getValue("created")).put("model", head.getValue("model"));
      if (head.getValue("system_fingerprint") != null) {
        c.put("system_fingerprint", head.getValue("system_fingerprint"));
      }
    } else {
      c.put("id", "chatcmpl-thinkgate").put("object", "chat.completion.chunk")
          .put("created", clockMillis.getAsLong() / 1000).put("model", "");
    }
    return c;
  }

  // ---------------------------------------------------------------- timers and context

  private void keepAliveTick() {
    if (!active()) {
      return;
    }
    boolean holding = !queue.isEmpty() || phase == Phase.DRAINING;
    long now = clockMillis.getAsLong();
    if (holding && now - lastEmitMs >= policy.keepaliveMs()) {
      lastEmitMs = now;
      downstream.onKeepAlive();
    }
  }

  private void stopTimers() {
    if (keepaliveTimer >= 0) {
      vertx.cancelTimer(keepaliveTimer);
      keepaliveTimer = -1;
    }
  }

  private void onContext(Runnable r) {
    if (Vertx.currentContext() == context) {
      r.run();
    } else {
      context.runOnContext(v -> r.run());
    }
  }

  private boolean active() {
    return phase == Phase.STREAMING || phase == Phase.DRAINING;
  }

  // ---------------------------------------------------------------- chunk helpers

  private static JsonObject delta(JsonObject chunk) {
    JsonArray choices = chunk.getJsonArray("choices");
    if (choices == null || choices.isEmpty() || !(choices.getValue(0) instanceof JsonObject)) {
      return null;
    }
    Object d = choices.getJsonObject(0).getValue("delta");
    return d instanceof JsonObject ? (JsonObject) d : null;
  }

  private static String text(JsonObject delta, String field) {
    if (delta == null) {
      return null;
    }
    Object v = delta.getValue(field);
    return v instanceof String s && !s.isEmpty() ? s : null;
  }

  /** The chunk without its text, or null when nothing else in it matters downstream. */
  private static JsonObject residual(JsonObject chunk) {
    if (!residualMatters(chunk)) {
      return null; // the usual text chunk: decided on the chunk itself, no copy per chunk
    }
    JsonObject copy = chunk.copy();
    JsonArray choices = copy.getJsonArray("choices");
    JsonObject choice = choices.getJsonObject(0);
    JsonObject delta = choice.getJsonObject("delta");
    delta.remove("content");
    delta.remove("reasoning_content");
    choice.remove("logprobs");
    boolean matters = !delta.isEmpty() || choice.getValue("finish_reason") != null
        || copy.getValue("usage") != null || choices.size() > 1;
    return matters ? copy : null;
  }

  /**
   * Whether {@link #residual} keeps something: the chunk's first delta has a field besides the
   * text, or there is a finish reason, usage or another choice. Reads the chunk without changing it.
   */
  private static boolean residualMatters(JsonObject chunk) {
    if (chunk.getValue("usage") != null) {
      return true;
    }
    JsonArray choices = chunk.getJsonArray("choices");
    if (choices.size() > 1) {
      return true;
    }
    JsonObject choice = choices.getJsonObject(0);
    if (choice.getValue("finish_reason") != null) {
      return true;
    }
    JsonObject delta = choice.getJsonObject("delta");
    for (String key : delta.fieldNames()) {
      if (!key.equals("content") && !key.equals("reasoning_content")) {
        return true;
      }
    }
    return false;
  }

  private static boolean isBlank(CharSequence s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (!Character.isWhitespace(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- state

  /** One queued input chunk (or the part of one that belongs to a span). */
  private static final class Pending {
    final Track track;
    final int from;
    final int to;
    JsonObject original;
    JsonObject residual;
    boolean residualFirst;
    int next;
    boolean residualSent;
    /** For an observed chunk: sends it on as it is; {@code original} is then null until parsed. */
    Runnable raw;
    java.util.function.Supplier<JsonObject> parse;

    /** An observed chunk becomes an ordinary one, for the paths that take it apart. */
    void materialize() {
      if (raw != null) {
        original = parse.get();
        residual = StreamScreen.residual(original);
        residualFirst = residual != null && delta(residual) != null
            && delta(residual).containsKey("role");
        raw = null;
        parse = null;
      }
    }

    Pending(Track track, int from, int to, JsonObject original, JsonObject residual, boolean residualFirst) {
      this.track = track;
      this.from = from;
      this.to = to;
      this.original = original;
      this.residual = residual;
      this.residualFirst = residualFirst;
      this.next = from;
    }
  }

  /** Screening state of one span. */
  private final class Track {
    final Span span;
    final SpanScreen config;
    final StringBuilder text = new StringBuilder();
    final TokenCounter tokens = new TokenCounter();
    final List<int[]> redactions = new ArrayList<>();
    /** Its policy's flags, read per chunk without touching the policy. */
    private final boolean screened;
    private final boolean holds;
    private final boolean enforces;
    boolean ended;
    /** Its due checkpoint waits to go with the other span's next call ({@link #rides}). */
    boolean riding;
    int nextCheckpointTok = checkpointTokens;
    int windowStartTok;
    int judgedEndTok;
    int judgedCut;
    int passedCut;
    int emitted;
    boolean inFlight;
    Future<GuardVerdict> pending;
    boolean checkpointDue;
    boolean suppressed;
    boolean unsafe;
    List<String> categories = List.of();
    int firstFlagged = -1;
    long offset = -1;
    int calls;
    int errors;
    int passes;
    long guardMs;

    Track(Span span, SpanScreen config) {
      this.span = span;
      this.config = config;
      this.screened = config.enabled();
      this.holds = config.enabled() && config.release() == Release.HOLD;
      this.enforces = config.enabled() && config.release() != Release.SHADOW;
    }

    boolean screened() {
      return screened;
    }

    boolean holds() {
      return holds;
    }

    boolean enforces() {
      return enforces;
    }

    int frontier() {
      return holds() ? passedCut : Integer.MAX_VALUE;
    }

    boolean busy() {
      return inFlight || checkpointDue;
    }

    void append(String s) {
      if (s != null) {
        text.append(s);
        tokens.scanAppended(s);
      }
    }

    int cutAfterComplete() {
      int complete = tokens.complete(ended);
      return !ended && complete < tokens.total() ? tokens.start(complete) : text.length();
    }

    boolean redactedWithin(int from, int to) {
      for (int[] r : redactions) {
        if (r[0] < to && r[1] > from) {
          return true;
        }
      }
      return false;
    }

    SpanVerdict verdict() {
      if (!screened()) {
        return SpanVerdict.NOT_SCREENED;
      }
      Boolean safe = unsafe ? Boolean.FALSE : passes > 0 ? Boolean.TRUE : null;
      int checkpoint = firstFlagged >= 0 ? firstFlagged : calls - 1;
      return new SpanVerdict(safe, categories, checkpoint, offset, guardMs, calls, errors);
    }
  }
}
