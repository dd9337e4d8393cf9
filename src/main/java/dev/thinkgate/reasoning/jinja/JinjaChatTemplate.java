package dev.thinkgate.reasoning.jinja;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One model's published chat template and the tokenizer facts that go with it, rendered with
 * transformers' {@code apply_chat_template} semantics (see {@link #render}). Immutable and
 * thread-safe.
 */
public final class JinjaChatTemplate {
  /** transformers' message when the template dropped the final message (tokenization_utils_base.py). */
  public static final String FINAL_MESSAGE_MISSING =
      "continue_final_message is set but the final message does not appear in the chat after "
          + "applying the chat template! This can happen if the chat template deletes portions of "
          + "the final message. Please verify the chat template and final message in your chat to "
          + "ensure they are compatible.";

  /** transformers' message when both flags are set. */
  public static final String BOTH_FLAGS =
      "continue_final_message and add_generation_prompt are not compatible. Use "
          + "continue_final_message when you want the model to continue the final message, and "
          + "add_generation_prompt when you want to add a header that will prompt it to start a new "
          + "assistant message instead.";

  /** Variables every caller may pass or the renderer sets itself; not template-specific kwargs. */
  private static final Set<String> STANDARD_VARIABLES = Set.of(
      "messages", "add_generation_prompt", "bos_token", "eos_token", "tools", "documents",
      "continue_final_message");

  private static final Set<String> JINJA_WORDS = Set.of(
      "if", "elif", "else", "endif", "for", "endfor", "in", "not", "and", "or", "is", "set",
      "true", "false", "none", "True", "False", "None", "loop", "namespace", "defined", "string",
      "length", "tojson", "reverse", "range", "trim", "raise_exception", "mapping", "iterable",
      "undefined", "number", "endset", "macro", "endmacro", "generation", "endgeneration", "ns");

  private static final Pattern TAG = Pattern.compile("\\{[{%]-?(.*?)-?[}%]\\}", Pattern.DOTALL);
  private static final Pattern STRING_LITERAL = Pattern.compile("'(?:[^'\\\\]|\\\\.)*'|\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final Pattern IDENTIFIER = Pattern.compile("(?<![.\\w])([A-Za-z_]\\w*)");
  private static final Pattern ASSIGNED = Pattern.compile("\\b(?:set|for)\\s+([A-Za-z_]\\w*)");

  private final String name;
  private final String source;
  private final String jinjavaSource;
  private final String bosToken;
  private final String eosToken;
  private final boolean addsBosToken;
  private final List<String> specialTokens;
  private final Set<String> kwargs;
  private final Jinjava engine;

  JinjaChatTemplate(
      String name,
      String source,
      String bosToken,
      String eosToken,
      boolean addsBosToken,
      List<String> specialTokens,
      Jinjava engine) {
    this.name = Objects.requireNonNull(name, "name");
    this.source = Objects.requireNonNull(source, "source");
    this.bosToken = bosToken;
    this.eosToken = Objects.requireNonNull(eosToken, "eosToken");
    this.addsBosToken = addsBosToken;
    this.specialTokens = List.copyOf(specialTokens);
    this.engine = Objects.requireNonNull(engine, "engine");
    this.jinjavaSource = JinjavaDialect.adapt(source);
    this.kwargs = findKwargs(source);
  }

  public String name() {
    return name;
  }

  /** The published template text, as shipped under {@code chat-templates/jinja/}. */
  public String source() {
    return source;
  }

  /** The tokenizer's BOS text, or null when it has none (Qwen). */
  public String bosToken() {
    return bosToken;
  }

  public String eosToken() {
    return eosToken;
  }

  /**
   * True when the tokenizer prepends BOS on {@code add_special_tokens} ({@code add_bos_token} in
   * tokenizer_config.json: DeepSeek-R1-Distill yes, Qwen no).
   */
  public boolean addsBosToken() {
    return addsBosToken && bosToken != null;
  }

  /** Special-token texts of the tokenizer that the emulator treats as single tokens. */
  public List<String> specialTokens() {
    return specialTokens;
  }

  /**
   * Template-specific variables (kwargs) the template reads, e.g. {@code enable_thinking} for
   * Qwen3; empty for DeepSeek-R1. vLLM drops chat_template_kwargs the template does not use.
   */
  public Set<String> kwargs() {
    return kwargs;
  }

  public boolean usesKwarg(String kwarg) {
    return kwargs.contains(kwarg);
  }

  /**
   * Renders {@code messages} like transformers' {@code apply_chat_template(tokenize=False)}.
   *
   * @param messages chat messages: maps of role, content and optional fields (plain Java maps,
   *     lists, strings, numbers, booleans, null)
   * @param addGenerationPrompt append the assistant header (and what the template adds to it)
   * @param continueFinalMessage render the last message open: the output is cut right after its
   *     content, which must survive the template
   * @param kwargs extra template variables (chat_template_kwargs); null = none
   * @throws ChatTemplateException with transformers' message when both flags are set, when the
   *     final message does not appear in the rendered text, or when the template fails
   */
  public String render(
      List<? extends Map<String, ?>> messages,
      boolean addGenerationPrompt,
      boolean continueFinalMessage,
      Map<String, ?> kwargs) {
    Objects.requireNonNull(messages, "messages");
    if (continueFinalMessage && addGenerationPrompt) {
      throw new ChatTemplateException(BOTH_FLAGS);
    }
    Map<String, Object> context = new HashMap<>();
    if (kwargs != null) {
      context.putAll(kwargs);
    }
    List<Map<String, Object>> copies = new ArrayList<>();
    for (Map<String, ?> message : messages) {
      copies.add(new LinkedHashMap<>(message));
    }
    context.put("messages", copies);
    context.put("add_generation_prompt", addGenerationPrompt);
    context.put("bos_token", bosToken == null ? "" : bosToken);
    context.put("eos_token", eosToken);
    RenderResult result = engine.renderForResult(jinjavaSource, context);
    for (TemplateError error : result.getErrors()) {
      if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new ChatTemplateException(
            "template " + name + " failed: " + error.getMessage());
      }
    }
    String rendered = result.getOutput();
    return continueFinalMessage ? continueFinal(rendered, messages) : rendered;
  }

