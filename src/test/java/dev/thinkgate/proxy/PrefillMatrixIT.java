package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.ServerProfile;
import dev.thinkgate.reasoning.PrefillRoute;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue #15's matrix: every reasoning mode, streamed and not, through the gateway in front of the
 * template-rendering emulator for each server (vLLM 0.11 / 0.16, SGLang) and template
 * (DeepSeek-R1-Distill, Qwen3, QwQ, rendered from their published text). Per cell it prints the
 * exact prompts the model saw and checks that none holds a dropped or re-wrapped prefill: no 400,
 * one BOS at most, {@code <think>} never twice in a row, never Qwen3's empty-thought marker
 * followed by a new thought. Before {@code dialect: auto}, vLLM × R1 and QwQ answered 400 to every
 * closed prefill and vLLM × Qwen3 re-wrapped MoreThink's rounds (ServerTemplateMatrixIT shows the
 * server side of that); SGLang × R1 and QwQ saw {@code <think>\n<think>\n}.
 */
class PrefillMatrixIT {
  private static final String BOS = "<｜begin▁of▁sentence｜>";
  private static final List<String> MODES = List.of("zerothink", "lessthink", "morethink", "budget");

  static Stream<Arguments> cells() {
    List<Arguments> cells = new ArrayList<>();
    for (String server : List.of("vllm-0.11", "vllm-0.16", "sglang")) {
      for (String template : List.of("deepseek-r1", "qwen3", "qwq")) {
        cells.add(Arguments.of(server, template));
      }
    }
    return cells.stream();
  }

  @ParameterizedTest(name = "{0} × {1}")
  @MethodSource("cells")
  void everyModeReachesTheModelIntact(String server, String template) throws Exception {
    ServerProfile profile = ServerProfile.fromWire(server);
    // SGLang serves no /tokenize: its route says dialect sglang, and the model name names the
    // template; vLLM routes use the default, dialect auto
    String model = switch (template) {
      case "qwen3" -> "Qwen/Qwen3-8B";
      case "qwq" -> "Qwen/QwQ-32B";
      default -> ModelEmulatorOptions.DEFAULT_MODEL;
    };
    GatewayHarness harness = new GatewayHarness()
        .model(ModelEmulatorOptions.builder().serverProfile(profile).template(template)
            .reasoningDialect(profile.defaultDialect()).modelName(model).build())
        .dialect(profile == ServerProfile.SGLANG ? UpstreamDialect.SGLANG : UpstreamDialect.AUTO);
    for (String mode : MODES) {
      harness.tenant(mode, "key-" + mode, mode);
    }
    harness.start();
    try {
      UpstreamRoute route = harness.gateway.runtimeRoutes().get(0);
      PrefillRoute decision = route.probe().toCompletionStage().toCompletableFuture().get();
      System.out.printf("matrix %-9s %-11s route: %s %s (%s)%n", server, template,
          decision.path(), decision.template(), decision.reason());
      assertThat(decision.prefillSafe()).as(decision.reason()).isTrue();
      for (String mode : MODES) {
        for (boolean stream : List.of(false, true)) {
          int before = harness.model.prompts().size();
          JsonObject body = new JsonObject().put("model", model).put("max_tokens", 400)
              .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
                  .put("content", "How do I boil an egg?")));
          int status;
          String answer;
          if (stream) {
            TestClient.Stream s = harness.client.stream("/v1/chat/completions", body,
                "Authorization", "Bearer key-" + mode);
            status = s.status();
            answer = s.answer();
          } else {
            TestClient.Response r = harness.client.post("/v1/chat/completions", body.encode(),
                "Authorization", "Bearer key-" + mode);
            status = r.status();
            answer = status == 200 ? r.json().getJsonArray("choices").getJsonObject(0)
                .getJsonObject("message").getString("content") : r.body();
          }
          List<String> seen = harness.model.prompts().subList(before, harness.model.prompts().size());
          for (String prompt : seen) {
            System.out.printf("matrix %-9s %-11s %-9s stream=%-5s -> %d %s%n", server, template,
                mode, stream, status, prompt.replace("\n", "\\n"));
          }
          String cell = server + " × " + template + " × " + mode + " stream=" + stream;
          assertThat(status).as(cell + ": " + answer).isEqualTo(200);
          assertThat(seen).as(cell).isNotEmpty();
          for (String prompt : seen) {
            assertThat(prompt).as(cell).doesNotContain("<think>\n<think>")
                .doesNotContain("</think>\n\n<think>");
            assertThat(prompt.indexOf(BOS)).as(cell + ": BOS once")
                .isEqualTo(prompt.lastIndexOf(BOS));
          }
          if (!mode.equals("morethink") && !mode.equals("budget")) {
            assertThat(seen.get(0)).as(cell).endsWith("</think>\n\n");
          }
        }
      }
    } finally {
      harness.close();
    }
  }

  @org.junit.jupiter.api.Test
  void withTheOldDefaultDialectVllmTheR1ChatPrefillIsRefusedByTheServer() throws Exception {
    // Given the pre-auto route (dialect vllm) in front of vLLM with DeepSeek-R1-Distill's template
    GatewayHarness harness = new GatewayHarness()
        .model(ModelEmulatorOptions.builder().serverProfile(ServerProfile.VLLM_0_11)
            .template("deepseek-r1").build())
        .dialect(UpstreamDialect.VLLM)
        .tenant("z", "key-z", "zerothink");
    harness.start();
    try {
      // When a ZeroThink request goes through, then vLLM's 400 (issue #15, finding 1) reaches the
      // client: the template kept only the text after </think>
      TestClient.Response r = harness.client.post("/v1/chat/completions", new JsonObject()
          .put("model", ModelEmulatorOptions.DEFAULT_MODEL).put("messages", new JsonArray()
              .add(new JsonObject().put("role", "user").put("content", "Hi"))).encode(),
          "Authorization", "Bearer key-z");
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).contains("final message does not appear");
    } finally {
      harness.close();
    }
  }
}
