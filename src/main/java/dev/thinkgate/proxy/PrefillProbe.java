package dev.thinkgate.proxy;

import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.reasoning.PrefillRoute;
import dev.thinkgate.reasoning.ThoughtText;
import dev.thinkgate.reasoning.jinja.JinjaChatTemplates;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * Asks a route's server how its chat template treats a prefill, instead of trusting the route's
 * configuration (issue #15). vLLM's {@code POST /tokenize} renders chat messages with the
 * server's own template ({@code vllm/entrypoints/openai/serving_tokenization.py}), and
 * {@code POST /detokenize} turns the ids back into text, so the probe compares
 * <ol>
 *   <li>the generation prompt, {@code [user]} with {@code add_generation_prompt}, and
 *   <li>the chat prefill, {@code [user, assistant: ZeroThink's prefill]} with
 *       {@code continue_final_message}:
 * </ol>
 * the chat path keeps the prefill only when (2) is (1) followed by the prefill (without
 * {@code <think>\n} twice). Otherwise (DeepSeek-R1 and QwQ drop text before {@code </think>}: a
 * 400 from transformers' check; Qwen3 wraps it after an empty thought) the prefill modes go to
 * {@code /v1/completions} with the generation prompt rendered by the shipped copy of the
 * server's template (the one whose rendering of (1) is identical), the prefill appended and
 * {@code add_special_tokens: false}. A server without {@code /tokenize} (SGLang, or a vLLM
 * without a chat template) cannot be probed; the route then keeps its chat path and says so.
 */
final class PrefillProbe {
  private static final String PROBE_USER = "What is 2 + 2?";
  private static final JinjaChatTemplates TEMPLATES = new JinjaChatTemplates();

  private PrefillProbe() {}

  /** Probes {@code route}'s server; never fails (a failed probe is an {@code UNPROBED} answer). */
  static Future<PrefillRoute> probe(UpstreamRoute route) {
    return model(route).compose(model -> {
      JsonArray user = new JsonArray().add(new JsonObject().put("role", "user")
          .put("content", PROBE_USER));
      JsonObject generation = new JsonObject().put("model", model).put("messages", user)
          .put("add_generation_prompt", true).put("add_special_tokens", false);
      return rendered(route, generation, model).compose(genPrompt -> {
        if (genPrompt.status() != 200) {
          String why = "the server's /tokenize answered " + genPrompt.status()
            + (genPrompt.message() == null ? "" : ": " + genPrompt.message());
        // Only a route that says it is SGLang gets the model-name guess: SGLang serves no
        // /tokenize, and its prefill handling duplicates a thought the generation prompt opened
        String byName = route.config().dialect() == UpstreamDialect.SGLANG
            ? templateForModel(model) : null;
        return Future.succeededFuture(byName == null ? PrefillRoute.unprobed(why)
            : PrefillRoute.byModelName(byName, why + "; the model name '" + model
                + "' names the '" + byName + "' template, so prefills go to /v1/completions"
                + " with it (SGLang appends a prefill after a generation prompt that may already"
                + " open the thought)"));
        }
        String template = matchingTemplate(genPrompt.text());
        return checkPrefills(route, model, user, genPrompt.text(), template, 0);
      });
    }).recover(t -> Future.succeededFuture(PrefillRoute.unprobed("probe failed: "
        + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage()))));
  }

  /**
   * The prefill shapes the modes send: a closed empty thought (ZeroThink), an open thought
   * (MoreThink and budget rounds, safety_template) and a thought closed without a newline
   * (MoreThink's answer call). Qwen3's template keeps the first and wraps the second.
   */
  static final List<String> PREFILLS = List.of(ThoughtText.ZEROTHINK_PREFILL,
      ThoughtText.OPEN + "Let me check this. Wait",
      ThoughtText.OPEN + "Let me check this." + ThoughtText.CLOSE_AND_ANSWER);

  private static Future<PrefillRoute> checkPrefills(UpstreamRoute route, String model,
      JsonArray user, String genPrompt, String template, int i) {
    String text = PREFILLS.get(i);
    JsonArray withPrefill = user.copy().add(new JsonObject().put("role", "assistant")
        .put("content", text));
    JsonObject prefill = new JsonObject().put("model", model).put("messages", withPrefill)
        .put("add_generation_prompt", false).put("continue_final_message", true)
        .put("add_special_tokens", false);
    return rendered(route, prefill, model).compose(chat -> {
      PrefillRoute d = decide(genPrompt, chat, template, text);
      if (d.path() == PrefillRoute.Path.CHAT && d.prefillSafe() && i + 1 < PREFILLS.size()) {
        return checkPrefills(route, model, user, genPrompt, template, i + 1);
      }
      return Future.succeededFuture(d);
    });
  }

  static PrefillRoute decide(String generationPrompt, Rendered chat, String template,
      String prefillText) {
    String expected = continued(generationPrompt, prefillText);
    if (chat.status() == 200 && chat.text().equals(expected)) {
      return PrefillRoute.chat(template, "the chat path keeps every prefill");
    }
    String why = chat.status() == 200
        ? "the chat template changes the prefill (rendered as "
            + quote(chat.text().substring(Math.min(chat.text().length(),
                Math.max(0, generationPrompt.length() - 12)))) + ")"
        : "the chat template drops the prefill (" + chat.status()
            + (chat.message() == null ? "" : ": " + chat.message()) + ")";
    if (template == null) {
      return PrefillRoute.unresolved(why + "; no shipped template ("
          + String.join(", ", JinjaChatTemplates.NAMES) + ") renders this server's prompt");
    }
    return PrefillRoute.completions(template, why + "; prefills go to /v1/completions with the '"
        + template + "' template");
  }

  /** The shipped template a model name points to (R1 distills, QwQ, Qwen3), or null. */
  static String templateForModel(String model) {
    String m = model.toLowerCase(java.util.Locale.ROOT);
    if (m.contains("deepseek-r1") || m.contains("deepseek_r1")) {
      return "deepseek-r1";
    }
    if (m.contains("qwq")) {
      return "qwq";
    }
    if (m.contains("qwen3") && !m.contains("guard")) {
      return "qwen3";
    }
    return null;
  }

  /** The shipped template whose generation prompt is the server's, or null. */
  static String matchingTemplate(String serverPrompt) {
    List<Map<String, Object>> user = List.of(Map.of("role", "user", "content", PROBE_USER));
    for (String name : JinjaChatTemplates.NAMES) {
      String ours = TEMPLATES.render(name, user, true, false, null);
      String bos = TEMPLATES.get(name).bosToken();
      if (ours.equals(serverPrompt)
          || bos != null && !bos.isEmpty() && ours.startsWith(bos)
              && ours.substring(bos.length()).equals(serverPrompt)) {
        return name;
      }
    }
    return null;
  }

  private static String continued(String base, String prefill) {
    return base.endsWith(ThoughtText.OPEN)
        ? base + prefill.substring(ThoughtText.OPEN.length()) : base + prefill;
  }

  private static String quote(String s) {
    return "'" + s.replace("\n", "\\n") + "'";
  }

  /** A rendering: the text, or the status and message of the refusal. */
  record Rendered(int status, String text, String message) {}

  /** /tokenize then /detokenize: the prompt as the server's template rendered it. */
  private static Future<Rendered> rendered(UpstreamRoute route, JsonObject tokenize, String model) {
    return post(route, "/tokenize", tokenize).compose(r -> {
      if (r.status() != 200) {
        return Future.succeededFuture(new Rendered(r.status(), null, errorMessage(r.body())));
      }
      JsonArray tokens = r.body() == null ? null : r.body().getJsonArray("tokens");
      if (tokens == null) {
        return Future.succeededFuture(new Rendered(502, null, "no tokens in /tokenize's answer"));
      }
      return post(route, "/detokenize", new JsonObject().put("model", model).put("tokens", tokens))
          .map(d -> d.status() == 200 && d.body() != null && d.body().getString("prompt") != null
              ? new Rendered(200, d.body().getString("prompt"), null)
              : new Rendered(d.status() == 200 ? 502 : d.status(), null, "/detokenize failed"));
    });
  }

  private static String errorMessage(JsonObject body) {
    if (body == null) {
      return null;
    }
    Object error = body.getValue("error");
    if (error instanceof JsonObject e) {
      return e.getString("message");
    }
    return body.getString("message");
  }

  private record Answer(int status, JsonObject body) {}

  private static Future<Answer> post(UpstreamRoute route, String path, JsonObject body) {
    HttpClientAgent client = route.client();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
        .setAbsoluteURI(route.baseUrl() + path).setConnectTimeout(5_000).setIdleTimeout(10_000)
        .putHeader("content-type", "application/json");
    if (route.apiKey() != null) {
      options.putHeader("authorization", "Bearer " + route.apiKey());
    }
    return client.request(options)
        .compose(req -> req.send(body.toBuffer()).compose(resp -> resp.body().map(b -> {
          JsonObject json;
          try {
            json = b.length() == 0 ? null : b.toJsonObject();
          } catch (RuntimeException e) {
            json = null;
          }
          return new Answer(resp.statusCode(), json);
        })));
  }

  /** The model name to probe with: the route's upstream model, its exact name, or the first listed. */
  private static Future<String> model(UpstreamRoute route) {
    if (route.config().upstreamModel() != null) {
      return Future.succeededFuture(route.config().upstreamModel());
    }
    if (!route.config().model().contains("*")) {
      return Future.succeededFuture(route.config().model());
    }
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
        .setAbsoluteURI(route.baseUrl() + "/v1/models").setConnectTimeout(5_000)
        .setIdleTimeout(10_000);
    if (route.apiKey() != null) {
      options.putHeader("authorization", "Bearer " + route.apiKey());
    }
    return route.client().request(options)
        .compose(req -> req.send().compose(resp -> resp.body()))
        .map(b -> {
          JsonArray data = b.toJsonObject().getJsonArray("data");
          if (data == null || data.isEmpty()) {
            throw new IllegalStateException("the server lists no model");
          }
          return data.getJsonObject(0).getString("id");
        });
  }
}