  /**
   * Whether a prefill sent as the final assistant message with {@code continue_final_message}
   * reaches the model exactly as if it were appended to the generation prompt, i.e. the chat
   * path's prompt equals {@code render(messages, true, false, kwargs) + prefill}. False when the
   * template refuses it (R1, QwQ: text before {@code </think>} is dropped), re-wraps it (Qwen3:
   * an open thought after {@code <think>\n\n</think>\n\n}) or renders the turn without the
   * generation prompt's own text (R1's {@code <think>\n}).
   *
   * @param messages the conversation without the prefill
   */
  public boolean keepsPrefill(
      List<? extends Map<String, ?>> messages, String prefill, Map<String, ?> kwargs) {
    List<Map<String, ?>> withPrefill = new ArrayList<>(messages);
    withPrefill.add(Map.of("role", "assistant", "content", prefill));
    try {
      String continued = render(withPrefill, false, true, kwargs);
      return continued.equals(render(messages, true, false, kwargs) + prefill);
    } catch (ChatTemplateException e) {
      return false;
    }
  }

  /** transformers' cut after the final message's content (chat_template_utils.py). */
  static String continueFinal(String rendered, List<? extends Map<String, ?>> messages) {
    if (messages.isEmpty()) {
      throw new ChatTemplateException(FINAL_MESSAGE_MISSING);
    }
    Object content = messages.get(messages.size() - 1).get("content");
    String finalMessage = textOf(content);
    String stripped = PythonStringMethods.strip(finalMessage, null, true, true);
    if (!rendered.contains(stripped)) {
      throw new ChatTemplateException(FINAL_MESSAGE_MISSING);
    }
    int at = rendered.lastIndexOf(stripped);
    String lstripped = PythonStringMethods.strip(finalMessage, null, true, false);
    int end = Math.min(rendered.length(), at + lstripped.length());
    if (rendered.substring(at, end).equals(finalMessage)) {
      return rendered.substring(0, at + lstripped.length());
    }
    return rendered.substring(0, at + stripped.length());
  }

  private static String textOf(Object content) {
    if (content instanceof String s) {
      return s;
    }
    if (content instanceof List<?> blocks) {
      for (int i = blocks.size() - 1; i >= 0; i--) {
        if (blocks.get(i) instanceof Map<?, ?> block && block.get("text") instanceof String text) {
          return text;
        }
      }
      throw new ChatTemplateException(
          "continue_final_message is set but we could not find any text to continuein the final"
              + " message!");
    }
    throw new ChatTemplateException(FINAL_MESSAGE_MISSING);
  }

  /** Identifiers read inside tags, less those the template assigns and Jinja's own words. */
  static Set<String> findKwargs(String source) {
    Set<String> assigned = new LinkedHashSet<>();
    Set<String> read = new LinkedHashSet<>();
    Matcher tag = TAG.matcher(source);
    while (tag.find()) {
      String body = STRING_LITERAL.matcher(tag.group(1)).replaceAll("''");
      Matcher set = ASSIGNED.matcher(body);
      while (set.find()) {
        assigned.add(set.group(1));
      }
      // keyword arguments (name=value) are not reads
      body = body.replaceAll("\\b[A-Za-z_]\\w*\\s*=(?!=)", "");
      Matcher id = IDENTIFIER.matcher(body);
      while (id.find()) {
        read.add(id.group(1));
      }
    }
    read.removeAll(assigned);
    read.removeAll(STANDARD_VARIABLES);
    read.removeAll(JINJA_WORDS);
    return Set.copyOf(read);
  }
}
