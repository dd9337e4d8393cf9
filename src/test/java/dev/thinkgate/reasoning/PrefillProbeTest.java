package dev.thinkgate.reasoning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.reasoning.PrefillProbe.Decision;
import dev.thinkgate.reasoning.PrefillProbe.PrefillPath;
import dev.thinkgate.reasoning.PrefillProbe.Reply;
import dev.thinkgate.reasoning.jinja.ChatTemplateException;
import dev.thinkgate.reasoning.jinja.JinjaChatTemplates;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link PrefillProbe} against a fake {@code /tokenize}/{@code /detokenize} that renders the way
 * vLLM does (serving_tokenization.py: the chat form goes through the same template rendering as
 * a chat request; one token per code point here) with a given renderer.
 */
class PrefillProbeTest {
  private static final JinjaChatTemplates TEMPLATES = new JinjaChatTemplates();
  private final List<JsonObject> requests = new ArrayList<>();

  private static RouteConfig route(String template) {
    return new RouteConfig("*", "http://upstream.invalid", UpstreamDialect.AUTO, null, null,
        template, false, false, null, null);
  }

  /** A vLLM-like server whose chat rendering is {@code render} (null = 400). */
  private PrefillProbe.Transport server(Function<JsonObject, String> render) {
    return (path, body) -> {
      requests.add(body.copy().put("_path", path));
      if (path.equals("/detokenize")) {
        StringBuilder text = new StringBuilder();
        body.getJsonArray("tokens").forEach(t -> text.appendCodePoint((Integer) t));
        return Future.succeededFuture(new Reply(200, new JsonObject().put("prompt", text.toString())));
      }
      String prompt = render.apply(body);
      if (prompt == null) {
        return Future.succeededFuture(new Reply(400, new JsonObject().put("error", "refused")));
      }
      JsonArray tokens = new JsonArray();
      prompt.codePoints().forEach(tokens::add);
      return Future.succeededFuture(new Reply(200, new JsonObject().put("tokens", tokens)));
    };
  }

  /** vLLM rendering with a published template (transformers' continue_final_message check). */
  private static Function<JsonObject, String> published(String name) {
    return body -> {
      List<Map<String, Object>> messages = new ArrayList<>();
      for (Object m : body.getJsonArray("messages")) {
        messages.add(((JsonObject) m).getMap());
      }
      try {
        return TEMPLATES.render(name, messages, body.getBoolean("add_generation_prompt", true),
            body.getBoolean("continue_final_message", false), Map.of());
      } catch (ChatTemplateException e) {
        return null;
      }
    };
  }

  private Decision probe(RouteConfig route, Function<JsonObject, String> render) {
    return new PrefillProbe(server(render), TEMPLATES).probe(route, "m").result();
  }

  @Test
  void r1RefusesPrefillsSoTheCompletionsPathWithTheDetectedTemplateIsUsed() {
    Decision decision = probe(route(null), published("deepseek-r1"));

    assertThat(decision).isEqualTo(new Decision(PrefillPath.COMPLETIONS, "deepseek-r1", true,
        true, "completions path with template deepseek-r1: the chat path refuses (400) prefills"));
    assertThat(decision.apply(route(null)).dialect()).isEqualTo(UpstreamDialect.COMPLETIONS);
    assertThat(decision.apply(route(null)).chatTemplate()).isEqualTo("deepseek-r1");
    // every probe call renders without the tokenizer's BOS (the template renders its own)
    assertThat(requests).filteredOn(r -> r.getString("_path").equals("/tokenize"))
        .allSatisfy(r -> assertThat(r.getBoolean("add_special_tokens")).isFalse());
  }

  @Test
  void qwen3RewrapsPrefillsAndQwqRefusesThem() {
    assertThat(probe(route(null), published("qwen3")).reason())
        .isEqualTo("completions path with template qwen3: the chat path rewrites prefills");
    assertThat(probe(route(null), published("qwq")).template()).isEqualTo("qwq");
  }

