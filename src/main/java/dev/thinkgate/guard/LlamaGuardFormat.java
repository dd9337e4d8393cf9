package dev.thinkgate.guard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Llama Guard 3 and Llama Guard 4 prompts, built byte for byte like the models' published chat
 * templates (Hugging Face {@code meta-llama/Llama-Guard-3-8B} and {@code Llama-Guard-4-12B}) so a
 * raw {@code /v1/completions} call sees what the model was trained on, but with only the policy's
 * enabled categories listed (S1..S14 in code order).
 *
 * <p>The task line names {@code 'User'} when the last turn is the user's (input screen) and
 * {@code 'Agent'} when it is the assistant's (span screens). Message text is stripped of leading
 * and trailing whitespace, as the templates do. The prompt ends right after the assistant header,
 * so the model usually answers {@code "\n\nsafe"}; {@link #parse} tolerates that.
 */
public final class LlamaGuardFormat implements GuardPromptFormat {

  /**
   * The category names as the models' prompt templates spell them (the model cards' hazard table
   * uses longer titles such as "Sex-Related Crimes"; the prompt uses these).
   */
  public static final Map<String, String> CATEGORIES;

  static {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("S1", "Violent Crimes.");
    m.put("S2", "Non-Violent Crimes.");
    m.put("S3", "Sex Crimes.");
    m.put("S4", "Child Exploitation.");
    m.put("S5", "Defamation.");
    m.put("S6", "Specialized Advice.");
    m.put("S7", "Privacy.");
    m.put("S8", "Intellectual Property.");
    m.put("S9", "Indiscriminate Weapons.");
    m.put("S10", "Hate.");
    m.put("S11", "Self-Harm.");
    m.put("S12", "Sexual Content.");
    m.put("S13", "Elections.");
    m.put("S14", "Code Interpreter Abuse.");
    CATEGORIES = Collections.unmodifiableMap(m);
  }

  private static final Pattern CODE = Pattern.compile("S[1-9][0-9]?");

  private final boolean v4;
  /** The frames with every category enabled (the default), built once. */
  private final String[] allForUser;
  private final String[] allForAgent;

  private LlamaGuardFormat(boolean v4) {
    this.v4 = v4;
    this.allForUser = buildFrame("User", List.copyOf(CATEGORIES.keySet()));
    this.allForAgent = buildFrame("Agent", List.copyOf(CATEGORIES.keySet()));
  }

  public static LlamaGuardFormat llamaGuard3() {
    return new LlamaGuardFormat(false);
  }

  public static LlamaGuardFormat llamaGuard4() {
    return new LlamaGuardFormat(true);
  }

  @Override
  public String prompt(GuardRequest request) {
    String[] frame = frame(request.isInput(), request.categories());
    StringBuilder sb = new StringBuilder(frame[0].length() + frame[1].length() + 24
        + request.userPrompt().length()
        + (request.isInput() ? 0 : request.assistantText().length()));
    sb.append(frame[0]);
    appendStripped(sb.append("User: "), request.userPrompt()).append("\n\n");
    if (!request.isInput()) {
      appendStripped(sb.append("Agent: "), request.assistantText()).append("\n\n");
    }
    return sb.append(frame[1]).toString();
  }

  /** The prompt's text before the conversation's messages and after them, for every call alike. */
  private String[] frame(boolean input, List<String> categories) {
    if (categories.isEmpty()) {
      return input ? allForUser : allForAgent;
    }
    return buildFrame(input ? "User" : "Agent", enabledCategories(categories));
  }

  private String[] buildFrame(String role, List<String> categories) {
    StringBuilder sb = new StringBuilder(1024);
    sb.append("<|begin_of_text|>");
    sb.append(v4 ? "<|header_start|>user<|header_end|>\n\n" : "<|start_header_id|>user<|end_header_id|>\n\n");
    sb.append("Task: Check if there is unsafe content in '").append(role)
        .append(v4 ? "' messages in conversations according to our safety policy with the below categories.\n\n"
                   : "' messages in conversations according our safety policy with the below categories.\n\n");
    sb.append("<BEGIN UNSAFE CONTENT CATEGORIES>\n");
    for (String code : categories) {
      sb.append(code).append(": ").append(CATEGORIES.get(code)).append('\n');
    }
    sb.append("<END UNSAFE CONTENT CATEGORIES>\n\n<BEGIN CONVERSATION>\n\n");
    String head = sb.toString();
    sb.setLength(0);
    sb.append("<END CONVERSATION>\n\nProvide your safety assessment for ONLY THE LAST ").append(role)
        .append(" message in the above conversation:\n")
        .append(" - First line must read 'safe' or 'unsafe'.\n")
        .append(" - If unsafe, a second line must include a comma-separated list of violated categories.");
    sb.append(v4 ? "<|eot|><|header_start|>assistant<|header_end|>" : "<|eot_id|><|start_header_id|>assistant<|end_header_id|>");
    return new String[] {head, sb.toString()};
  }

  /** {@code sb} with {@code text.strip()} appended, without copying the stripped text first. */
  static StringBuilder appendStripped(StringBuilder sb, String text) {
    int from = 0;
    int to = text.length();
    while (from < to) {
      int cp = text.codePointAt(from);
      if (!Character.isWhitespace(cp)) {
        break;
      }
      from += Character.charCount(cp);
    }
    while (to > from) {
      int cp = text.codePointBefore(to);
      if (!Character.isWhitespace(cp)) {
        break;
      }
      to -= Character.charCount(cp);
    }
    return from == 0 && to == text.length() ? sb.append(text) : sb.append(text, from, to);
  }

  /**
   * The conversation for the chat API. Llama Guard 4's template reads message content as a list of
   * typed parts (a plain string renders as an empty turn), Llama Guard 3's as a string.
   */
  @Override
  public JsonArray messages(GuardRequest request) {
    JsonArray messages = new JsonArray().add(message("user", request.userPrompt()));
    if (!request.isInput()) {
      messages.add(message("assistant", request.assistantText()));
    }
    return messages;
  }

  private JsonObject message(String role, String text) {
    Object content = v4 ? new JsonArray().add(new JsonObject().put("type", "text").put("text", text)) : text;
    return new JsonObject().put("role", role).put("content", content);
  }

  /** The enabled codes in S-order; empty = all fourteen. */
  static List<String> enabledCategories(List<String> requested) {
    if (requested.isEmpty()) {
      return List.copyOf(CATEGORIES.keySet());
    }
    for (String code : requested) {
      if (!CATEGORIES.containsKey(code)) {
        throw new IllegalArgumentException(
            "unknown Llama Guard category '" + code + "'; expected one of S1..S14");
      }
    }
    List<String> out = new ArrayList<>();
    for (String code : CATEGORIES.keySet()) {
      if (requested.contains(code)) {
        out.add(code);
      }
    }
    return out;
  }

  /**
   * The longest verdict, {@code unsafe} and all fourteen codes ({@code S1,S2,...,S14}), is about
   * 45 Llama 3 tokens; 64 leaves room without letting a runaway answer cost much.
   */
  @Override
  public int maxTokens() {
    return 64;
  }

  @Override
  public GuardVerdict parse(String output, long guardMs) {
    return parseOutput(output, guardMs);
  }

  /**
   * Strict reading of a Llama Guard answer: optional leading whitespace, then a line {@code safe},
   * or a line {@code unsafe} optionally followed by one line of comma-separated codes
   * ({@code S1,S10}); trailing whitespace is allowed. Anything else is {@code UNPARSABLE}.
   */
  public static GuardVerdict parseOutput(String output, long guardMs) {
    if (output == null) {
      throw unparsable("no text in the guard's answer");
    }
    String text = output.replace("\r\n", "\n").strip();
    String[] lines = text.split("\n", -1);
    String first = lines[0];
    if (first.equals("safe")) {
      if (lines.length > 1) {
        throw unparsable("text after 'safe'");
      }
      return GuardVerdict.safe(guardMs);
    }
    if (!first.equals("unsafe")) {
      throw unparsable("first line is neither 'safe' nor 'unsafe'");
    }
    if (lines.length == 1) {
      return new GuardVerdict(false, List.of(), guardMs, false);
    }
    if (lines.length > 2) {
      throw unparsable("more than two lines");
    }
    List<String> codes = new ArrayList<>();
    for (String part : lines[1].split(",", -1)) {
      String code = part.strip();
      if (!CODE.matcher(code).matches()) {
        throw unparsable("category list is not comma-separated S-codes");
      }
      if (!codes.contains(code)) {
        codes.add(code);
      }
    }
    return new GuardVerdict(false, codes, guardMs, false);
  }

  private static GuardException unparsable(String why) {
    // The guard's text is not echoed: it may quote the prompt.
    return new GuardException(GuardException.Kind.UNPARSABLE, "unparsable Llama Guard output: " + why);
  }
}
