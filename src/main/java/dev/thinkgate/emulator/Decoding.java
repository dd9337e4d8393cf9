package dev.thinkgate.emulator;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the model's raw output into the tokens a request actually receives, the way vLLM ends a
 * generation: at the earliest stop string (excluded unless asked; finish {@code stop},
 * {@code stop_reason} = the string), at {@code max_tokens} (finish {@code length}), else at EOS
 * (finish {@code stop}, {@code stop_reason} null).
 *
 * <p>A token is a whitespace-separated word with its leading whitespace; {@code <think>} and
 * {@code </think>} are tokens of their own. Concatenating the tokens gives the text exactly.
 *
 * @param stopReason the matched stop string, or null
 */
public record Decoding(List<String> tokens, String finishReason, String stopReason) {
  private static final Pattern TOKEN =
      Pattern.compile("\\s*(?:</?think>|(?:(?!</?think>)\\S)+)|\\s+$");

  public Decoding {
    tokens = List.copyOf(tokens);
  }

  public String text() {
    return String.join("", tokens);
  }

  /**
   * The same ending with the last {@code chars} characters of the text lost, as vLLM's streaming
   * loses the stop-string hold-back when a reasoning parser meets {@code </think>}.
   */
  public Decoding dropTail(int chars) {
    String text = text();
    int keep = Math.max(0, text.length() - Math.max(0, chars));
    return new Decoding(tokenize(text.substring(0, keep)), finishReason, stopReason);
  }

  /** Splits text into tokens; the concatenation of the result equals {@code text}. */
  public static List<String> tokenize(String text) {
    List<String> tokens = new ArrayList<>();
    Matcher m = TOKEN.matcher(text);
    while (m.find()) {
      if (!m.group().isEmpty()) {
        tokens.add(m.group());
      }
    }
    return tokens;
  }

  /** Counts tokens the way {@link #tokenize} splits them, without building the list. */
  public static int countWords(String text) {
    return tokenize(text).size();
  }

  /**
   * @param maxTokens null for no limit
   */
  public static Decoding decode(
      String raw, List<String> stops, Integer maxTokens, boolean includeStopString) {
    String text = raw;
    String matchedStop = null;
    int earliest = Integer.MAX_VALUE;
    for (String stop : stops) {
      if (stop.isEmpty()) {
        continue;
      }
      int at = raw.indexOf(stop);
      if (at >= 0 && at < earliest) {
        earliest = at;
        matchedStop = stop;
      }
    }
    if (matchedStop != null) {
      text = raw.substring(0, includeStopString ? earliest + matchedStop.length() : earliest);
    }
    List<String> tokens = tokenize(text);
    if (maxTokens != null && tokens.size() > maxTokens) {
      return new Decoding(tokens.subList(0, maxTokens), "length", null);
    }
    // A stop string only counts as reached when it was generated within max_tokens.
    if (matchedStop != null && maxTokens != null && !includeStopString
        && tokens.size() == maxTokens) {
      return new Decoding(tokens, "length", null);
    }
    return new Decoding(tokens, "stop", matchedStop);
  }
}
