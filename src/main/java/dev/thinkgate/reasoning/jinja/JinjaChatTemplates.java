package dev.thinkgate.reasoning.jinja;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The published chat templates of DeepSeek-R1-Distill ({@code deepseek-r1}), Qwen3 ({@code
 * qwen3}) and QwQ ({@code qwq}), shipped under {@code chat-templates/jinja/} (sources in
 * SOURCES.md there) and rendered with Jinjava configured like transformers' environment
 * ({@code trim_blocks}, {@code lstrip_blocks}) plus Python's str methods. Thread-safe.
 */
public final class JinjaChatTemplates {
  /** Shipped template names. */
  public static final List<String> NAMES = List.of("deepseek-r1", "qwen3", "qwq");

  private static final String R1_BOS = "<｜begin▁of▁sentence｜>";
  private static final String R1_EOS = "<｜end▁of▁sentence｜>";

  private final Map<String, JinjaChatTemplate> templates = new LinkedHashMap<>();

  /** Loads every shipped template. */
  public JinjaChatTemplates() {
    Jinjava engine = newEngine();
    List<String> r1Special = List.of(R1_BOS, R1_EOS, "<｜User｜>", "<｜Assistant｜>", "<think>",
        "</think>", "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>",
        "<｜tool▁call▁end｜>", "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>",
        "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>", "<｜tool▁sep｜>");
    List<String> qwenSpecial = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>",
        "</think>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>");
    templates.put("deepseek-r1", new JinjaChatTemplate(
        "deepseek-r1", read("deepseek-r1"), R1_BOS, R1_EOS, true, r1Special, engine));
    templates.put("qwen3", new JinjaChatTemplate(
        "qwen3", read("qwen3"), null, "<|im_end|>", false, qwenSpecial, engine));
    templates.put("qwq", new JinjaChatTemplate(
        "qwq", read("qwq"), null, "<|im_end|>", false, qwenSpecial, engine));
  }

  /**
   * The named template.
   *
   * @throws IllegalArgumentException when the name is not one of {@link #NAMES}
   */
  public JinjaChatTemplate get(String name) {
    JinjaChatTemplate template = templates.get(name);
    if (template == null) {
      throw new IllegalArgumentException(
          "chat template '" + name + "' is not one of " + String.join(", ", NAMES));
    }
    return template;
  }

  /** {@link JinjaChatTemplate#render} of the named template. */
  public String render(
      String template,
      List<? extends Map<String, ?>> messages,
      boolean addGenerationPrompt,
      boolean continueFinalMessage,
      Map<String, ?> kwargs) {
    return get(template).render(messages, addGenerationPrompt, continueFinalMessage, kwargs);
  }

  /** {@link JinjaChatTemplate#kwargs} of the named template. */
  public Set<String> kwargs(String template) {
    return get(template).kwargs();
  }

  static Jinjava newEngine() {
    LegacyOverrides python = LegacyOverrides.newBuilder()
        .withUseNaturalOperatorPrecedence(true)
        .withParseWhitespaceControlStrictly(true)
        .withUseTrimmingForNotesAndExpressions(true)
        .withKeepNullableLoopValues(true)
        .build();
    JinjavaConfig config = JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(true)
        .withLegacyOverrides(python)
        .withElResolver(
            PythonStringMethods.over(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE))
        .build();
    return new Jinjava(config);
  }

  private static String read(String name) {
    String path = "/chat-templates/jinja/" + name + ".jinja";
    try (InputStream in = JinjaChatTemplates.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