  @Test
  void aTemplateThatKeepsEveryPrefillKeepsTheChatPath() {
    // generation prompt "A:" and the final message continued verbatim after it
    Decision decision = probe(route(null), body -> {
      JsonArray messages = body.getJsonArray("messages");
      String head = "U:" + messages.getJsonObject(0).getString("content") + "\nA:";
      return body.getBoolean("continue_final_message", false)
          ? head + messages.getJsonObject(messages.size() - 1).getString("content") : head;
    });

    assertThat(decision.path()).isEqualTo(PrefillPath.CHAT);
    assertThat(decision.prefillsKept()).isTrue();
    assertThat(decision.verified()).isTrue();
    assertThat(decision.apply(route(null)).dialect()).isEqualTo(UpstreamDialect.VLLM);
  }

  /**
   * Finding 4 of issue #15 (vLLM's stop-string hold-back with a reasoning parser can drop the end
   * of a thought): MoreThink continues thoughts, so its rounds run on raw text wherever a
   * template is known, even on a route whose chat path keeps prefills.
   */
  @Test
  void moreThinkRunsOnRawTextWhereATemplateIsKnownEvenIfTheChatPathKeepsPrefills() {
    Decision keeps = new Decision(PrefillPath.CHAT, "qwq", true, true, "chat path keeps prefills");
    Decision unknown = new Decision(PrefillPath.CHAT, null, true, true, "no template matched");

    assertThat(keeps.apply(route(null)).dialect()).isEqualTo(UpstreamDialect.VLLM);
    assertThat(keeps.applyForRawText(route(null)).dialect()).isEqualTo(UpstreamDialect.COMPLETIONS);
    assertThat(keeps.applyForRawText(route(null)).chatTemplate()).isEqualTo("qwq");
    // nothing to render with: the chat path it is
    assertThat(unknown.applyForRawText(route(null)).dialect()).isEqualTo(UpstreamDialect.VLLM);
  }

  @Test
  void anUnknownTemplateThatDropsPrefillsIsFlagged() {
    Decision decision = probe(route(null), body -> body.getBoolean("continue_final_message", false)
        ? null : "SOMETHING ELSE\n");

    assertThat(decision.path()).isEqualTo(PrefillPath.CHAT);
    assertThat(decision.prefillsKept()).isFalse();
    assertThat(decision.reason()).contains("no shipped template matches");
  }

  @Test
  void aConfiguredTemplateThatDoesNotMatchTheServerIsNotUsed() {
    // the route says qwen3 but the server renders R1: the server's template wins
    assertThat(probe(route("qwen3"), published("deepseek-r1")).template()).isEqualTo("deepseek-r1");
  }

  @Test
  void withoutTokenizeTheConfiguredTemplateIsUsedUnverified() {
    PrefillProbe.Transport notFound = (path, body) ->
        Future.succeededFuture(new Reply(404, new JsonObject()));

    Decision sglang = new PrefillProbe(notFound, TEMPLATES).probe(route("qwq"), "m").result();
    Decision unknown = new PrefillProbe(notFound, TEMPLATES).probe(route(null), "m").result();

    assertThat(sglang.path()).isEqualTo(PrefillPath.COMPLETIONS);
    assertThat(sglang.template()).isEqualTo("qwq");
    assertThat(sglang.verified()).isFalse();
    assertThat(unknown.path()).isEqualTo(PrefillPath.CHAT);
    assertThat(unknown.reason()).contains("set chat_template");
  }

  @Test
  void aConnectionFailureNeverFailsTheProbe() {
    PrefillProbe.Transport down = (path, body) -> Future.failedFuture("connection refused");

    Decision decision = new PrefillProbe(down, TEMPLATES).probe(route(null), "m").result();

    assertThat(decision.path()).isEqualTo(PrefillPath.CHAT);
    assertThat(decision.verified()).isFalse();
    assertThat(decision.reason()).startsWith("probe failed: connection refused");
  }

  @Test
  void explicitDialectsAreNotProbed() {
    RouteConfig vllm = new RouteConfig("*", "http://u.invalid", UpstreamDialect.VLLM, null, null,
        null, false, false, null, null);

    Decision decision = new PrefillProbe(server(b -> "x"), TEMPLATES).probe(vllm, "m").result();

    assertThat(requests).isEmpty();
    assertThat(decision.reason()).isEqualTo("dialect vllm (configured)");
    assertThat(decision.apply(vllm)).isSameAs(vllm);
  }
}
