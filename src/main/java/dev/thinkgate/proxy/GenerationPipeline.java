package dev.thinkgate.proxy;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.reasoning.OutputSpan;
import dev.thinkgate.reasoning.UpstreamRequest;
import dev.thinkgate.stream.DeltaScan;
import dev.thinkgate.stream.RawEventKind;
import dev.thinkgate.stream.SpanSplitter;
import dev.thinkgate.stream.SseParser;
import dev.thinkgate.guard.Guard;
import dev.thinkgate.policy.ReasoningMode;
import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.reasoning.GenerationRequest;
import dev.thinkgate.reasoning.ReasoningRunners;
import dev.thinkgate.reasoning.RunResult;
import dev.thinkgate.screening.InputDecision;
import dev.thinkgate.screening.InputScreen;
import dev.thinkgate.screening.ScreenListener;
import dev.thinkgate.screening.ScreenReport;
import dev.thinkgate.screening.SpanVerdict;
import dev.thinkgate.screening.StreamScreen;
import dev.thinkgate.stream.ChunkSink;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * One generation, from the input screen to the last byte: reasoning run → text tap → stream
 * screen → client channel. Handles screening restarts (ZeroThink), blocks, client disconnects
 * and the request-level timeout; reports once, when both the run and the channel are done.
 * Event-loop confined.
 */
final class GenerationPipeline {
  /** Where the pipeline is; moves forward only. */
  enum Phase { CREATED, SCREENING_INPUT, GENERATING, FINISHED }

  /**
   * What happened, for the log line, metrics, audit and the non-stream extension.
   *
   * @param shadow the shadow trials' results (resolves to null without any)
   * @param responseVerdict SafeChain's whole-response verdict of exactly {@code thinking} and
   *     {@code answer}, asked for with the stream's last guard call ({@link
   *     StreamScreen#alsoJudgeAtEnd}); null when it was not, and the recorder asks itself
   * @param recordDrawn whether the audit's {@code sample_rate} drew this request for a record,
   *     drawn while generating; null when not drawn yet (the recorder draws)
   */
  record Outcome(
      RequestContext ctx, String mode, int status, String action, String shadowAction,
      boolean restarted, SpanVerdict input, ScreenReport screen, RunResult run, String thinking,
      String answer, String finishReason, long totalMs, long upstreamMs, long guardMs,
      long ttftMs, int upstreamCalls, io.vertx.core.Future<JsonArray> shadow,
      io.vertx.core.Future<JsonObject> responseVerdict, Boolean recordDrawn) {}

  /** The whole-response verdict a screen was asked for at its end, and what it judges. */
  private record EndVerdictAsked(StreamScreen screen, String mode, String thinking, String answer) {}

  private final RequestContext ctx;
  private final PipelineServices services;
  private final ClientChannel channel;
  /** The channel as every attempt writes to it: one stream identity across a restart. */
  private final StableIdentity clientStream;
  private final HttpStreamer streamer;
  private final boolean forceShadow;
  private final Consumer<Outcome> onFinished;
  private Phase phase = Phase.CREATED;
  private ReasoningMode mode;
  private int attempt;
  private TextTap tap;
  /** What the last attempt's screen was asked to judge whole at its end; null when nothing. */
  private EndVerdictAsked endAsked;
  /** Whether the audit records this request, drawn once when first needed; null before. */
  private Boolean recordDrawn;
  private StreamScreen screen;
  private InputScreen inputScreen;
  private SpanVerdict inputVerdict = SpanVerdict.NOT_SCREENED;
  private String inputAction;
  private String inputShadowAction;
  private boolean restarted;
  private RunResult runResult;
  private boolean runDone;
  private boolean channelDone;
  private long timeoutTimer = -1;
  private long ttftNanos = -1;
  /** Live trials of the policy's shadow_policies: fed a copy of the first attempt's stream. */
  private ShadowTrials.Running trials = ShadowTrials.Running.NONE;
  private boolean trialStreamEnded;

