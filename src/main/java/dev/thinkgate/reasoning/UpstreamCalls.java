package dev.thinkgate.reasoning;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.policy.ReasoningMode;
import dev.thinkgate.reasoning.jinja.ChatTemplateException;
import dev.thinkgate.reasoning.jinja.JinjaChatTemplate;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the upstream requests of one generation for the route's backend dialect (DESIGN §5).
 * Three shapes:
 * <ul>
 *   <li>chat prefill ({@code vllm}, {@code sglang}): the client's body, {@code model} replaced,
 *       the prefill appended as an assistant message with {@code continue_final_message: true,
 *       add_generation_prompt: false}; every other field untouched;
 *   <li>template prompt ({@code completions} dialect, chat client): a raw prompt rendered with the
 *       route's published chat template ({@link ChatTemplates}), sent to
 *       {@code /v1/completions} with {@code prompt}, {@code stop}, {@code max_tokens} and the client's sampling fields (as SafeChain does);
 *   <li>raw prompt (a {@code /v1/completions} client): the client's body with the prefill appended
 *       to its {@code prompt}.
 * </ul>
 * A prefill always starts with {@link ThoughtText#OPEN}; on a prompt that already ends with it
 * (DeepSeek-R1 generation prompts) it is not doubled — also on SGLang's chat path, which
 * appends the prefill to the generation prompt. Template prompts are rendered with the published
 * Jinja template (the one {@code dialect: auto} found the server to use) and sent with
 * {@code add_special_tokens: false}: the template renders BOS itself.
 */
final class UpstreamCalls {
  /**
   * {@code max_tokens} for a rendered completions call when the client set none: vLLM's
   * {@code /v1/completions} default is 16 tokens, SafeChain's is 16,000.
   */
  static final int DEFAULT_COMPLETIONS_MAX_TOKENS = 16_000;

  /** Sampling fields copied from a chat request to a rendered completions request. */
  static final List<String> SAMPLING_FIELDS = List.of("temperature", "top_p", "top_k", "min_p",
      "seed", "presence_penalty", "frequency_penalty", "repetition_penalty", "n");

  /**
   * Per-call overrides; null keeps what the client asked.
   *
   * @param maxTokens the call's token limit
   * @param stop the call's stop strings (replacing the client's)
   */
  record Limits(Integer maxTokens, List<String> stop) {
    static final Limits CLIENT = new Limits(null, null);
  }

  private enum Shape { CHAT_PREFILL, TEMPLATE_PROMPT, RAW_PROMPT }

  private final GenerationRequest request;
  private final ClientRequest client;
  private final Shape shape;
  private final ChatTemplates templates;

  /**
   * Checks that a thinking-rounds mode (MoreThink, budget) applies to the request and prepares
   * its first round: the open thought, stop at {@code </think>}, read as thinking.
   *
   * @throws OpenAiException 400 when the request cannot take the mode
   */
  static UpstreamCalls forThinkingRounds(GenerationRequest request, ClientRequest client,
      ChatTemplates templates, ReasoningMode mode) {
    client.requirePrefillable(mode, false);
    client.requireSingleChoice(mode);
    UpstreamCalls calls = new UpstreamCalls(request, templates);
    calls.prefilled(ThoughtText.OPEN, Limits.CLIENT, OutputSpan.THINKING);
    return calls;
  }

  UpstreamCalls(GenerationRequest request, ChatTemplates templates) {
    this.request = request;
    this.client = new ClientRequest(request);
    this.templates = templates;
    if (!client.chat()) {
      shape = Shape.RAW_PROMPT;
    } else if (request.route().dialect() == UpstreamDialect.COMPLETIONS) {
      shape = Shape.TEMPLATE_PROMPT;
    } else {
      shape = Shape.CHAT_PREFILL;
    }
  }

  /**
   * True when {@code chat_template_kwargs.enable_thinking} reaches a template that reads it: a
   * chat-dialect route whose template is unknown (configuration is trusted) or reads it (Qwen3).
   * vLLM silently drops kwargs a template does not read (R1, QwQ).
   */
  boolean acceptsTemplateKwargs() {
    String name = request.route().chatTemplate();
    return shape == Shape.CHAT_PREFILL
        && (name == null || templates.jinja().get(name).usesKwarg("enable_thinking"));
  }

  /** The client's request as it is, for the upstream's model. */
  UpstreamRequest passthrough() {
    boolean implicitOpen = request.route().implicitThinkOpen();
    return switch (shape) {
      case CHAT_PREFILL -> new UpstreamRequest(UpstreamRequest.CHAT, clientCopy(),
          implicitOpen ? OutputSpan.THINKING_UNTIL_CLOSE : OutputSpan.AUTO);
      case TEMPLATE_PROMPT -> {
        String prompt = renderPrompt();
        yield new UpstreamRequest(UpstreamRequest.COMPLETIONS,
            completionsBody(prompt, Limits.CLIENT), openedBy(prompt, implicitOpen));
      }
      case RAW_PROMPT -> new UpstreamRequest(UpstreamRequest.COMPLETIONS, clientCopy(),
          client.body().getValue("prompt") instanceof String prompt
              ? openedBy(prompt, implicitOpen)
              : implicitOpen ? OutputSpan.THINKING_UNTIL_CLOSE : OutputSpan.AUTO);
    };
  }

  private static OutputSpan openedBy(String prompt, boolean implicitOpen) {
    return implicitOpen || prompt.endsWith(ThoughtText.OPEN)
        ? OutputSpan.THINKING_UNTIL_CLOSE : OutputSpan.AUTO;
  }

  /**
   * A call continuing the assistant turn from {@code prefill}.
   *
   * @param prefill the assistant text so far, starting with {@link ThoughtText#OPEN}
   */
  UpstreamRequest prefilled(String prefill, Limits limits, OutputSpan output) {
    if (!prefill.startsWith(ThoughtText.OPEN)) {
      throw new IllegalArgumentException("a prefill must start with the thought opening");
    }
    return switch (shape) {
      case CHAT_PREFILL -> {
        JsonObject body = clientCopy();
        JsonArray messages = client.messages().copy()
            .add(new JsonObject().put("role", "assistant").put("content", chatPrefill(prefill)));
        body.put("messages", messages)
            .put("continue_final_message", true)
            .put("add_generation_prompt", false);
        applyLimits(body, limits);
        yield new UpstreamRequest(UpstreamRequest.CHAT, body, output);
      }
      case TEMPLATE_PROMPT -> {
        String prompt = continued(renderPrompt(), prefill);
        yield new UpstreamRequest(UpstreamRequest.COMPLETIONS, completionsBody(prompt, limits),
            output);
      }
      case RAW_PROMPT -> {
        JsonObject body = clientCopy();
        body.put("prompt", continued(client.prompt(request.mode()), prefill));
        applyLimits(body, limits);
        yield new UpstreamRequest(UpstreamRequest.COMPLETIONS, body, output);
      }
    };
  }

  /** ZeroThink without a prefill: {@code chat_template_kwargs.enable_thinking = false}. */
  UpstreamRequest thinkingDisabled() {
    if (shape != Shape.CHAT_PREFILL) {
      throw new IllegalStateException("chat_template_kwargs needs a chat-dialect route");
    }
    JsonObject body = clientCopy();
    JsonObject kwargs = body.getValue("chat_template_kwargs") instanceof JsonObject given
        ? given.copy() : new JsonObject();
    body.put("chat_template_kwargs", kwargs.put("enable_thinking", false));
    return new UpstreamRequest(UpstreamRequest.CHAT, body, OutputSpan.ANSWER);
  }

  /** {@code base} + {@code prefill}, without doubling the thought opening. */
  static String continued(String base, String prefill) {
    return base.endsWith(ThoughtText.OPEN) && prefill.startsWith(ThoughtText.OPEN)
        ? base + prefill.substring(ThoughtText.OPEN.length())
        : base + prefill;
  }

  /**
   * The final assistant message of a chat prefill. SGLang drops it, renders the generation
   * prompt and appends its text (serving_chat.py {@code _apply_jinja_template}), so where the
   * route's template is known and its generation prompt already opens the thought, the opening is
   * not sent again.
   */
  private String chatPrefill(String prefill) {
    String name = request.route().chatTemplate();
    if (request.route().dialect() != UpstreamDialect.SGLANG || name == null) {
      return prefill;
    }
    String generationPrompt = jinjaTemplate().render(
        conversation(client.messages(), client.messages().size()), true, false, templateKwargs());
    return continued(generationPrompt, prefill).substring(generationPrompt.length());
  }

  /** @throws OpenAiException 500 for a template no one ships (config validation prevents it) */
  private JinjaChatTemplate jinjaTemplate() {
    String name = request.route().chatTemplate() == null
        ? "deepseek-r1" : request.route().chatTemplate();
    if (!dev.thinkgate.reasoning.jinja.JinjaChatTemplates.NAMES.contains(name)) {
      throw new OpenAiException(500, "server_error", "The route's chat_template '" + name
          + "' is unknown; known templates: "
          + String.join(", ", dev.thinkgate.reasoning.jinja.JinjaChatTemplates.NAMES), null,
          "unknown_chat_template");
    }
    return templates.jinja().get(name);
  }

  /**
   * The prompt of the client's conversation rendered with the route's published template, ending
   * with the generation prompt; a final assistant message (the client's own prefill) is appended
   * to the generation prompt, as the model would see it under the generation prompt.
   *
   * @throws OpenAiException 400 when the template cannot render the conversation
   */
  private String renderPrompt() {
    JsonArray messages = client.messages();
    int count = messages.size();
    boolean continuesLast = count > 0 && messages.getValue(count - 1) instanceof JsonObject last
        && "assistant".equals(last.getValue("role"));
    try {
      String prompt = jinjaTemplate().render(conversation(messages, continuesLast ? count - 1 : count),
          true, false, templateKwargs());
      return continuesLast
          ? continued(prompt, contentText(messages.getJsonObject(count - 1), count - 1)) : prompt;
    } catch (ChatTemplateException e) {
      throw OpenAiException.badRequest("The route's chat template cannot render this"
          + " conversation: " + e.getMessage(), "messages");
    }
  }

  /** The client's {@code chat_template_kwargs} that the template reads (vLLM drops the rest). */
  private Map<String, Object> templateKwargs() {
    Map<String, Object> used = new LinkedHashMap<>();
    if (client.body().getValue("chat_template_kwargs") instanceof JsonObject kwargs) {
      JinjaChatTemplate template = jinjaTemplate();
      for (Map.Entry<String, Object> e : kwargs) {
        if (template.usesKwarg(e.getKey())) {
          used.put(e.getKey(), e.getValue());
        }
      }
    }
    return used;
  }

  private static List<Map<String, Object>> conversation(JsonArray messages, int end) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < end; i++) {
      if (!(messages.getValue(i) instanceof JsonObject m)
          || !(m.getValue("role") instanceof String role)) {
        throw OpenAiException.badRequest("messages[" + i + "] must be an object with a role",
            "messages");
      }
      Map<String, Object> message = new LinkedHashMap<>();
      message.put("role", role);
      message.put("content", contentText(m, i));
      out.add(message);
    }
    return out;
  }

  /** A string, or the text parts joined with newlines (vLLM's "string" content format). */
  private static String contentText(JsonObject message, int i) {
    Object content = message.getValue("content");
    if (content == null) {
      return "";
    }
    if (content instanceof String s) {
      return s;
    }
    if (content instanceof JsonArray parts) {
      StringBuilder text = new StringBuilder();
      for (Object part : parts) {
        if (part instanceof JsonObject p && "text".equals(p.getString("type"))
            && p.getValue("text") instanceof String t) {
          text.append(text.isEmpty() ? "" : "\n").append(t);
        } else {
          throw OpenAiException.badRequest("messages[" + i + "].content: only text parts can be"
              + " rendered with this route's chat template", "messages");
        }
      }
      return text.toString();
    }
    throw OpenAiException.badRequest(
        "messages[" + i + "].content must be a string or an array of text parts", "messages");
  }

  private String upstreamModel() {
    return request.upstreamModel() != null
        ? request.upstreamModel() : client.body().getString("model");
  }

  private JsonObject clientCopy() {
    return client.body().copy().put("model", upstreamModel());
  }

  private JsonObject completionsBody(String prompt, Limits limits) {
    // the rendered template holds BOS already; the tokenizer must not add a second one
    JsonObject body = new JsonObject().put("model", upstreamModel()).put("prompt", prompt)
        .put("add_special_tokens", false);
    Integer maxTokens = limits.maxTokens() != null ? limits.maxTokens() : client.maxTokens();
    body.put("max_tokens", maxTokens != null ? maxTokens : DEFAULT_COMPLETIONS_MAX_TOKENS);
    List<String> stop = limits.stop() != null ? limits.stop() : client.stops();
    if (!stop.isEmpty()) {
      body.put("stop", new JsonArray(List.copyOf(stop)));
    }
    for (String field : SAMPLING_FIELDS) {
      if (client.body().containsKey(field)) {
        body.put(field, client.body().getValue(field));
      }
    }
    return body;
  }

  private static void applyLimits(JsonObject body, Limits limits) {
    if (limits.maxTokens() != null) {
      boolean completionField = body.containsKey("max_completion_tokens");
      if (completionField) {
        body.put("max_completion_tokens", limits.maxTokens());
      }
      if (body.containsKey("max_tokens") || !completionField) {
        body.put("max_tokens", limits.maxTokens());
      }
    }
    if (limits.stop() != null) {
      if (limits.stop().isEmpty()) {
        body.remove("stop");
      } else {
        body.put("stop", new JsonArray(List.copyOf(limits.stop())));
      }
    }
  }
}
