package dev.thinkgate.audit;

import dev.thinkgate.policy.AuditPolicy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * Safe@K shadow sampling (DESIGN §2): after a client's response is done, with probability
 * {@code safeAtK.sampleRate} generate the K−1 other samples of its group off the client path and
 * offer their records to the audit sink.
 *
 * <p>Bounded and non-blocking: a group runs its samples in {@code w = min(K−1, policy
 * maxConcurrency, global max)} sequential chains, and is admitted only if {@code w} slots are free
 * both in the global budget and in its policy's budget (taken with compare-and-set, never waited
 * for). A group that does not fit is dropped whole and its K−1 samples are counted in
 * {@code thinkgate_safeatk_dropped_total}; nothing is queued. Slots are released as chains end, on
 * success or failure. Thread-safe.
 *
 * <p>Every sample of a group is drawn with the group's {@code temperature}/{@code top_p}. The
 * client's own response is sample 0 of the group only when the client asked for exactly those
 * ({@link #samplesLikeGroup}); otherwise it stays alone in its own group and all K samples are
 * drawn here, numbered 0..K−1, in group {@link #ownGroup}.
 */
public final class SafeAtKSampler {

  private final SampleGenerator generator;
  private final AuditSink sink;
  /** {@code audit.max_safe_at_k_concurrency}; a reload changes it for groups admitted after. */
  private volatile int globalMax;
  private final RandomGenerator random;
  private final AtomicInteger globalInFlight = new AtomicInteger();
  private final ConcurrentHashMap<String, AtomicInteger> policyInFlight = new ConcurrentHashMap<>();
  private final Counter scheduled;
  private final Counter dropped;
  private final Counter failed;

  /**
   * @param globalMaxConcurrency samples generated at once over all policies, at least 1
   *     ({@code audit.maxSafeAtKConcurrency})
   */
  public SafeAtKSampler(SampleGenerator generator, AuditSink sink, int globalMaxConcurrency,
      MeterRegistry registry, RandomGenerator random) {
    if (globalMaxConcurrency < 1) {
      throw new IllegalArgumentException(
          "Safe@K global concurrency must be at least 1, got " + globalMaxConcurrency);
    }
    this.generator = generator;
    this.sink = sink;
    this.globalMax = globalMaxConcurrency;
    this.random = random;
    this.scheduled = Counter.builder("thinkgate.safeatk.scheduled")
        .description("Safe@K shadow samples scheduled").register(registry);
    this.dropped = Counter.builder("thinkgate.safeatk.dropped")
        .description("Safe@K shadow samples dropped because the concurrency budget was spent")
        .register(registry);
    this.failed = Counter.builder("thinkgate.safeatk.failed")
        .description("Safe@K shadow samples whose generation failed").register(registry);
    Gauge.builder("thinkgate.safeatk.in.flight", globalInFlight, AtomicInteger::get)
        .description("Safe@K shadow samples being generated").register(registry);
  }

  /**
   * Called once the client's response (sample 0 of {@code group}) is done. Returns at once.
   *
   * @return true when K−1 extra samples were scheduled; false when not drawn, disabled, or
   *     dropped for lack of budget
   */
  /** Applies a reloaded {@code audit.max_safe_at_k_concurrency}; running groups keep their slots. */
  public void setGlobalMaxConcurrency(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max_safe_at_k_concurrency must be >= 1, was " + max);
    }
    globalMax = max;
  }

  public boolean maybeSample(AuditPolicy.SafeAtK cfg, String group, JsonObject clientBody,
      SampleContext ctx) {
    return maybeSample(cfg, group, clientBody, ctx, true);
  }

  /**
   * True when the client's request sets {@code temperature} and {@code top_p} to the group's
   * values, so the client's response is a sample of the same distribution. A missing value is
   * the server's default, which ThinkGate cannot see, so it does not match.
   */
  public static boolean samplesLikeGroup(JsonObject clientBody, AuditPolicy.SafeAtK cfg) {
    return clientBody.getValue("temperature") instanceof Number t
        && clientBody.getValue("top_p") instanceof Number p
        && t.doubleValue() == cfg.temperature() && p.doubleValue() == cfg.topP();
  }

  /** The group id of K samples drawn without the client's response. */
  public static String ownGroup(String clientGroup) {
    return clientGroup + "-k";
  }

  /**
   * @param includesClient whether the client's response is sample 0 of {@code group} (then K−1
   *     samples numbered 1..K−1 are drawn), else K samples numbered 0..K−1
   */
  public boolean maybeSample(AuditPolicy.SafeAtK cfg, String group, JsonObject clientBody,
      SampleContext ctx, boolean includesClient) {
    if (cfg == null || cfg.k() < 2 || cfg.maxConcurrency() < 1
        || !AuditSampler.chance(random, cfg.sampleRate())) {
      return false;
    }
    int extra = includesClient ? cfg.k() - 1 : cfg.k();
    int first = includesClient ? 1 : 0;
    int globalMax = this.globalMax;
    int width = Math.min(extra, Math.min(cfg.maxConcurrency(), globalMax));
    String policy = ctx.policy() == null ? "" : ctx.policy();
    AtomicInteger policyCount = policyInFlight.computeIfAbsent(policy, p -> new AtomicInteger());
    if (!reserve(globalInFlight, width, globalMax)) {
      dropped.increment(extra);
      return false;
    }
    if (!reserve(policyCount, width, cfg.maxConcurrency())) {
      globalInFlight.addAndGet(-width);
      dropped.increment(extra);
      return false;
    }
    scheduled.increment(extra);
    JsonObject body = clientBody.copy()
        .put("temperature", cfg.temperature())
        .put("top_p", cfg.topP());
    // Chain c generates samples first+c, first+c+width, ... so the samples run w at a time.
    for (int chain = 0; chain < width; chain++) {
      runChain(body, group, first + chain, width, first + extra - 1, ctx).onComplete(done -> {
        globalInFlight.decrementAndGet();
        policyCount.decrementAndGet();
      });
    }
    return true;
  }

  private Future<Void> runChain(JsonObject body, String group, int sample, int step, int last,
      SampleContext ctx) {
    if (sample > last) {
      return Future.succeededFuture();
    }
    Future<AuditRecord> one;
    try {
      one = generator.generate(body.copy(), group, sample, ctx);
    } catch (RuntimeException e) {
      one = Future.failedFuture(e);
    }
    return one
        .map(record -> {
          sink.offer(record);
          return (Void) null;
        })
        .otherwise(e -> {
          failed.increment();
          return null;
        })
        .compose(v -> runChain(body, group, sample + step, step, last, ctx));
  }

  private static boolean reserve(AtomicInteger inFlight, int slots, int max) {
    while (true) {
      int now = inFlight.get();
      if (now + slots > max) {
        return false;
      }
      if (inFlight.compareAndSet(now, now + slots)) {
        return true;
      }
    }
  }

  /** Samples being generated now, over all policies. */
  public int inFlight() {
    return globalInFlight.get();
  }
}
