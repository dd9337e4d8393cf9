package dev.thinkgate.reasoning;

import dev.thinkgate.reasoning.jinja.JinjaChatTemplates;

/**
 * The chat templates prompts are rendered with: the models' published Jinja templates
 * ({@code deepseek-r1}, {@code qwen3}, {@code qwq}), loaded once and shared (Jinjava parses
 * lazily and is thread-safe). Immutable.
 */
public final class ChatTemplates {
  private static final ChatTemplates BUILT_IN = new ChatTemplates(new JinjaChatTemplates());

  private final JinjaChatTemplates jinja;

  private ChatTemplates(JinjaChatTemplates jinja) {
    this.jinja = jinja;
  }

  /** The shipped templates. */
  public static ChatTemplates builtIn() {
    return BUILT_IN;
  }

  /** The published templates (deepseek-r1, qwen3, qwq) that prompts are rendered with. */
  public JinjaChatTemplates jinja() {
    return jinja;
  }
}
