package dev.thinkgate.proxy;

import static dev.thinkgate.proxy.GatewayHarness.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A policy that samples every request for audit, on a gateway with no audit sink: no record is
 * built, so no guard call is spent on its whole-response verdict (SafeChain's
 * {@code verdicts.response}); with a sink, that verdict is judged (asked for with the answer's
 * last checkpoint, in the same request). The emulated guard counts the prompts it judged, read
 * once the gateway's shutdown drain says every request's record was dealt with.
 */
class NoAuditSinkIT {
  private static final String POLICY = """
      screening:
        answer: {release: optimistic, action: block}
        checkpoint_tokens: 1000
      audit:
        sample_rate: 1.0
      """;

  @Test
  void withoutASinkNoRecordIsJudged(@TempDir Path policies) throws Exception {
    Files.writeString(policies.resolve("p.yaml"), POLICY);
    assertThat(guardPrompts(policies, null)).as("the answer's one checkpoint").isEqualTo(1);
    RecordingAuditSink sink = new RecordingAuditSink(10);
    assertThat(guardPrompts(policies, sink)).as("and the record's whole-response verdict")
        .isEqualTo(2);
    assertThat(sink.next().verdicts().getJsonObject("response")).isNotNull();
  }

  private static int guardPrompts(Path policies, RecordingAuditSink sink) throws Exception {
    ModelEmulatorOptions model = ModelEmulatorOptions.builder()
        .scriptOverride(body -> Script.of("Bread needs flour.", "Knead and bake.")).build();
    GatewayHarness harness = new GatewayHarness().model(model).guard(GuardEmulatorOptions.defaults())
        .policies(policies).policy("p");
    if (sink != null) {
      harness.audit(sink);
    }
    try (GatewayHarness h = harness.start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions",
          TestClient.chat(MODEL, "How do I bake bread?"));
      assertThat(s.status()).isEqualTo(200);
      assertThat(s.done()).isTrue();
      // The record (and its verdict) is made after the client is served; the shutdown drain
      // completes once every request's record was offered (or, without a sink, skipped).
      h.gateway.drain(10_000).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return h.guard.promptCount();
    }
  }
}
