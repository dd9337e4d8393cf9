package dev.thinkgate.guard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Qwen3Guard-Gen: sent as chat messages only (its policy lives in the server's chat template, so
 * a tenant cannot narrow categories). The answer reads {@code Safety: Safe|Unsafe|Controversial},
 * then {@code Categories: a, b} and, for responses, {@code Refusal: Yes|No}.
 *
 * <p>{@code Controversial} is reported as unsafe with the marker category {@link #CONTROVERSIAL}
 * first, so the screening policy (which owns {@code controversial_as}) can decide; the cache stays
 * policy-independent.
 */
public final class Qwen3GuardFormat implements GuardPromptFormat {

  /** Marker category on a verdict the guard called {@code Controversial}. */
  public static final String CONTROVERSIAL = "Controversial";

  private static final Pattern SAFETY = Pattern.compile("Safety:\\s*(Safe|Unsafe|Controversial)");
  private static final Pattern CATEGORIES = Pattern.compile("Categories:\\s*(.*)");
  private static final Pattern REFUSAL = Pattern.compile("Refusal:\\s*(Yes|No)");

  @Override
  public String prompt(GuardRequest request) {
    throw new UnsupportedOperationException("Qwen3Guard is only called through the chat API");
  }

  /**
   * The model card generates with {@code max_new_tokens=128}: a response verdict lists its
   * severity, several categories and a {@code Refusal:} line, which 20 tokens can cut.
   */
  static final int MAX_TOKENS = 128;

  @Override
  public int maxTokens() {
    return MAX_TOKENS;
  }

  @Override
  public boolean supportsCompletions() {
    return false;
  }

  @Override
  public JsonArray messages(GuardRequest request) {
    JsonArray messages = new JsonArray()
        .add(new JsonObject().put("role", "user").put("content", request.userPrompt()));
    if (!request.isInput()) {
      messages.add(new JsonObject().put("role", "assistant").put("content", request.assistantText()));
    }
    return messages;
  }

  @Override
  public GuardVerdict parse(String output, long guardMs) {
    if (output == null) {
      throw unparsable("no text in the guard's answer");
    }
    List<String> lines = new ArrayList<>();
    for (String line : output.replace("\r\n", "\n").strip().split("\n")) {
      if (!line.isBlank()) {
        lines.add(line.strip());
      }
    }
    if (lines.isEmpty()) {
      throw unparsable("empty answer");
    }
    Matcher safety = SAFETY.matcher(lines.get(0));
    if (!safety.matches()) {
      throw unparsable("first line is not 'Safety: Safe|Unsafe|Controversial'");
    }
    List<String> categories = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      Matcher cat = CATEGORIES.matcher(lines.get(i));
      if (cat.matches()) {
        for (String c : cat.group(1).split(",")) {
          String name = c.strip();
          if (!name.isEmpty() && !name.equals("None") && !categories.contains(name)) {
            categories.add(name);
          }
        }
      } else if (!REFUSAL.matcher(lines.get(i)).matches()) {
        throw unparsable("unexpected line in the answer");
      }
    }
    switch (safety.group(1)) {
      case "Safe":
        return GuardVerdict.safe(guardMs);
      case "Unsafe":
        return new GuardVerdict(false, categories, guardMs, false);
      default:
        List<String> marked = new ArrayList<>();
        marked.add(CONTROVERSIAL);
        marked.addAll(categories);
        return new GuardVerdict(false, marked, guardMs, false);
    }
  }

  private static GuardException unparsable(String why) {
    return new GuardException(GuardException.Kind.UNPARSABLE, "unparsable Qwen3Guard output: " + why);
  }
}
