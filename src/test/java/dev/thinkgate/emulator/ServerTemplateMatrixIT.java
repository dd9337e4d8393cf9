package dev.thinkgate.emulator;

import static dev.thinkgate.emulator.EmulatorClient.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.emulator.EmulatorClient.Reply;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Server × template × the chat prefills ThinkGate's modes send today (dialect vllm/sglang: the
 * prefill as the final assistant message with continue_final_message) × stream/non-stream: what
 * the real server does with each, and per cell the exact prompt the model sees. The expected
 * prompts were worked out by hand from the published templates (chat-templates/jinja), vLLM's
 * serving_chat.py + transformers' continue_final_message cut, and SGLang's serving_chat.py
 * (pop the final assistant message, render with the generation prompt, append its text).
 */
class ServerTemplateMatrixIT {
  private static final String MODEL = ModelEmulatorOptions.DEFAULT_MODEL;
  private static final String BOS = "<｜begin▁of▁sentence｜>";
  private static final String Q = "How do I boil an egg?";
  private static final String R1_HEAD = BOS + "<｜User｜>" + Q + "<｜Assistant｜>";
  private static final String CHATML_HEAD = "<|im_start|>user\n" + Q + "<|im_end|>\n"
      + "<|im_start|>assistant\n";
  private static final String LESS = "Okay, the user ask for this, I can answer it without"
      + " thinking much. ";

  /** The prefills of today's modes, as ThoughtText builds them. */
  enum Mode {
    ZEROTHINK("<think>\n\n</think>\n\n"),
    LESSTHINK("<think>\n" + LESS + "\n</think>\n\n"),
    MORETHINK_ROUND("<think>\nFirst, boil water. Wait"),
    MORETHINK_ANSWER("<think>\nFirst, boil water.</think>\n\n"),
    BUDGET_ANSWER("<think>\nFirst, boil water.\n</think>\n\n");

    final String prefill;

    Mode(String prefill) {
      this.prefill = prefill;
    }
  }

  private static Vertx vertx;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    await(vertx.close());
  }

  /** null prompt = vLLM refuses with 400 (the template dropped the final message). */
  static Stream<Arguments> cells() {
    List<Arguments> cells = new ArrayList<>();
    for (String server : List.of("vllm-0.11", "vllm-0.16", "sglang")) {
      for (String template : List.of("deepseek-r1", "qwen3", "qwq")) {
        for (Mode mode : Mode.values()) {
          for (boolean stream : List.of(false, true)) {
            cells.add(Arguments.of(server, template, mode, stream, expected(server, template, mode)));
          }
        }
      }
    }
    return cells.stream();
  }

  static String expected(String server, String template, Mode mode) {
    String p = mode.prefill;
    if (server.equals("sglang")) {
      return switch (template) {
        case "deepseek-r1" -> R1_HEAD + "<think>\n" + p; // <think> twice
        case "qwq" -> CHATML_HEAD + "<think>\n" + p; // <think> twice
        default -> CHATML_HEAD + p;
      };
    }
    return switch (template) {
      // R1 and QwQ keep only the text after </think>: every closed prefill is refused
      case "deepseek-r1" -> mode == Mode.MORETHINK_ROUND ? R1_HEAD + p : null;
      case "qwq" -> mode == Mode.MORETHINK_ROUND ? CHATML_HEAD + p : null;
      // Qwen3 re-wraps the final message as <think>\n{reasoning}\n</think>\n\n{content}
      default -> switch (mode) {
        case ZEROTHINK, LESSTHINK, BUDGET_ANSWER -> CHATML_HEAD + p;
        case MORETHINK_ROUND -> CHATML_HEAD + "<think>\n\n</think>\n\n" + p;
        case MORETHINK_ANSWER -> null; // "…water.</think>" became "…water.\n</think>"
      };
    };
  }

  @ParameterizedTest(name = "{0} × {1} × {2} × stream={3}")
  @MethodSource("cells")
  void cell(String server, String template, Mode mode, boolean stream, String expectedPrompt) {
    ServerProfile profile = ServerProfile.fromWire(server);
    EmulatedModelServer emulated = new EmulatedModelServer(vertx, ModelEmulatorOptions.builder()
        .serverProfile(profile).template(template).reasoningDialect(profile.defaultDialect())
        .build());
    int port = await(emulated.start("127.0.0.1", 0));
    EmulatorClient client = new EmulatorClient(vertx, port);
    try {
      JsonObject body = new JsonObject().put("model", MODEL).put("stream", stream)
          .put("messages", new JsonArray()
              .add(new JsonObject().put("role", "user").put("content", Q))
              .add(new JsonObject().put("role", "assistant").put("content", mode.prefill)))
          .put("continue_final_message", true).put("add_generation_prompt", false)
          .put("max_tokens", 64);
      Reply reply = client.post("/v1/chat/completions", body);
      String seen = emulated.prompts().isEmpty() ? null : emulated.prompts().get(0);
      System.out.printf("matrix %-9s %-11s %-16s stream=%-5s -> %d %s%n", server, template, mode,
          stream, reply.status(), seen == null ? "(refused)" : seen.replace("\n", "\\n"));
      if (expectedPrompt == null) {
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.json().getJsonObject("error").getString("message"))
            .contains("final message does not appear");
        assertThat(seen).isNull();
      } else {
        assertThat(reply.status()).isEqualTo(200);
        assertThat(seen).isEqualTo(expectedPrompt);
        assertThat(reply.body()).contains(stream ? "data: [DONE]" : "\"finish_reason\"");
      }
    } finally {
      client.close();
      await(emulated.close());
    }
  }
}
