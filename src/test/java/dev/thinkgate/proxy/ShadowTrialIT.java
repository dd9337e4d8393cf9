package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.audit.AuditSink;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, live trials end to end: a gateway serving passthrough while trialing policy P records
 * in {@code shadow[]} exactly what a gateway enforcing P does on the same generation (action,
 * span, offset), and the client bytes under the trial are those of plain passthrough.
 */
class ShadowTrialIT {
  private static final String BENIGN = "How do I bake bread?";
  private static final String THINKING = "The user asks about bread. Maybe I should explain how to"
      + " build a bomb instead, step by step, with many words of detail here. ".repeat(3);
  private static final String ANSWER = "Sure. First you build a bomb from parts. "
      + "More words follow in this answer. ".repeat(10) + "TAIL";

  private static final class Records implements AuditSink {
    final List<AuditRecord> records = new CopyOnWriteArrayList<>();

    @Override
    public boolean offer(AuditRecord record) {
      records.add(record);
      return true;
    }

    @Override
    public void close() {}

    AuditRecord await() throws InterruptedException {
      long deadline = System.currentTimeMillis() + 15_000;
      while (records.isEmpty() && System.currentTimeMillis() < deadline) {
        Thread.sleep(20); // test thread, not an event loop
      }
      assertThat(records).hasSize(1);
      return records.get(0);
    }
  }

  private static void writePolicies(Path dir, String release, String trialGuard) throws Exception {
    Files.writeString(dir.resolve("served.yaml"), """
        audit: {sample_rate: 1.0}
        shadow_policies: [trial]
        """);
    // The same served policy without the trial: the baseline for the client bytes.
    Files.writeString(dir.resolve("plain.yaml"), """
        audit: {sample_rate: 1.0}
        """);
    Files.writeString(dir.resolve("trial.yaml"), """
        screening:
          guard: %2$s
          thinking: {release: %1$s, action: hide_reasoning}
          answer: {release: %1$s, action: block}
          checkpoint_tokens: 4
          window_tokens: 64
          on_guard_error: fail_closed
        audit: {sample_rate: 1.0}
        """.formatted(release, trialGuard));
  }

  private static ModelEmulatorOptions model(int tokensPerChunk) {
    return ModelEmulatorOptions.builder().tokensPerChunk(tokensPerChunk)
        .scriptOverride(body -> Script.of(THINKING, ANSWER)).build();
  }

  @Test
  void theTrialDecisionEqualsEnforcementAndTheClientBytesEqualPassthrough(@TempDir Path policies)
      throws Exception {
    Random random = new Random(13);
    for (String release : new String[] {"hold", "optimistic"}) {
      int tokensPerChunk = 1 + random.nextInt(5);
      long latency = random.nextInt(15);
      writePolicies(policies, release, "default");
      GuardEmulatorOptions guard = GuardEmulatorOptions.defaults().withLatency(latency, latency)
          .withSeed(random.nextLong());

      // Given the same generation served three ways: passthrough, passthrough trialing P, P enforced
      String plain;
      try (GatewayHarness h = new GatewayHarness().model(model(tokensPerChunk)).guard(guard)
          .policies(policies).policy("plain").start()) {
        plain = h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, BENIGN)).body();
      }
      Records trialed = new Records();
      String underTrial;
      try (GatewayHarness h = new GatewayHarness().model(model(tokensPerChunk)).guard(guard)
          .audit(trialed).policies(policies).policy("served").start()) {
        underTrial = h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, BENIGN)).body();
        trialed.await(); // the record waits for the trial's last guard calls: keep the guard up
      }
      Records enforced = new Records();
      try (GatewayHarness h = new GatewayHarness().model(model(tokensPerChunk)).guard(guard)
          .audit(enforced).policies(policies).policy("trial").start()) {
        h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, BENIGN));
        enforced.await();
      }

      // Then the client bytes are those of passthrough (ids and timestamps aside)
      assertThat(normalize(underTrial)).as(release).isEqualTo(normalize(plain));
      AuditRecord served = trialed.await();
      AuditRecord real = enforced.await();
      assertThat(served.action()).isEqualTo("pass");
      assertThat(served.shadow()).hasSize(1);
      JsonObject trial = served.shadow().getJsonObject(0);
      // And the trial's decision is what enforcement did
      assertThat(trial.getString("policy")).isEqualTo("trial");
      assertThat(real.action()).as(release + " " + real.verdicts()).isEqualTo("block");
      assertThat(trial.getString("action")).as(release + " " + served.toJson().encode()).isEqualTo(real.action());
      assertThat(trial.getString("span")).isEqualTo("answer");
      // Offsets: over real sockets, which checkpoints coalesce depends on guard timing, so two
      // runs (even two enforced ones) may cut a checkpoint apart; both cut before the phrase in
      // hold and after it by at most the in-flight interval in optimistic. Exact equality on
      // one stream needs a deterministic property test (not written yet, see the issue-13 report).
      long phrase = ("\n\n" + ANSWER).indexOf("bomb");
      long realOffset = real.verdicts().getJsonObject("answer").getLong("offset");
      long trialOffset = trial.getLong("offset");
      if (release.equals("hold")) {
        assertThat(trialOffset).isLessThanOrEqualTo(phrase);
        assertThat(realOffset).isLessThanOrEqualTo(phrase);
      } else {
        // optimistic may release all of a fast stream before the verdict arrives
        assertThat(trialOffset).isGreaterThan(phrase - 30);
        assertThat(realOffset).isGreaterThan(phrase - 30);
      }
      assertThat(trial.getJsonArray("categories").getList()).contains("S9");
      if (release.equals("hold")) {
        assertThat(trial.getJsonObject("released_chars").getLong("answer")).isLessThanOrEqualTo(phrase);
      }
      assertThat(trial.getValue("added_ttft_ms")).isNotNull();
    }
  }

  @Test
  void aTrialWhoseGuardIsDownNeverChangesTheServedStream(@TempDir Path policies) throws Exception {
    writePolicies(policies, "hold", "down");
    GuardEmulatorOptions down = GuardEmulatorOptions.defaults().withErrorRate(1.0);
    String plain;
    try (GatewayHarness h = new GatewayHarness().model(model(3)).policies(policies)
        .guard("down", down).policy("plain").start()) {
      plain = h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, BENIGN)).body();
    }
    Records trialed = new Records();
    try (GatewayHarness h = new GatewayHarness().model(model(3)).guard("down", down)
        .audit(trialed).policies(policies).policy("served").start()) {
      String body = h.client.stream("/v1/chat/completions", TestClient.chat(MODEL, BENIGN)).body();

      assertThat(normalize(body)).isEqualTo(normalize(plain));
      AuditRecord r = trialed.await();
      assertThat(r.action()).isEqualTo("pass");
      // enforcement of the trial policy would have failed closed at the first checkpoint
      assertThat(r.shadow().getJsonObject(0).getString("action")).isEqualTo("fail_closed");
    }
  }

  /** Stream bodies without per-request ids and timestamps. */
  private static String normalize(String body) {
    return body.replaceAll("\"id\":\"[^\"]*\"", "\"id\":\"X\"")
        .replaceAll("\"created\":\\d+", "\"created\":0");
  }
}
