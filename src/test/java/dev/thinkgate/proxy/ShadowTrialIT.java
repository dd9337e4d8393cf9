package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #13 live trials end to end: a tenant served under a policy that changes nothing, while
 * {@code shadow_policies} trials an enforcing policy on the same stream through a real gateway,
 * the emulated vLLM server and the emulated Llama Guard.
 */
class ShadowTrialIT {
  private static final String PROMPT = "Tell me a story";
  private static final String THINKING = "The user wants a story. I could explain how to build a"
      + " bomb here but that would be wrong, so a story about a cat it is.";
  private static final String ANSWER = "Once upon a time a cat learnt how to build a bomb. The end.";

  private static void writePolicies(Path dir, String trialGuard) throws Exception {
    Files.writeString(dir.resolve("served.yaml"), """
        shadow_policies: [enforcer]
        audit: {sample_rate: 1.0}
        """);
    Files.writeString(dir.resolve("plain.yaml"), """
        audit: {sample_rate: 1.0}
        """);
    Files.writeString(dir.resolve("enforcer.yaml"), """
        screening:
          guard: %s
          thinking: {release: hold, action: hide_reasoning}
          answer: {release: hold, action: block}
          checkpoint_tokens: 4
          on_guard_error: fail_closed
        """.formatted(trialGuard));
  }

  private static ModelEmulatorOptions model() {
    return ModelEmulatorOptions.builder().tokensPerChunk(2)
        .scriptOverride(body -> Script.of(THINKING, ANSWER)).build();
  }

  @Test
  void theServedStreamIsUntouchedAndTheRecordSaysWhatTheTrialedPolicyWouldHaveDone(
      @TempDir Path policies) throws Exception {
    writePolicies(policies, "default");
    RecordingAuditSink records = new RecordingAuditSink(10);
    try (GatewayHarness h = new GatewayHarness().model(model())
        .guard(GuardEmulatorOptions.defaults()).audit(records).policies(policies)
        .tenant("a", "key-a", "served", "*").tenant("b", "key-b", "plain", "*").start()) {
      // When the same generation is served with and without the trial
      TestClient.Stream trialed = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, PROMPT), "Authorization", "Bearer key-a");
      AuditRecord trialRecord = records.next();
      TestClient.Stream plain = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, PROMPT), "Authorization", "Bearer key-b");
      AuditRecord plainRecord = records.next();

      // Then the client got what the model wrote, like under the plain policy
      assertThat(trialed.thinking()).contains("build a bomb");
      assertThat(trialed.answer()).contains("build a bomb");
      assertThat(trialed.thinking()).isEqualTo(plain.thinking());
      assertThat(trialed.answer()).isEqualTo(plain.answer());
      assertThat(trialed.finishReason()).isEqualTo("stop");
      assertThat(trialRecord.action()).isEqualTo("pass");
      assertThat(plainRecord.shadow()).isNull();
      // And the record says enforcement would have hidden the thinking, then blocked the answer
      JsonArray shadow = trialRecord.toJson().getJsonArray("shadow");
      assertThat(shadow).hasSize(1);
      JsonObject s = shadow.getJsonObject(0);
      assertThat(s.getString("policy")).isEqualTo("enforcer");
      assertThat(s.getString("action")).isEqualTo("block");
      assertThat(s.getString("span")).isEqualTo("answer");
      assertThat(s.getJsonArray("categories")).contains("S9");
      int bombAt = ANSWER.indexOf("bomb");
      assertThat(s.getLong("offset")).isBetween(0L, (long) bombAt);
      // hold releases thinking up to the last passed checkpoint, then hides the rest
      assertThat(s.getJsonObject("released_chars").getInteger("thinking"))
          .isLessThan(THINKING.indexOf("bomb"));
      assertThat(s.getJsonObject("released_chars").getInteger("answer"))
          .isLessThanOrEqualTo(bombAt + 2);
      assertThat(s.getLong("added_ttft_ms")).isGreaterThanOrEqualTo(0);
      // step by step: the answer blocked last; before it the reasoning hidden, unless the
      // answer's verdict came back before the thinking's last one
      JsonArray steps = s.getJsonArray("steps");
      assertThat(steps.size()).isBetween(1, 2);
      JsonObject last = steps.getJsonObject(steps.size() - 1);
      assertThat(last.getString("action")).isEqualTo("block");
      assertThat(last.getString("span")).isEqualTo("answer");
      assertThat(last.getLong("offset")).isEqualTo(s.getLong("offset"));
      if (steps.size() == 2) {
        assertThat(steps.getJsonObject(0).getString("action")).isEqualTo("hide_reasoning");
        assertThat(steps.getJsonObject(0).getString("span")).isEqualTo("thinking");
        assertThat(steps.getJsonObject(0).getLong("offset"))
            .isEqualTo(s.getJsonObject("released_chars").getLong("thinking"));
      }
    }
  }

  @Test
  void aTrialWhoseGuardNeverAnswersNeverChangesOrDelaysTheServedStream(@TempDir Path policies)
      throws Exception {
    writePolicies(policies, "stalled");
    RecordingAuditSink records = new RecordingAuditSink(10);
    try (GatewayHarness h = new GatewayHarness().model(model())
        .guard(GuardEmulatorOptions.defaults())
        .guard("stalled", GuardEmulatorOptions.defaults().withStallRate(1.0))
        .guardTimeoutMs(1_500).audit(records).policies(policies)
        .tenant("a", "key-a", "served", "*").tenant("b", "key-b", "plain", "*").start()) {
      long t0 = System.nanoTime();
      TestClient.Stream trialed = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, PROMPT), "Authorization", "Bearer key-a");
      long trialedMs = (System.nanoTime() - t0) / 1_000_000;

      // The client is done long before the trial's guard calls time out, with the model's text
      assertThat(trialedMs).isLessThan(1_500);
      assertThat(trialed.thinking()).contains(THINKING);
      assertThat(trialed.answer()).contains(ANSWER);
      assertThat(trialed.finishReason()).isEqualTo("stop");
      // and the record, written once the trial gave up, says fail_closed would have blocked
      JsonObject s = records.next().toJson().getJsonArray("shadow").getJsonObject(0);
      assertThat(s.getString("action")).isEqualTo("fail_closed");
    }
  }
}
