package dev.thinkgate.reasoning;

import dev.thinkgate.api.openai.OpenAiException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The chat templates a {@code completions} route may name, by name. Immutable. */
public final class ChatTemplates {
  /** Names shipped under {@code src/main/resources/chat-templates/}. */
  public static final Set<String> BUILT_IN_NAMES = Set.of("deepseek-r1", "qwen3");

  private final Map<String, ChatTemplate> byName;

  /** The published Jinja templates, loaded once (Jinjava parses lazily and is thread-safe). */
  private static final class Jinja {
    static final dev.thinkgate.reasoning.jinja.JinjaChatTemplates TEMPLATES =
        new dev.thinkgate.reasoning.jinja.JinjaChatTemplates();
  }

  /** The published templates (deepseek-r1, qwen3, qwq) that prompts are rendered with. */
  public dev.thinkgate.reasoning.jinja.JinjaChatTemplates jinja() {
    return Jinja.TEMPLATES;
  }

  public ChatTemplates(Map<String, ChatTemplate> byName) {
    this.byName = Map.copyOf(byName);
  }

  /** Loads the built-in templates from the class path. */
  public static ChatTemplates builtIn() {
    Map<String, ChatTemplate> templates = new LinkedHashMap<>();
    for (String name : BUILT_IN_NAMES) {
      templates.put(name, ChatTemplate.fromJson(name, readResource(name)));
    }
    return new ChatTemplates(templates);
  }

  private static JsonObject readResource(String name) {
    String path = "/chat-templates/" + name + ".json";
    try (InputStream in = ChatTemplates.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("chat template resource missing: " + path);
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read chat template " + path, e);
    }
  }

  public boolean contains(String name) {
    return byName.containsKey(name);
  }

  public Set<String> names() {
    return byName.keySet();
  }

  /**
   * @throws OpenAiException 500 naming the unknown template and the known ones (a route
   *     configuration error, which config validation should have caught)
   */
  public ChatTemplate get(String name) {
    ChatTemplate template = byName.get(name);
    if (template == null) {
      throw new OpenAiException(500, "server_error", "The route's chat_template '" + name
          + "' is unknown; known templates: " + String.join(", ", new java.util.TreeSet<>(names())),
          null, "unknown_chat_template");
    }
    return template;
  }
}