  /**
   * @param forceShadow screen every enabled span in shadow release (background samples: record,
   *     never alter)
   */
  GenerationPipeline(RequestContext ctx, PipelineServices services, ClientChannel channel,
      HttpStreamer streamer, boolean forceShadow, Consumer<Outcome> onFinished) {
    this.ctx = ctx;
    this.services = services;
    this.channel = channel;
    this.clientStream = new StableIdentity(channel);
    this.streamer = streamer;
    this.forceShadow = forceShadow;
    this.onFinished = onFinished;
    this.mode = ctx.mode();
  }

  ReasoningMode mode() {
    return mode;
  }

  void start() {
    long requestTimeoutMs = services.requestTimeoutMs().getAsLong();
    if (requestTimeoutMs > 0) {
      timeoutTimer = services.vertx().setTimer(requestTimeoutMs, id -> {
        timeoutTimer = -1;
        abort(OpenAiException.timeout("The request did not complete within "
            + requestTimeoutMs + " ms"));
      });
    }
    if (!forceShadow && services.trials() != null && !ctx.policy().shadowPolicies().isEmpty()) {
      trials = services.trials().start(ctx.policy(), ctx.userPrompt(), services.vertx(),
          services.clockMillis());
    }
    ScreeningPolicy screening = screening();
    if (screening.input().enabled()) {
      Guard guard = guard(screening);
      if (guard == null) {
        abort(guardNotConfigured(screening));
        return;
      }
      phase = Phase.SCREENING_INPUT;
      inputScreen = new InputScreen();
      inputScreen.screen(screening, guard, ctx.userPrompt()).onComplete(this::onInputScreened);
    } else {
      generate(mode);
    }
  }

  private void onInputScreened(AsyncResult<InputDecision> ar) {
    if (phase == Phase.FINISHED) {
      return;
    }
    if (ar.failed()) {
      abort(Errors.from(ar.cause()));
      return;
    }
    InputDecision decision = ar.result();
    inputVerdict = decision.verdict();
    if (decision.unsafe()) {
      switch (forceShadow ? ScreeningPolicy.InputAction.LOG_ONLY : screening().input().action()) {
        case REFUSE -> {
          inputAction = "refuse";
          refuse(decision.verdict().categories());
          return;
        }
        case CONDITIONAL -> {
          ReasoningMode conditional = ctx.policy().reasoning().onUnsafeInput();
          mode = conditional == null ? ReasoningMode.ZEROTHINK : conditional;
          inputAction = "conditional:" + mode.wire();
        }
        // log_only acts on nothing: enforcing it would pass (the one meaning of shadow_action).
        case LOG_ONLY -> inputShadowAction = null;
      }
    }
    generate(mode);
  }

  private void generate(ReasoningMode runMode) {
    phase = Phase.GENERATING;
    int thisAttempt = ++attempt;
    boolean raw = rawRelayApplies(runMode);
    if (channel instanceof SseChannel && !forceShadow) {
      services.metrics().relayPath(raw);
    }
    if (raw) {
      relayRaw(thisAttempt);
      return;
    }
    ChunkSink runSink = screened(thisAttempt,
        restarted ? new RestartMarker(clientStream) : clientStream);
    if (runSink == null) {
      return;
    }
    if (thisAttempt == 1 && !trials.trials().isEmpty()) {
      runSink = new TrialTee(runSink);
    }
    tap = new TextTap(runSink);
    // A policy's morethink.seed makes the continuation choice reproducible per request.
    Long seed = ctx.policy().reasoning().morethink().seed();
    java.util.random.RandomGenerator random = runMode == ReasoningMode.MORETHINK && seed != null
        ? new java.util.Random(seed) : services.random();
    // a passthrough sends no prefill: it keeps the chat path (tools, server-side templating);
    // only prefills follow the route's probed decision
    GenerationRequest request = new GenerationRequest(ctx.body(), ctx.path(), ctx.upstreamModel(),
        runMode == ReasoningMode.PASSTHROUGH ? ctx.route().config()
            : runMode == ReasoningMode.MORETHINK ? ctx.route().rawTextConfig()
            : ctx.route().effectiveConfig(),
        runMode, ctx.policy().reasoning(), random);
    Future<RunResult> run;
    try {
      run = ReasoningRunners.forMode(runMode).run(request, streamer, tap);
    } catch (RuntimeException e) {
      run = Future.failedFuture(e);
    }
    run.onComplete(ar -> onRunDone(thisAttempt, ar));
  }

