package dev.thinkgate.reasoning;

import static dev.thinkgate.reasoning.Fixtures.chatBody;
import static dev.thinkgate.reasoning.Fixtures.policy;
import static dev.thinkgate.reasoning.Fixtures.request;
import static dev.thinkgate.reasoning.Fixtures.route;
import static dev.thinkgate.reasoning.Fixtures.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.policy.ReasoningMode;
import dev.thinkgate.reasoning.FakeUpstream.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * The completions path's prompt, rendered with the route's published chat template: what cannot
 * be rendered is refused clearly, and a prefill never opens the thought twice.
 */
class CompletionsPromptTest {
  @Test
  void imagePartsAreRefusedWithAClearMessage() {
    JsonObject body = chatBody().put("messages", new JsonArray().add(new JsonObject()
        .put("role", "user").put("content", new JsonArray()
            .add(new JsonObject().put("type", "image_url").put("image_url", "x")))));

    assertThatThrownBy(() -> run(request(ReasoningMode.ZEROTHINK,
            UpstreamDialect.COMPLETIONS, body), FakeUpstream.replying(Reply.answer("ok", 1)),
            new RecordingSink()))
        .hasRootCauseInstanceOf(OpenAiException.class)
        .rootCause().hasMessageContaining("only text parts");
  }

  @Test
  void anUnknownTemplateNameIsAClearError() {
    assertThatThrownBy(() -> run(request(ReasoningMode.ZEROTHINK,
            route(UpstreamDialect.COMPLETIONS, "llama-9", false, false), chatBody(),
            policy(ReasoningMode.ZEROTHINK, false), 1),
            FakeUpstream.replying(Reply.answer("ok", 1)), new RecordingSink()))
        .hasRootCauseInstanceOf(OpenAiException.class)
        .rootCause().hasMessageContaining("'llama-9' is unknown")
        .hasMessageContaining("deepseek-r1, qwen3, qwq");
  }

  @Test
  void thePrefillIsNotDoubledOnAPromptThatOpenedTheThought() {
    assertThat(UpstreamCalls.continued("P<think>\n", "<think>\n\n</think>\n\n"))
        .isEqualTo("P<think>\n\n</think>\n\n");
    assertThat(UpstreamCalls.continued("P<|im_start|>assistant\n", "<think>\n\n</think>\n\n"))
        .isEqualTo("P<|im_start|>assistant\n<think>\n\n</think>\n\n");
  }
}
