package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.guard.Guard;
import dev.thinkgate.guard.GuardRequest;
import dev.thinkgate.guard.GuardVerdict;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.policy.ScreeningPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-policy concurrency budget of live trials, and the metric of skipped trials. */
class ShadowTrialsTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** A guard whose calls never complete: trials stay in flight. */
  private static final class Silent implements Guard {
    @Override
    public String name() {
      return "silent";
    }

    @Override
    public Future<GuardVerdict> judge(GuardRequest request) {
      return Promise.<GuardVerdict>promise().future();
    }

    @Override
    public void cancel(Future<GuardVerdict> call) {}
  }

  @Test
  void overBudgetTrialsAreSkippedAndCountedAndTheBudgetFreesWhenATrialEnds() {
    // Given a served policy trialing "strict" with a budget of one trial in flight
    ScreeningPolicy screening = new ScreeningPolicy("default", null,
        new ScreeningPolicy.SpanScreen(true, ScreeningPolicy.Release.HOLD,
            ScreeningPolicy.SpanAction.BLOCK), null, 4, 16, null, List.of(), null, 0, null);
    Policy strict = new Policy("strict", null, null, null, screening, null);
    Policy served = new Policy("served", null, null, null, null, null, List.of("strict"), 1);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ShadowTrials trials = new ShadowTrials(Map.of("strict", strict)::get, name -> new Silent(),
        registry);

    // When two requests start while the first trial is still running
    ShadowTrials.Running first = trials.start(served, "q", vertx, () -> 0L);
    ShadowTrials.Running second = trials.start(served, "q", vertx, () -> 0L);

    // Then the second is skipped, counted, and recorded as skipped
    assertThat(first.trials()).hasSize(1);
    assertThat(second.trials()).isEmpty();
    assertThat(registry.get("thinkgate_shadow_trials_skipped_total").tag("policy", "strict")
        .tag("reason", "over_budget").counter().count()).isEqualTo(1.0);
    JsonArray skipped = second.shadow().await();
    assertThat(skipped.getJsonObject(0).getString("action")).isEqualTo("skipped");
    assertThat(trials.inFlight("strict")).isEqualTo(1);

    // And when the first trial ends (its served stream stopped), the budget is free again
    first.trials().get(0).abandon();
    assertThat(first.shadow().await().getJsonObject(0).getString("action")).isEqualTo("incomplete");
    assertThat(trials.inFlight("strict")).isZero();
    assertThat(trials.start(served, "q", vertx, () -> 0L).trials()).hasSize(1);
  }
}