  /**
   * Where an attempt's chunks enter: a new stream screen in front of {@code downstream} when the
   * policy screens a span, else {@code downstream} itself; null when the policy's guard is not
   * configured (the request is aborted).
   */
  private ChunkSink screened(int thisAttempt, ChunkSink downstream) {
    ScreeningPolicy screening = screening();
    if (!screening.thinking().enabled() && !screening.answer().enabled()) {
      return downstream;
    }
    Guard guard = guard(screening);
    if (guard == null) {
      abort(guardNotConfigured(screening));
      return null;
    }
    screen = new StreamScreen(screening, guard, ctx.userPrompt(), downstream, services.vertx(),
        services.clockMillis(), new Listener(thisAttempt));
    if (!services.audit().discardsAll() && (ctx.sample() > 0 || recorded())) {
      // A recorded request (a Safe@K sample always is) gets its whole-response verdict: ask for
      // it with the last checkpoint, in one guard request, and hand it to the recorder
      // (responseVerdict). The sampling is drawn now, not when the record is made, for this.
      String wire = mode.wire();
      StreamScreen asking = screen;
      screen.alsoJudgeAtEnd((thinking, answer) -> {
        if (!dev.thinkgate.audit.SafeChainVerdict.hasText(thinking, answer)) {
          return null;
        }
        endAsked = new EndVerdictAsked(asking, wire, thinking, answer);
        return dev.thinkgate.audit.SafeChainVerdict.request(ctx.userPrompt(), wire, thinking,
            answer);
      });
    }
    return screen;
  }

  /** Whether the audit's {@code sample_rate} draws this request for a record (drawn once). */
  private boolean recorded() {
    if (recordDrawn == null) {
      recordDrawn = dev.thinkgate.audit.AuditSampler.shouldRecord(services.random(),
          ctx.policy().audit());
    }
    return recordDrawn;
  }

  /**
   * The raw relay: a passthrough stream that nothing re-dialects needs no JSON round trip per
   * chunk. Events go to the client as the upstream wrote them; only events that may need
   * rewriting (a {@code reasoning} field, a {@code <} that may start a think tag, usage, an error)
   * are parsed, and after the first {@code <} or {@code reasoning} field the rest of the stream
   * is, so the span splitter sees every chunk it keeps state for. Screening that releases at once
   * (optimistic or shadow, acting by block, hide_reasoning or log_only) and audit sampling ride
   * along: each event's text is read from its bytes ({@link DeltaScan}) for the screen
   * ({@link StreamScreen#observe}) and the record, and an event the screen would change takes the
   * parsed path.
   */
  private boolean rawRelayApplies(ReasoningMode runMode) {
    ScreeningPolicy screening = screening();
    Object n = ctx.body().getValue("n");
    return services.rawRelay().getAsBoolean()
        && runMode == ReasoningMode.PASSTHROUGH
        && channel instanceof SseChannel
        && !ctx.completionsApi()
        && !forceShadow
        && !restarted
        && ctx.route().config().dialect() != GatewayConfig.UpstreamDialect.COMPLETIONS
        && !ctx.route().config().implicitThinkOpen()
        && ctx.policy().clientDialect() == Policy.ClientDialect.REASONING_CONTENT
        && releasedAtOnce(screening.thinking()) && releasedAtOnce(screening.answer())
        && ctx.policy().shadowPolicies().isEmpty()
        && ctx.policy().audit().safeAtK().sampleRate() == 0
        && (n == null || Integer.valueOf(1).equals(n));
  }

  /**
   * A span the raw relay can screen: off, or released at once (optimistic, shadow) with an action
   * that never rewrites text already released (redact) or starts another run (restart).
   */
  private static boolean releasedAtOnce(ScreeningPolicy.SpanScreen span) {
    return !span.enabled()
        || span.release() == ScreeningPolicy.Release.SHADOW
        || span.release() == ScreeningPolicy.Release.OPTIMISTIC
            && span.action() != ScreeningPolicy.SpanAction.REDACT
            && span.action() != ScreeningPolicy.SpanAction.RESTART_ZEROTHINK;
  }

