package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.ServerProfile;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's gateway findings, each against the template-rendering emulator through a real
 * gateway; each failed on the code before the fix (noted per test).
 */
class PrefillFindingsIT {
  private static final String BOS = "<｜begin▁of▁sentence｜>";
  private static final String Q = "How do I boil an egg?";
  private static final String R1_HEAD = BOS + "<｜User｜>" + Q + "<｜Assistant｜><think>\n";

  private static ModelEmulatorOptions emulator(ServerProfile profile, String template) {
    return ModelEmulatorOptions.builder().serverProfile(profile).template(template)
        .reasoningDialect(profile.defaultDialect()).build();
  }

  private static TestClient.Response zeroThink(GatewayHarness h) throws Exception {
    return h.client.post("/v1/chat/completions", TestClient.chat(GatewayHarness.MODEL, Q).encode());
  }

  @Test
  void finding1_r1OnVllmAutoTakesTheCompletionsPathAndKeepsTheZeroThinkPrefill() throws Exception {
    // before: dialect vllm (the default) sent the prefill as a final assistant message → 400
    try (GatewayHarness h = new GatewayHarness().model(emulator(ServerProfile.VLLM_0_16,
        "deepseek-r1")).dialect(UpstreamDialect.AUTO).chatTemplate(null).policy("zerothink")
        .start()) {
      TestClient.Response r = zeroThink(h);

      assertThat(r.status()).isEqualTo(200);
      assertThat(h.model.prompts()).containsExactly(R1_HEAD + "\n</think>\n\n");
      JsonObject decision = h.gateway.prefillDecisions().getJsonObject("*");
      assertThat(decision.getString("path")).isEqualTo("completions");
      assertThat(decision.getString("template")).isEqualTo("deepseek-r1");
      assertThat(decision.getBoolean("verified")).isTrue();
      assertThat(decision.getString("reason")).contains("refuses (400)");
    }
  }

  @Test
  void finding2_qwen3OnVllmIsDetectedAsRewritingPrefills() throws Exception {
    // before: MoreThink rounds reached Qwen3 as <think>\n\n</think>\n\n<think>\n…
    try (GatewayHarness h = new GatewayHarness().model(emulator(ServerProfile.VLLM_0_11, "qwen3"))
        .dialect(UpstreamDialect.AUTO).chatTemplate(null).policy("morethink").start()) {
      TestClient.Response r = h.client.post("/v1/chat/completions",
          TestClient.chat(GatewayHarness.MODEL, Q).put("max_tokens", 300).encode());

      assertThat(r.status()).isEqualTo(200);
      assertThat(h.gateway.prefillDecisions().getJsonObject("*").getString("reason"))
          .contains("rewrites");
      assertThat(h.model.prompts()).allSatisfy(p -> assertThat(p)
          .doesNotContain("</think>\n\n<think>"));
    }
  }

  @Test
  void finding3_sglangWithR1NeverSeesTheThoughtOpenedTwice() throws Exception {
    // before: SGLang appended "<think>\n…" to a generation prompt ending in "<think>\n"
    try (GatewayHarness h = new GatewayHarness().model(emulator(ServerProfile.SGLANG,
        "deepseek-r1")).dialect(UpstreamDialect.SGLANG).chatTemplate("deepseek-r1")
        .policy("zerothink").start()) {
      assertThat(zeroThink(h).status()).isEqualTo(200);
      assertThat(h.model.prompts()).containsExactly(R1_HEAD + "\n</think>\n\n");
    }
  }

  @Test
  void finding4_moreThinkRoundsOnRawTextKeepTheWholeThoughtWhereVllmHoldsBackStopText()
      throws Exception {
    // before: on the chat path vLLM's hold-back of a pending "</think>" was dropped by the
    // reasoning parser, so the next round continued a truncated thought
    try (GatewayHarness h = new GatewayHarness().model(emulator(ServerProfile.VLLM_0_11,
        "deepseek-r1")).dialect(UpstreamDialect.AUTO).chatTemplate(null).policy("morethink")
        .start()) {
      TestClient.Stream s = h.client.stream("/v1/chat/completions",
          TestClient.chat(GatewayHarness.MODEL, Q).put("max_tokens", 4000).put("stream", true));

      assertThat(s.status()).isEqualTo(200);
      List<String> prompts = h.model.prompts();
      assertThat(prompts).hasSizeGreaterThan(2);
      // every round (and the answer call) continues exactly the thought the client saw so far:
      // nothing held back or dropped between rounds
      String seen = R1_HEAD + s.thinking();
      for (String p : prompts) {
        String thought = p.endsWith("</think>\n\n")
            ? p.substring(0, p.length() - "</think>\n\n".length()) : p;
        assertThat(seen).startsWith(thought);
      }
    }
  }

