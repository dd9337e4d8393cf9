package dev.thinkgate.proxy;

import dev.thinkgate.guard.Guard;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.screening.ShadowTrial;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Starts the live trials of a served policy's {@code shadow_policies}. Guards are the gateway's
 * (verdict-cached) guards, so a trial that asks what the served policy already asked costs no
 * extra guard call. Each trialed policy has a concurrency budget (the serving policy's
 * {@code shadow_concurrency}); over it, the trial is skipped for that request and counted in
 * {@code thinkgate_shadow_trials_skipped_total{policy,reason}}. Thread-safe.
 */
final class ShadowTrials {
  private final Function<String, Policy> policies;
  private final Function<String, Guard> guards;
  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

  ShadowTrials(Function<String, Policy> policies, Function<String, Guard> guards,
      MeterRegistry registry) {
    this.policies = policies;
    this.guards = guards;
    this.registry = registry;
  }

  /** One request's trials; empty when the served policy trials nothing. */
  Running start(Policy served, String userPrompt, Vertx vertx, LongSupplier clockMillis) {
    List<ShadowTrial> running = new ArrayList<>();
    List<Future<ShadowTrial.Result>> results = new ArrayList<>();
    for (String name : served.shadowPolicies()) {
      Policy p = policies.apply(name);
      Guard guard = p == null ? null : guards.apply(p.screening().guard());
      if (p == null || (p.screening().anyEnabled() && guard == null)) {
        results.add(Future.succeededFuture(skip(name, "not_configured")));
        continue;
      }
      AtomicInteger count = inFlight.computeIfAbsent(name, k -> new AtomicInteger());
      if (count.incrementAndGet() > served.shadowConcurrency()) {
        count.decrementAndGet();
        results.add(Future.succeededFuture(skip(name, "over_budget")));
        continue;
      }
      ShadowTrial trial;
      try {
        trial = new ShadowTrial(name, p.screening(), guard, userPrompt, vertx, clockMillis);
      } catch (RuntimeException e) {
        count.decrementAndGet();
        results.add(Future.succeededFuture(skip(name, "error")));
        continue;
      }
      running.add(trial);
      results.add(trial.result().onComplete(ar -> count.decrementAndGet()));
    }
    return new Running(running, results);
  }

  int inFlight(String policy) {
    AtomicInteger n = inFlight.get(policy);
    return n == null ? 0 : n.get();
  }

  private ShadowTrial.Result skip(String policy, String reason) {
    Counter.builder("thinkgate_shadow_trials_skipped_total")
        .description("Shadow policy trials not run for a request")
        .tag("policy", policy).tag("reason", reason).register(registry).increment();
    return ShadowTrial.Result.skipped(policy, reason);
  }

  /** The trials of one request, fed the served stream; {@link #shadow()} is the audit field. */
  record Running(List<ShadowTrial> trials, List<Future<ShadowTrial.Result>> results) {
    static final Running NONE = new Running(List.of(), List.of());

    Future<JsonArray> shadow() {
      return ShadowTrial.shadowField(results);
    }
  }
}
