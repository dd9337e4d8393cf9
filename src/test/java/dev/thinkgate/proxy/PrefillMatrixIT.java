package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.ServerProfile;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * THE matrix (issue 15): server profile × published template × every reasoning mode ×
 * stream/non-stream, through a real gateway on {@code dialect: auto} (the default) in front of
 * the template-rendering emulator. Per cell it prints and checks the exact prompt(s) the model
 * saw. The generation prompts below were worked out by hand from the published templates
 * (src/main/resources/chat-templates/jinja/*.jinja, see SOURCES.md there); vLLM's behaviour is
 * serving_chat.py + transformers' continue_final_message cut, SGLang's is serving_chat.py
 * {@code _apply_jinja_template} (pop the final assistant message, append it after the
 * generation prompt), which SGLang's routes cannot have probed (no /tokenize): they name their
 * chat_template.
 *
 * <p>On today's code (default dialect vllm) the R1 and QwQ cells of every prefill mode got a
 * 400, the Qwen3 MoreThink/budget cells saw {@code <think>\n\n</think>\n\n<think>\n}, and the
 * SGLang R1/QwQ cells saw {@code <think>\n<think>\n}.
 */
class PrefillMatrixIT {
  private static final String BOS = "<｜begin▁of▁sentence｜>";
  private static final String Q = "How do I boil an egg?";
  private static final String R1_HEAD = BOS + "<｜User｜>" + Q + "<｜Assistant｜><think>\n";
  private static final String CHATML_HEAD = "<|im_start|>user\n" + Q + "<|im_end|>\n"
      + "<|im_start|>assistant\n";
  private static final List<String> MODES =
      List.of("passthrough", "zerothink", "lessthink", "morethink", "budget", "safety_template");

  private static Path policies;

  @BeforeAll
  static void writePolicy() throws IOException {
    policies = Files.createTempDirectory("thinkgate-matrix");
    Files.writeString(policies.resolve("matrix.yaml"), """
        description: every reasoning mode by override, small budgets
        reasoning:
          mode: passthrough
          allow_override: [zerothink, lessthink, morethink, budget, safety_template]
          morethink:
            think_budget: 200
            max_rounds: 2
            total_max_tokens: 400
          budget:
            think_tokens: 40
        """);
  }

  @AfterAll
  static void removePolicy() throws IOException {
    try (Stream<Path> files = Files.list(policies)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(policies);
  }

  static Stream<Arguments> cells() {
    List<Arguments> cells = new ArrayList<>();
    for (String server : List.of("vllm-0.11", "vllm-0.16", "sglang")) {
      for (String template : List.of("deepseek-r1", "qwen3", "qwq")) {
        cells.add(Arguments.of(server, template));
      }
    }
    return cells.stream();
  }

  /** What the template's generation prompt is (hand-derived, see the class comment). */
  static String head(String template) {
    return switch (template) {
      case "deepseek-r1" -> R1_HEAD;
      case "qwq" -> CHATML_HEAD + "<think>\n";
      default -> CHATML_HEAD;
    };
  }

  @ParameterizedTest(name = "{0} × {1} × every mode × stream/non-stream")
  @MethodSource("cells")
  void everyModeReachesTheModelAsSent(String server, String template) throws Exception {
    ServerProfile profile = ServerProfile.fromWire(server);
    boolean sglang = profile == ServerProfile.SGLANG;
    try (GatewayHarness h = new GatewayHarness()
        .model(ModelEmulatorOptions.builder().serverProfile(profile).template(template)
            .reasoningDialect(profile.defaultDialect()).build())
        .dialect(UpstreamDialect.AUTO)
        .chatTemplate(sglang ? template : null) // vLLM: detected by the probe
        .policies(policies).policy("matrix")
        .start()) {
      assertThat(h.gateway.prefillDecisions().getJsonObject("*").getString("path"))
          .isEqualTo("completions");
      assertThat(h.gateway.prefillDecisions().getJsonObject("*").getString("template"))
          .isEqualTo(template);
      String head = head(template);
      for (String mode : MODES) {
        for (boolean stream : List.of(false, true)) {
          int before = h.model.prompts().size();
          JsonObject body = TestClient.chat(GatewayHarness.MODEL, Q).put("max_tokens", 300);
          String answer;
          int status;
          if (stream) {
            TestClient.Stream s = h.client.stream("/v1/chat/completions", body.put("stream", true),
                "X-ThinkGate-Reasoning", mode);
            status = s.status();
            answer = s.answer();
          } else {
            TestClient.Response r = h.client.post("/v1/chat/completions", body.encode(),
                "X-ThinkGate-Reasoning", mode);
            status = r.status();
            answer = status == 200
                ? r.json().getJsonArray("choices").getJsonObject(0).getJsonObject("message")
                    .getString("content") : r.body();
          }
          List<String> prompts = h.model.prompts().subList(before, h.model.prompts().size());
          for (String p : prompts) {
            System.out.printf("matrix %-9s %-11s %-15s stream=%-5s -> %d %s%n", server,
                template, mode, stream, status, p.replace("\n", "\\n"));
          }
          String cell = server + " × " + template + " × " + mode + " × stream=" + stream;
          assertThat(status).as(cell + ": " + answer).isEqualTo(200);
          assertThat(answer).as(cell).isNotEmpty();
          assertThat(prompts).as(cell).isNotEmpty();
          for (String p : prompts) {
            assertThat(p).as(cell).startsWith(head)
                .doesNotContain("<think>\n<think>")
                .doesNotContain("</think>\n\n<think>");
            assertThat(p.indexOf(BOS, 1)).as(cell + ": BOS twice").isEqualTo(-1);
          }
          String first = prompts.get(0);
          String last = prompts.get(prompts.size() - 1);
          String open = head.endsWith("<think>\n") ? "" : "<think>\n";
          switch (mode) {
            case "passthrough" -> assertThat(first).as(cell).isEqualTo(head);
            case "zerothink" -> assertThat(first).as(cell).isEqualTo(head + open + "\n</think>\n\n");
            case "lessthink" -> assertThat(first).as(cell).isEqualTo(head + open
                + "Okay, the user ask for this, I can answer it without thinking much. \n"
                + "</think>\n\n");
            case "morethink" -> {
              assertThat(first).as(cell).isEqualTo(head + open);
              assertThat(prompts).as(cell).hasSizeGreaterThan(1);
              assertThat(last).as(cell).endsWith("</think>\n\n");
              // every round continues the previous round's whole thought
              for (int i = 1; i < prompts.size(); i++) {
                String previous = prompts.get(i - 1);
                assertThat(prompts.get(i)).as(cell).startsWith(previous);
              }
            }
            case "budget", "safety_template" -> assertThat(first).as(cell).startsWith(head + open);
            default -> throw new AssertionError(mode);
          }
        }
      }
    }
  }

  @Test
  void anExplicitVllmDialectOnR1IsRefusedWhereAutoIsNot() throws Exception {
    // Finding 1, as the quick start and the production example configured it until now
    try (GatewayHarness h = new GatewayHarness()
        .model(ModelEmulatorOptions.builder().serverProfile(ServerProfile.VLLM_0_11)
            .template("deepseek-r1").build())
        .dialect(UpstreamDialect.VLLM).policies(policies).policy("matrix").start()) {
      TestClient.Response r = h.client.post("/v1/chat/completions",
          TestClient.chat(GatewayHarness.MODEL, Q).encode(), "X-ThinkGate-Reasoning", "zerothink");
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).contains("final message does not appear");
    }
  }
}