  @Test
  void finding5_theCompletionsPathSendsBosOnce() throws Exception {
    // before: the rendered R1 prompt held BOS and vLLM's tokenizer added another
    try (GatewayHarness h = new GatewayHarness().model(emulator(ServerProfile.VLLM_0_11,
        "deepseek-r1")).dialect(UpstreamDialect.COMPLETIONS).chatTemplate("deepseek-r1")
        .policy("zerothink").start()) {
      assertThat(zeroThink(h).status()).isEqualTo(200);
      assertThat(h.model.prompts()).singleElement().satisfies(p -> {
        assertThat(p).startsWith(BOS);
        assertThat(p.indexOf(BOS, 1)).isEqualTo(-1);
      });
    }
  }

  @Test
  void finding6_enableThinkingIsNotTrustedOnATemplateWithoutIt() throws Exception {
    // before: ZeroThink on R1 with enable_thinking_kwarg sent a kwarg vLLM drops; R1 thought
    try (GatewayHarness h = new GatewayHarness().model(emulator(ServerProfile.VLLM_0_11,
        "deepseek-r1")).dialect(UpstreamDialect.VLLM).chatTemplate("deepseek-r1")
        .enableThinkingKwarg().policy("zerothink").start()) {
      TestClient.Response r = zeroThink(h);

      // the prefill is sent instead of the kwarg: vLLM refuses it on R1's chat path, visibly
      assertThat(r.status()).isEqualTo(400);
      assertThat(h.model.prompts()).isEmpty();
    }
    try (GatewayHarness h = new GatewayHarness().model(emulator(ServerProfile.VLLM_0_11,
        "qwen3")).dialect(UpstreamDialect.VLLM).chatTemplate("qwen3")
        .enableThinkingKwarg().policy("zerothink").start()) {
      assertThat(zeroThink(h).status()).isEqualTo(200);
      // Qwen3's template reads enable_thinking=false and renders the empty thought itself
      assertThat(h.model.prompts()).containsExactly("<|im_start|>user\n" + Q + "<|im_end|>\n"
          + "<|im_start|>assistant\n<think>\n\n</think>\n\n");
    }
  }

  @Test
  void aReloadProbesTheRoutesAgain() throws Exception {
    try (GatewayHarness h = new GatewayHarness().model(emulator(ServerProfile.VLLM_0_11,
        "deepseek-r1")).dialect(UpstreamDialect.AUTO).chatTemplate(null).policy("zerothink")
        .start()) {
      assertThat(h.gateway.prefillDecisions().getJsonObject("*").getString("template"))
          .isEqualTo("deepseek-r1");
      // the route now points at a Qwen3 server
      dev.thinkgate.emulator.EmulatedModelServer qwen3 = new dev.thinkgate.emulator
          .EmulatedModelServer(h.vertx, emulator(ServerProfile.VLLM_0_16, "qwen3"));
      int port = qwen3.start("127.0.0.1", 0).await();
      var route = new dev.thinkgate.config.GatewayConfig.RouteConfig("*",
          "http://127.0.0.1:" + port, UpstreamDialect.AUTO, null, null, null, false, false,
          null, null);
      var base = new dev.thinkgate.config.GatewayConfig(
          new dev.thinkgate.config.GatewayConfig.ServerConfig("127.0.0.1", 0, 0, null,
              1 << 20, 60_000, false), List.of(route), java.util.Map.of(), List.of(),
          dev.thinkgate.config.GatewayConfig.AuditConfig.NONE, java.util.Map.of());
      var loaded = new dev.thinkgate.config.ConfigLoader(n -> null)
          .withPolicies(base, java.nio.file.Path.of("policies"));

      h.gateway.apply(loaded.config());

      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!"qwen3".equals(h.gateway.prefillDecisions().getJsonObject("*").getString("template"))
          && System.nanoTime() < deadline) {
        Thread.sleep(20); // test thread, not an event loop: waiting for the async probe
      }
      assertThat(h.gateway.prefillDecisions().getJsonObject("*").getString("reason"))
          .isEqualTo("completions path with template qwen3: the chat path rewrites prefills");
      assertThat(zeroThink(h).status()).isEqualTo(200);
      assertThat(qwen3.prompts()).containsExactly("<|im_start|>user\n" + Q + "<|im_end|>\n"
          + "<|im_start|>assistant\n<think>\n\n</think>\n\n");
    }
  }
}
