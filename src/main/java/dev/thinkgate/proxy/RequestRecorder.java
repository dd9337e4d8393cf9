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
import java.time.Instant;
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

  RequestRecorder(AuditSink sink, RandomGenerator random, MeterRegistry registry,
      int maxSafeAtKConcurrency, LongSupplier clockMillis,
      Function<RequestContext, Future<GenerationPipeline.Outcome>> background) {
    this.sink = sink;
    this.sampler = new AuditSampler(random);
    this.clockMillis = clockMillis;
    this.background = background;
    this.safeAtK = new SafeAtKSampler(this::generate, sink, Math.max(1, maxSafeAtKConcurrency),
        registry, random);
  }

  AuditSink sink() {
    return sink;
  }

  /** Records the client's own sample and, when drawn, schedules its K−1 shadow samples. */
  void record(GenerationPipeline.Outcome outcome) {
    RequestContext ctx = outcome.ctx();
    AuditPolicy audit = ctx.policy().audit();
    boolean clientServed = outcome.status() == 200;
    boolean kSampled = false;
    if (clientServed && ctx.sample() == 0 && audit.safeAtK().sampleRate() > 0) {
      groups.put(ctx.group(), new PendingGroup(ctx, new AtomicInteger(audit.safeAtK().k() - 1)));
      kSampled = safeAtK.maybeSample(audit.safeAtK(), ctx.group(), ctx.body(),
          new SampleContext(ctx.tenant().name(), ctx.policy().name(), ctx.clientModel(),
              outcome.mode()));
      if (!kSampled) {
        groups.remove(ctx.group());
      }
    }
    // A group's first sample is always kept when its siblings are, or the group would be short.
    if (kSampled || sampler.shouldRecord(audit)) {
      // Trials may still await their last guard verdicts; the client is never held for them.
      outcome.shadow().onComplete(ar -> sink.offer(toRecord(outcome, ar.succeeded() ? ar.result() : null)));
    }
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
        c.policy(), c.route(), c.path(), body.put("stream", true), false, c.clientModel(),
        c.userPrompt(), mode, group, sample, System.nanoTime());
    return background.apply(sampleCtx).map(this::toRecord);
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
        Instant.ofEpochMilli(clockMillis.getAsLong()).toString(),
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