  private void relayRaw(int thisAttempt) {
    SseChannel sse = (SseChannel) channel;
    JsonObject streamOptions = ctx.body().getJsonObject("stream_options");
    boolean wantsUsage = streamOptions != null
        && Boolean.TRUE.equals(streamOptions.getValue("include_usage"));
    ChunkSink parsed = screened(thisAttempt, clientStream);
    if (parsed == null) {
      return;
    }
    if (parsed == screen || ctx.policy().audit().sampleRate() > 0) {
      tap = new TextTap(parsed);
      parsed = tap;
    }
    ChunkSink sink = parsed;
    // The client's body as sent, unless the route renames the model (then re-encoded); the
    // streamer still adds what it needs. Nothing else is rewritten on this path. Not when the
    // input was screened: the guard judged the gateway's parse, so the model gets that parse
    // re-encoded, whatever a JSON parser upstream might read differently in the client's bytes.
    boolean renamed = !ctx.upstreamModel().equals(ctx.clientModel());
    boolean forward = !renamed && inputScreen == null;
    JsonObject body = renamed ? ctx.body().copy().put("model", ctx.upstreamModel()) : ctx.body();
    UpstreamRequest request = new UpstreamRequest(UpstreamRequest.CHAT, body, OutputSpan.AUTO,
        forward ? ctx.bodyBytes() : null);
    RawRelay relay = new RawRelay(sse, sink, tap, screen, wantsUsage);
    streamer.streamRaw(request, relay).onComplete(ar -> {
      if (thisAttempt != attempt || phase == Phase.FINISHED) {
        return;
      }
      if (ar.succeeded()) {
        relay.finish();
        runResult = new RunResult(1, 0, relay.usage(), "");
        sink.onEnd(); // through the screen, its last checkpoints first
      } else if (!(ar.cause() instanceof HttpStreamer.ClientGone) && !streamer.cancelled()
          && !channel.ended()) {
        if (screen != null) {
          screen.cancel();
        }
        channel.onError(Errors.from(ar.cause()));
      }
      runDone = true;
      maybeFinish();
    });
  }

  /**
   * The raw relay's handling of one upstream event: checked for markers on its bytes, forwarded
   * as those bytes when it has none (its text, when screening or the audit record needs it, read
   * from them), parsed (and normalized by the span splitter) when it has.
   */
  private static final class RawRelay implements SseParser.RawDataHandler {
    private final SseChannel sse;
    /** Where parsed events go: the client, or the text tap before the screen. */
    private final ChunkSink parsed;
    /** Null when no one needs the text. */
    private final TextTap tap;
    private final StreamScreen screen;
    private final boolean wantsUsage;
    private final SpanSplitter splitter = new SpanSplitter(OutputSpan.AUTO);
    /** Reads the stream's texts, mostly from the bytes that changed since the last chunk. */
    private final DeltaScan.Memo deltas = new DeltaScan.Memo();
    /** Set by the first event with a rewrite marker: the splitter keeps state from then on. */
    private boolean parseAll;
    private JsonObject usage;

    RawRelay(SseChannel sse, ChunkSink parsed, TextTap tap, StreamScreen screen,
        boolean wantsUsage) {
      this.sse = sse;
      this.parsed = parsed;
      this.tap = tap;
      this.screen = screen;
      this.wantsUsage = wantsUsage;
    }

    @Override
    public void onData(byte[] bytes, int offset, int length) {
      RawEventKind kind = parseAll ? RawEventKind.REWRITE : RawEventKind.of(bytes, offset, length);
      switch (kind) {
        case PLAIN -> {
          if (tap == null) {
            sse.onRawData(bytes, offset, length);
          } else {
            relayWithText(bytes, offset, length);
          }
        }
        case NEEDS_DECODING -> {
          if (tap == null) {
            sse.onRawData(text(bytes, offset, length));
          } else {
            relayParsed(text(bytes, offset, length));
          }
        }
        case USAGE -> relayParsed(text(bytes, offset, length));
        case REWRITE -> {
          parseAll = true;
          relayParsed(text(bytes, offset, length));
        }
      }
    }

