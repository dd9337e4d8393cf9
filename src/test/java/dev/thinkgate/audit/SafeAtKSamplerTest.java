package dev.thinkgate.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.policy.AuditPolicy.SafeAtK;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SafeAtKSamplerTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<AuditRecord> offered = new ArrayList<>();
  private final AuditSink sink = new AuditSink() {
    @Override
    public synchronized boolean offer(AuditRecord record) {
      offered.add(record);
      return true;
    }

    @Override
    public void close() {}
  };
  private final SampleContext ctx = new SampleContext("acme", "strict", "r1", "lessthink");

  /** Records each call and completes it only when told. */
  private static final class FakeGenerator implements SampleGenerator {
    final List<JsonObject> bodies = new ArrayList<>();
    final List<Integer> samples = new ArrayList<>();
    final List<Promise<AuditRecord>> pending = new ArrayList<>();

    @Override
    public Future<AuditRecord> generate(JsonObject body, String group, int sample) {
      throw new AssertionError("the sampler passes the context");
    }

    @Override
    public Future<AuditRecord> generate(JsonObject body, String group, int sample,
        SampleContext context) {
      bodies.add(body);
      samples.add(sample);
      Promise<AuditRecord> p = Promise.promise();
      pending.add(p);
      return p.future();
    }

    /** Completes every pending sample, including those the completions start. */
    void completeAll() {
      while (!pending.isEmpty()) {
        pending.remove(0).complete(FileAuditSinkTest.record(0));
      }
    }
  }

  private double counter(String name) {
    return registry.get(name).counter().count();
  }

  @Test
  void schedulesKMinusOneSamplesWithOverriddenSamplingThatShareTheGroup() {
    // Given
    FakeGenerator generator = new FakeGenerator();
    SafeAtKSampler sampler =
        new SafeAtKSampler(generator, sink, 8, registry, new SplittableRandom(1));
    JsonObject body = new JsonObject().put("model", "r1").put("temperature", 0.0)
        .put("top_p", 1.0);

    // When
    boolean scheduled = sampler.maybeSample(new SafeAtK(5, 1.0, 0.6, 0.95, 4), "g1", body, ctx);

    // Then 4 run at once (width 4), each with the policy's sampling
    assertThat(scheduled).isTrue();
    assertThat(generator.samples).containsExactly(1, 2, 3, 4);
    assertThat(generator.bodies).allSatisfy(b -> {
      assertThat(b.getDouble("temperature")).isEqualTo(0.6);
      assertThat(b.getDouble("top_p")).isEqualTo(0.95);
    });
    assertThat(body.getDouble("temperature")).as("client body untouched").isEqualTo(0.0);
    assertThat(sampler.inFlight()).isEqualTo(4);

    // When they finish
    generator.completeAll();

    // Then records are offered and the budget is free again
    assertThat(offered).hasSize(4);
    assertThat(sampler.inFlight()).isZero();
    assertThat(counter("thinkgate.safeatk.scheduled")).isEqualTo(4);
  }

  @Test
  void aClientSampledDifferentlyIsLeftOutAndAllKSamplesUseTheGroupsSampling() {
    // Given a client at temperature 0 and a group at 0.6 / 0.95
    FakeGenerator generator = new FakeGenerator();
    SafeAtKSampler sampler =
        new SafeAtKSampler(generator, sink, 8, registry, new SplittableRandom(1));
    SafeAtK cfg = new SafeAtK(3, 1.0, 0.6, 0.95, 4);
    JsonObject greedy = new JsonObject().put("temperature", 0.0).put("top_p", 0.95);

    // When
    boolean matches = SafeAtKSampler.samplesLikeGroup(greedy, cfg);
    sampler.maybeSample(cfg, SafeAtKSampler.ownGroup("g"), greedy, ctx, matches);

    // Then samples 0..K-1 are all drawn here, none at the client's temperature
    assertThat(matches).isFalse();
    assertThat(generator.samples).containsExactly(0, 1, 2);
    assertThat(generator.bodies).allSatisfy(b -> {
      assertThat(b.getDouble("temperature")).isEqualTo(0.6);
      assertThat(b.getDouble("top_p")).isEqualTo(0.95);
    });
    assertThat(SafeAtKSampler.ownGroup("g")).isNotEqualTo("g");
  }

  @Test
  void onlyAClientAskingForTheGroupsExactSamplingIsSampleZero() {
    SafeAtK cfg = new SafeAtK(3, 1.0, 0.6, 0.95, 4);

    assertThat(SafeAtKSampler.samplesLikeGroup(
        new JsonObject().put("temperature", 0.6).put("top_p", 0.95), cfg)).isTrue();
    assertThat(SafeAtKSampler.samplesLikeGroup(
        new JsonObject().put("temperature", 0.6).put("top_p", 1.0), cfg)).isFalse();
    // the server's default is unknown to the gateway, so an unset value does not match
    assertThat(SafeAtKSampler.samplesLikeGroup(new JsonObject().put("temperature", 0.6), cfg)).isFalse();
    assertThat(SafeAtKSampler.samplesLikeGroup(new JsonObject(), cfg)).isFalse();
  }

  @Test
  void aReloadedGlobalBudgetAppliesToGroupsAdmittedAfter() {
    FakeGenerator generator = new FakeGenerator();
    SafeAtKSampler sampler =
        new SafeAtKSampler(generator, sink, 2, registry, new SplittableRandom(1));
    SafeAtK cfg = new SafeAtK(5, 1.0, 0.6, 0.95, 10);

    assertThat(sampler.maybeSample(cfg, "a", new JsonObject(), ctx)).isTrue();
    assertThat(sampler.maybeSample(cfg, "b", new JsonObject(), ctx)).isFalse();

    sampler.setGlobalMaxConcurrency(6);

    assertThat(sampler.maybeSample(cfg, "c", new JsonObject(), ctx)).isTrue();
    assertThat(sampler.inFlight()).isEqualTo(6);
  }

  @Test
  void narrowPolicyRunsSamplesInSequentialChains() {
    // Given a policy allowing 2 at once and K = 5
    FakeGenerator generator = new FakeGenerator();
    SafeAtKSampler sampler =
        new SafeAtKSampler(generator, sink, 8, registry, new SplittableRandom(1));

    // When
    sampler.maybeSample(new SafeAtK(5, 1.0, 0.6, 0.95, 2), "g", new JsonObject(), ctx);

    // Then samples 1, 2 first; 3 and 4 follow as chains finish
    assertThat(generator.samples).containsExactly(1, 2);
    generator.pending.remove(0).complete(FileAuditSinkTest.record(1));
    assertThat(generator.samples).containsExactly(1, 2, 3);
    generator.pending.remove(0).fail(new RuntimeException("upstream down"));
    assertThat(generator.samples).containsExactly(1, 2, 3, 4);
    generator.pending.remove(0).complete(FileAuditSinkTest.record(3));
    generator.pending.remove(0).complete(FileAuditSinkTest.record(4));
    assertThat(offered).hasSize(3);
    assertThat(counter("thinkgate.safeatk.failed")).isEqualTo(1);
    assertThat(sampler.inFlight()).isZero();
  }

  @Test
  void overBudgetDropsTheWholeGroupAndCountsItsSamples() {
    // Given a global budget of 6 and groups needing 4 slots each
    FakeGenerator generator = new FakeGenerator();
    SafeAtKSampler sampler =
        new SafeAtKSampler(generator, sink, 6, registry, new SplittableRandom(1));
    SafeAtK cfg = new SafeAtK(5, 1.0, 0.6, 0.95, 10);

    // When
    boolean first = sampler.maybeSample(cfg, "a", new JsonObject(), ctx);
    boolean second = sampler.maybeSample(cfg, "b", new JsonObject(), ctx);

    // Then the second group is dropped whole, nothing queued
    assertThat(first).isTrue();
    assertThat(second).isFalse();
    assertThat(generator.samples).hasSize(4);
    assertThat(counter("thinkgate.safeatk.dropped")).isEqualTo(4);

    // And once the first finishes there is room again
    generator.completeAll();
    assertThat(sampler.maybeSample(cfg, "c", new JsonObject(), ctx)).isTrue();
  }

  @Test
  void perPolicyBudgetIsSeparateFromOtherPolicies() {
    FakeGenerator generator = new FakeGenerator();
    SafeAtKSampler sampler =
        new SafeAtKSampler(generator, sink, 100, registry, new SplittableRandom(1));
    SafeAtK cfg = new SafeAtK(3, 1.0, 0.6, 0.95, 2);

    boolean a1 = sampler.maybeSample(cfg, "a1", new JsonObject(), ctx);
    boolean a2 = sampler.maybeSample(cfg, "a2", new JsonObject(), ctx);
    boolean b1 = sampler.maybeSample(cfg, "b1", new JsonObject(),
        new SampleContext("acme", "other", "r1", "zerothink"));

    assertThat(List.of(a1, a2, b1)).containsExactly(true, false, true);
  }

  @Test
  void sampleRateDrawsFromTheSeededGenerator() {
    // Given rate 0.3 over 10,000 requests whose samples complete at once
    SampleGenerator instant = (body, group, sample) ->
        Future.succeededFuture(FileAuditSinkTest.record(sample));
    SafeAtKSampler sampler =
        new SafeAtKSampler(instant, sink, 8, registry, new SplittableRandom(42));
    SafeAtK cfg = new SafeAtK(2, 0.3, 0.6, 0.95, 4);

    // When
    int scheduled = 0;
    for (int i = 0; i < 10_000; i++) {
      scheduled += sampler.maybeSample(cfg, "g" + i, new JsonObject(), ctx) ? 1 : 0;
    }

    // Then about 30%, and disabled configs never sample
    assertThat(scheduled).isBetween(2_800, 3_200);
    assertThat(sampler.maybeSample(SafeAtK.DISABLED, "x", new JsonObject(), ctx)).isFalse();
    assertThat(sampler.maybeSample(new SafeAtK(1, 1.0, 0.6, 0.95, 4), "x", new JsonObject(), ctx))
        .isFalse();
  }
}
