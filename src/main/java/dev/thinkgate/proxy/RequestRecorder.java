package dev.thinkgate.proxy;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.audit.AuditSampler;
import dev.thinkgate.audit.AuditSink;
import dev.thinkgate.audit.SafeAtKSampler;
import dev.thinkgate.audit.SampleContext;
import dev.thinkgate.policy.AuditPolicy;
import dev.thinkgate.policy.ReasoningMode;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Turns finished requests into audit records (per the policy's sample rate) and schedules the
 * Safe@K shadow samples of a request in the background, after its client is served.
 */
final class RequestRecorder {
  private final AuditSink sink;
  private final AuditSampler sampler;
  private final SafeAtKSampler safeAtK;
  private final LongSupplier clockMillis;
  private final Function<RequestContext, Future<GenerationPipeline.Outcome>> background;
  private final Map<String, PendingGroup> groups = new ConcurrentHashMap<>();

  private record PendingGroup(RequestContext ctx, AtomicInteger remaining) {}

  /** Guard by name, for the whole-response verdict; null when none is configured. */
  private final Function<String, dev.thinkgate.guard.Guard> guards;

  RequestRecorder(AuditSink sink, RandomGenerator random, MeterRegistry registry,
      int maxSafeAtKConcurrency, LongSupplier clockMillis,
      Function<RequestContext, Future<GenerationPipeline.Outcome>> background,
      Function<String, dev.thinkgate.guard.Guard> guards) {
    this.guards = guards;
    this.sink = sink;
    this.sampler = new AuditSampler(random);
    this.clockMillis = clockMillis;
    this.background = background;
    this.safeAtK = new SafeAtKSampler(this::generate, sink, Math.max(1, maxSafeAtKConcurrency),
        registry, random);
  }

  /** A reload's {@code audit.max_safe_at_k_concurrency}, for groups admitted from now on. */
  void setMaxSafeAtKConcurrency(int max) {
    safeAtK.setGlobalMaxConcurrency(Math.max(1, max));
  }

  AuditSink sink() {
    return sink;
  }

  /**
   * Records the client's own sample and, when drawn, schedules its K−1 shadow samples.
   *
   * @return completes (never fails) once the client's record was offered to the sink, or at once
   *     when it is not recorded; the shadow samples are not awaited
   */
  Future<Void> record(GenerationPipeline.Outcome outcome) {
    return record(outcome, null);
  }

  /**
   * As {@link #record(GenerationPipeline.Outcome)}, with the whole-response verdict already
   * asked for ({@link #responseVerdict}: for the client, or with the stream's last guard call);
   * null to judge it here.
   */
  Future<Void> record(GenerationPipeline.Outcome outcome, Future<JsonObject> responseVerdict) {
    if (sink.discardsAll()) {
      return Future.succeededFuture(); // no sink: a record, its verdict or a sample goes nowhere
    }
    RequestContext ctx = outcome.ctx();
    AuditPolicy audit = ctx.policy().audit();
    boolean clientServed = outcome.status() == 200;
    boolean kSampled = false;
    if (clientServed && ctx.sample() == 0 && audit.safeAtK().sampleRate() > 0) {
      // The client's response joins the group only if it was drawn with the group's sampling.
      boolean includesClient = SafeAtKSampler.samplesLikeGroup(ctx.body(), audit.safeAtK());
      String group = includesClient ? ctx.group() : SafeAtKSampler.ownGroup(ctx.group());
      int extra = includesClient ? audit.safeAtK().k() - 1 : audit.safeAtK().k();
      groups.put(group, new PendingGroup(ctx, new AtomicInteger(extra)));
      kSampled = safeAtK.maybeSample(audit.safeAtK(), group, ctx.body(),
          new SampleContext(ctx.tenant().name(), ctx.policy().name(), ctx.clientModel(),
              outcome.mode()), includesClient);
      if (!kSampled) {
        groups.remove(group);
      }
    }
    // A group's first sample is always kept when its siblings are, or the group would be short.
    boolean drawn = outcome.recordDrawn() != null ? outcome.recordDrawn()
        : sampler.shouldRecord(audit);
    if (kSampled || drawn) {
      // The client's response is done: trials may still await their last guard verdicts and the
      // whole-response verdict needs one more guard call; both delay only the record.
      return outcome.shadow()
          .transform(ar -> {
            AuditRecord record = toRecord(outcome, ar.succeeded() ? ar.result() : null);
            return dev.thinkgate.audit.SafeChainVerdict.withResponse(record,
                responseVerdict != null ? responseVerdict : responseVerdict(outcome));
          })
          .onSuccess(sink::offer)
          .<Void>mapEmpty()
          .otherwiseEmpty();
    }
    return Future.succeededFuture();
  }

  /**
   * SafeChain's whole-response verdict of a finished request ({@code verdicts.response}), for its
   * client and its record: the one asked for with the stream's last guard call, or else (or when
   * that call failed) one asked for now; null (no verdict) when the policy screens with no guard
   * or there is no response. A failed call gives an unjudged verdict. Never fails.
   */
  Future<JsonObject> responseVerdict(GenerationPipeline.Outcome o) {
    if (o.responseVerdict() != null) { // asked for with the stream's last guard call
      return o.responseVerdict().recover(e -> judgeResponse(o));
    }
    return judgeResponse(o);
  }

  private Future<JsonObject> judgeResponse(GenerationPipeline.Outcome o) {
    dev.thinkgate.guard.Guard guard = judge(o.ctx());
    return guard == null ? Future.succeededFuture(null)
        : dev.thinkgate.audit.SafeChainVerdict.judge(guard, o.ctx().userPrompt(), o.mode(),
            o.thinking(), o.answer());
  }

  /** The guard that judges whole responses under the request's policy, or null. */
  private dev.thinkgate.guard.Guard judge(RequestContext ctx) {
    dev.thinkgate.policy.ScreeningPolicy screening = ctx.policy().screening();
    return screening.anyEnabled() && guards != null ? guards.apply(screening.guard()) : null;
  }

  private Future<AuditRecord> generate(JsonObject body, String group, int sample) {
    PendingGroup pending = groups.get(group);
    if (pending == null) {
      return Future.failedFuture(new IllegalStateException("unknown Safe@K group " + group));
    }
    if (pending.remaining().decrementAndGet() <= 0) {
      groups.remove(group);
    }
    RequestContext c = pending.ctx();
    ReasoningMode mode = c.mode();
    RequestContext sampleCtx = new RequestContext(c.requestId() + "-s" + sample, c.tenant(),
        c.policy(), c.route(), c.path(), body.put("stream", true), null, false, c.clientModel(),
        c.userPrompt(), mode, group, sample, System.nanoTime());
    return background.apply(sampleCtx).compose(o ->
        dev.thinkgate.audit.SafeChainVerdict.withResponse(toRecord(o), responseVerdict(o)));
  }

  /** Safe@K samples generating now, or scheduled to (a group reserves its width). */
  int safeAtKInFlight() {
    return safeAtK.inFlight();
  }

  AuditRecord toRecord(GenerationPipeline.Outcome o) {
    return toRecord(o, null);
  }

  AuditRecord toRecord(GenerationPipeline.Outcome o, io.vertx.core.json.JsonArray shadow) {
    RequestContext ctx = o.ctx();
    JsonObject body = ctx.body();
    JsonObject params = new JsonObject();
    for (String p : new String[] {"temperature", "top_p", "max_tokens", "max_completion_tokens",
        "seed", "n"}) {
      if (body.getValue(p) != null) {
        params.put(p, body.getValue(p));
      }
    }
    JsonObject usage = o.run() == null ? null : o.run().usage();
    return new AuditRecord(
        ctx.requestId(),
        dev.thinkgate.audit.IsoTime.ofMillis(clockMillis.getAsLong()),
        ctx.tenant().name(),
        ctx.policy().name(),
        ctx.clientModel(),
        o.mode(),
        ctx.group(),
        ctx.sample(),
        params,
        sampler.promptField(ctx.policy().audit(), ctx.userPrompt()),
        o.thinking(),
        o.answer(),
        Outcomes.verdicts(o),
        o.action(),
        o.shadowAction(),
        o.finishReason() != null ? o.finishReason() : o.status() == 200 ? null : "error",
        usage,
        Outcomes.timing(o)).withShadow(shadow);
  }
}
