package dev.thinkgate.emulator;

import dev.thinkgate.reasoning.jinja.ChatTemplateException;
import dev.thinkgate.reasoning.jinja.JinjaChatTemplate;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How the emulated server turns a request into the exact text the model sees, per server:
 *
 * <ul>
 *   <li>vLLM (serving_chat.py → chat_utils.apply_hf_chat_template → transformers): the template
 *       renders every message with {@code add_generation_prompt} (default true) or {@code
 *       continue_final_message}; chat_template_kwargs the template does not read are dropped;
 *       {@code add_special_tokens} defaults to false on chat requests and true on completions.
 *   <li>SGLang (serving_chat.py {@code _apply_jinja_template}): a final assistant message under
 *       {@code continue_final_message} is removed, the rest rendered with the generation prompt,
 *       and the removed text appended; no transformers check, so nothing is refused.
 * </ul>
 */
final class PromptRendering {
  static final String BOTH_FLAGS_VLLM =
      "Cannot set both `continue_final_message` and `add_generation_prompt` to True.";

  private final ServerProfile profile;
  private final JinjaChatTemplate template;
  private final EmulatedTokenizer tokenizer;

  PromptRendering(ServerProfile profile, JinjaChatTemplate template, EmulatedTokenizer tokenizer) {
    this.profile = Objects.requireNonNull(profile, "profile");
    this.template = Objects.requireNonNull(template, "template");
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
  }

  /**
   * The prompt of a chat request (chat completions or vLLM's chat-form {@code /tokenize}).
   *
   * @throws IllegalArgumentException for a malformed request (vLLM's validation)
   * @throws ChatTemplateException when the template refuses (vLLM answers 400)
   */
  String chat(JsonObject body) {
    List<Map<String, Object>> messages = messages(body.getValue("messages"));
    boolean addGenerationPrompt = flag(body, "add_generation_prompt", true);
    boolean continueFinal = flag(body, "continue_final_message", false);
    Map<String, Object> kwargs = body.getValue("chat_template_kwargs") instanceof JsonObject k
        ? plainMap(k) : Map.of();
    if (profile == ServerProfile.SGLANG) {
      String prefix = "";
      if (continueFinal && "assistant".equals(messages.get(messages.size() - 1).get("role"))) {
        Object content = messages.remove(messages.size() - 1).get("content");
        prefix = content instanceof String s ? s : "";
      }
      return template.render(messages, true, false, kwargs) + prefix;
    }
    if (continueFinal && addGenerationPrompt) {
      throw new IllegalArgumentException(BOTH_FLAGS_VLLM);
    }
    Map<String, Object> used = new LinkedHashMap<>();
    kwargs.forEach((k, v) -> {
      if (template.usesKwarg(k)) {
        used.put(k, v);
      }
    });
    String rendered = template.render(messages, addGenerationPrompt, continueFinal, used);
    return tokenizer.withSpecialTokens(rendered, flag(body, "add_special_tokens", false));
  }

  /** The prompt of a completions request (or prompt-form {@code /tokenize}). */
  String completion(String prompt, JsonObject body) {
    return tokenizer.withSpecialTokens(prompt, flag(body, "add_special_tokens", true));
  }

  static boolean flag(JsonObject body, String field, boolean fallback) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Boolean b)) {
      throw new IllegalArgumentException(field + " must be a boolean");
    }
    return b;
  }

  static List<Map<String, Object>> messages(Object value) {
    if (!(value instanceof JsonArray array) || array.isEmpty()) {
      throw new IllegalArgumentException("messages must be a non-empty list");
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject message)
          || !(message.getValue("role") instanceof String)) {
        throw new IllegalArgumentException("messages[" + i + "] must be an object with a role");
      }
      Map<String, Object> plain = plainMap(message);
      if (plain.get("content") instanceof List<?> parts) {
        // vLLM's "string" content format joins the text parts
        StringBuilder text = new StringBuilder();
        for (Object part : parts) {
          if (part instanceof Map<?, ?> p && "text".equals(p.get("type"))
              && p.get("text") instanceof String t) {
            text.append(text.isEmpty() ? "" : "\n").append(t);
          }
        }
        plain.put("content", text.toString());
      }
      out.add(plain);
    }
    return out;
  }

  static Map<String, Object> plainMap(JsonObject object) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : object) {
      out.put(e.getKey(), plain(e.getValue()));
    }
    return out;
  }

  private static Object plain(Object value) {
    if (value instanceof JsonObject o) {
      return plainMap(o);
    }
    if (value instanceof JsonArray a) {
      List<Object> out = new ArrayList<>();
      for (Object v : a) {
        out.add(plain(v));
      }
      return out;
    }
    return value;
  }
}