    /** A plain event whose text is wanted: read from its bytes, which go on as they are. */
    private void relayWithText(byte[] bytes, int offset, int length) {
      DeltaScan.Delta d = deltas.scan(bytes, offset, length);
      if (d == null || screen != null && !screen.canObserve(d.reasoning(), d.content())) {
        relayParsed(text(bytes, offset, length));
        return;
      }
      tap.observe(d.reasoning(), d.content(), d.finishReason());
      if (screen == null) {
        sse.onRawData(bytes, offset, length);
      } else {
        screen.observe(d.reasoning(), d.content(),
            () -> HttpStreamer.parseEvent(text(bytes, offset, length)),
            () -> sse.onRawData(bytes, offset, length));
      }
    }

    private static String text(byte[] bytes, int offset, int length) {
      return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }

    private void relayParsed(String data) {
      JsonObject chunk = HttpStreamer.parseEvent(data);
      JsonObject chunkUsage = chunk.getJsonObject("usage");
      if (chunkUsage != null) {
        usage = chunkUsage;
        if (!wantsUsage) {
          chunk.remove("usage");
        }
      }
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices == null || choices.isEmpty()) {
        if (wantsUsage && chunkUsage != null) {
          parsed.onChunk(chunk);
        }
        return;
      }
      parsed.onChunk(splitter.normalize(chunk));
    }

    /** The last usage the upstream reported, or null. */
    JsonObject usage() {
      return usage;
    }

    /** The upstream completed: releases what the splitter held back. */
    void finish() {
      JsonObject held = splitter.finish();
      if (held != null) {
        parsed.onChunk(held);
      }
    }
  }

  private void onRunDone(int runAttempt, AsyncResult<RunResult> ar) {
    if (runAttempt != attempt || phase == Phase.FINISHED) {
      return;
    }
    if (ar.succeeded()) {
      runResult = ar.result();
    } else if (!(ar.cause() instanceof HttpStreamer.ClientGone) && !streamer.cancelled()
        && !channel.ended()) {
      // A cancelled streamer fails the run by design (screen block, client gone, abort); who
      // cancelled it answers the client, and may do so right after this returns.
      if (screen != null) {
        screen.cancel();
      }
      channel.onError(Errors.from(ar.cause()));
    }
    runDone = true;
    maybeFinish();
  }

  /** Called by the channel when it ended (normally, with an error, or the client went away). */
  void channelEnded() {
    channelDone = true;
    if (channel.failed()) {
      streamer.cancel();
      if (screen != null) {
        screen.cancel();
      }
    }
    maybeFinish();
  }

  /** The client closed the connection before the end. */
  void clientGone() {
    if (phase == Phase.FINISHED) {
      return;
    }
    if (inputScreen != null) {
      inputScreen.cancel();
    }
    streamer.cancel();
    if (screen != null) {
      screen.cancel();
    }
    runDone = true;
    if (channel instanceof SseChannel s) {
      s.clientGone();
    } else if (channel instanceof CollectingChannel c) {
      c.clientGone();
    }
    maybeFinish();
  }

  /**
   * The gateway is shutting down and this request outlived the drain: the client gets
   * {@code error} (an SSE error event once the stream started, else an error response), the
   * upstream call is cancelled. Call on the request's event loop.
   */
  void endForShutdown(OpenAiException error) {
    abort(error);
  }

  private void abort(OpenAiException error) {
    if (phase == Phase.FINISHED) {
      return;
    }
    runDone = true;
    // The client hears this error, not the cancellation it causes upstream.
    if (!channel.ended()) {
      channel.onError(error);
    }
    if (inputScreen != null) {
      inputScreen.cancel();
    }
    streamer.cancel();
    if (screen != null) {
      screen.cancel();
    }
    maybeFinish();
  }

  private void maybeFinish() {
    if (phase == Phase.FINISHED || !channelDone || !(runDone || channel.failed())) {
      return;
    }
    phase = Phase.FINISHED;
    if (timeoutTimer >= 0) {
      services.vertx().cancelTimer(timeoutTimer);
    }
    for (dev.thinkgate.screening.ShadowTrial t : trials.trials()) {
      if (tap == null) {
        t.noGeneration();
      } else if (!trialStreamEnded) {
        t.abandon();
      }
    }
    ScreenReport report = screen == null ? null : screen.report();
    String action = inputAction != null ? inputAction
        : restarted ? "restart_zerothink"
        : report == null ? "pass" : report.action();
    String shadowAction = inputShadowAction != null ? inputShadowAction
        : report == null ? action : report.shadowAction();
    long guardMs = inputVerdict.guardMs()
        + (report == null ? 0 : report.thinking().guardMs() + report.answer().guardMs());
    long totalMs = (System.nanoTime() - ctx.startNanos()) / 1_000_000;
    long ttftMs = channel instanceof SseChannel s && s.ttfbNanos() >= 0
        ? s.ttfbNanos() / 1_000_000 : totalMs;
    String thinking = tap == null ? "" : tap.thinking();
    String answer = tap == null ? "" : tap.answer();
    onFinished.accept(new Outcome(ctx, mode.wire(), channel.status(), action, shadowAction,
        restarted, inputVerdict, report, runResult, thinking, answer, finishReason(), totalMs,
        streamer.upstreamMillis(), guardMs, ttftMs, streamer.calls(), trials.shadow(),
        endVerdict(thinking, answer), recordDrawn));
  }

  /**
   * The whole-response verdict the screen asked for at the end, when it judged exactly what is
   * recorded ({@code thinking} and {@code answer} in this mode); else null.
   */
  private Future<JsonObject> endVerdict(String thinking, String answer) {
    EndVerdictAsked asked = endAsked;
    if (asked == null || asked.screen() != screen || asked.screen().endVerdict() == null
        || !asked.mode().equals(mode.wire()) || !asked.thinking().equals(thinking)
        || !asked.answer().equals(answer)) {
      return null;
    }
    return asked.screen().endVerdict().map(dev.thinkgate.audit.SafeChainVerdict::json);
  }

  /**
   * The upstream's finish reason; {@code error} when the client's stream ended with an error
   * event (upstream failure, timeout, drain deadline) before the model finished, so the audit
   * record does not look like a generation that stopped without a reason.
   */
  private String finishReason() {
    String upstream = tap == null ? null : tap.finishReason();
    return upstream != null ? upstream : channel.failed() && channel.status() == 200 ? "error"
        : null;
  }

  /** Answers with the refusal without calling the model (input screen, action refuse). */
  private void refuse(List<String> categories) {
    JsonObject thinkgate = new JsonObject().put("action", "block").put("span", "input")
        .put("categories", new JsonArray(categories));
    JsonObject chunk = new JsonObject()
        .put("id", "chatcmpl-" + ctx.requestId())
        .put("object", "chat.completion.chunk")
        .put("created", services.clockMillis().getAsLong() / 1000)
        .put("model", ctx.clientModel())
        .put("choices", new JsonArray().add(new JsonObject()
            .put("index", 0)
            .put("delta", new JsonObject().put("role", "assistant")
                .put("content", screening().refusal()))
            .put("logprobs", null)
            .put("finish_reason", "content_filter")))
        .put("thinkgate", thinkgate);
    runDone = true;
    channel.onChunk(chunk);
    channel.onEnd();
  }

  private ScreeningPolicy screening() {
    ScreeningPolicy s = ctx.policy().screening();
    if (!forceShadow) {
      return s;
    }
    return new ScreeningPolicy(s.guard(), s.input(), shadow(s.thinking()), shadow(s.answer()),
        s.checkpointTokens(), s.windowTokens(), ScreeningPolicy.GuardFailure.FAIL_OPEN,
        s.categories(), s.refusal(), s.keepaliveMs(), s.controversialAs());
  }

  private static ScreeningPolicy.SpanScreen shadow(ScreeningPolicy.SpanScreen span) {
    return span.enabled()
        ? new ScreeningPolicy.SpanScreen(true, ScreeningPolicy.Release.SHADOW, span.action())
        : span;
  }

  private OpenAiException guardNotConfigured(ScreeningPolicy screening) {
    return new OpenAiException(500, "configuration_error", "The policy '"
        + ctx.policy().name() + "' names guard '" + screening.guard()
        + "' which is not configured", null, "guard_not_configured");
  }

  private Guard guard(ScreeningPolicy screening) {
    return services.guards().apply(screening.guard());
  }

  /** Screening callbacks for one attempt; stale attempts are ignored. */
  /**
   * Feeds the trials a copy of each chunk before the served path sees it (the served path may
   * rewrite chunks); a trial that throws loses its stream, never the client's.
   */
  private final class TrialTee implements ChunkSink {
    private final ChunkSink served;

    TrialTee(ChunkSink served) {
      this.served = served;
    }

    @Override
    public void onChunk(JsonObject chunk) {
      for (dev.thinkgate.screening.ShadowTrial t : trials.trials()) {
        try {
          t.onChunk(chunk.copy());
        } catch (RuntimeException e) {
          t.abandon();
        }
      }
      served.onChunk(chunk);
    }

    @Override
    public void onEnd() {
      trialStreamEnded = true;
      for (dev.thinkgate.screening.ShadowTrial t : trials.trials()) {
        try {
          t.onEnd();
        } catch (RuntimeException e) {
          t.abandon();
        }
      }
      served.onEnd();
    }

    @Override
    public void onError(OpenAiException error) {
      for (dev.thinkgate.screening.ShadowTrial t : trials.trials()) {
        t.abandon();
      }
      served.onError(error);
    }

    @Override
    public void onKeepAlive() {
      served.onKeepAlive();
    }
  }

  private final class Listener implements ScreenListener {
    private final int forAttempt;

    Listener(int forAttempt) {
      this.forAttempt = forAttempt;
    }

    @Override
    public void onStop() {
      if (forAttempt == attempt) {
        streamer.cancel();
      }
    }

    @Override
    public void onRestartRequested() {
      if (forAttempt != attempt || phase == Phase.FINISHED) {
        return;
      }
      if (restarted || mode == ReasoningMode.ZEROTHINK) {
        // A ZeroThink answer that is still unsafe: nothing safer to restart into.
        streamer.cancel();
        return;
      }
      restarted = true;
      tap.close();
      // The abandoned call may fail synchronously: make its run stale before abandoning it.
      attempt++;
      streamer.abandonCurrent();
      mode = ReasoningMode.ZEROTHINK;
      generate(ReasoningMode.ZEROTHINK);
    }
  }

  /**
   * Keeps the client's stream one stream across a restart: chunks of a later upstream run get the
   * first run's {@code id} and {@code created}, and do not announce the role a second time.
   */
  private static final class StableIdentity extends ForwardingSink {
    private Object id;
    private Object created;
    private boolean roleSent;

    StableIdentity(ChunkSink next) {
      super(next);
    }

    @Override
    public void onChunk(JsonObject chunk) {
      if (id == null) {
        id = chunk.getValue("id");
        created = chunk.getValue("created");
      } else if (!id.equals(chunk.getValue("id"))) {
        chunk.put("id", id).put("created", created);
        if (roleSent && chunk.getValue("choices") instanceof JsonArray choices) {
          for (Object c : choices) {
            if (c instanceof JsonObject choice
                && choice.getValue("delta") instanceof JsonObject delta) {
              delta.remove("role");
            }
          }
        }
      }
      if (chunk.getValue("choices") instanceof JsonArray choices && !choices.isEmpty()
          && choices.getValue(0) instanceof JsonObject first
          && first.getValue("delta") instanceof JsonObject delta && delta.containsKey("role")) {
        roleSent = true;
      }
      next.onChunk(chunk);
    }
  }

  /** Marks the final chunk of a restarted generation so the client can tell. */
  private static final class RestartMarker extends ForwardingSink {
    RestartMarker(ChunkSink next) {
      super(next);
    }

    @Override
    public void onChunk(JsonObject chunk) {
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices != null && !choices.isEmpty()
          && choices.getJsonObject(0).getString("finish_reason") != null) {
        JsonObject tg = chunk.getJsonObject("thinkgate");
        chunk.put("thinkgate", (tg == null ? new JsonObject() : tg).put("restarted", "zerothink"));
      }
      next.onChunk(chunk);
    }
  }
}
