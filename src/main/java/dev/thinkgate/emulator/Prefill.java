package dev.thinkgate.emulator;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The assistant text a request prefilled, as the model sees it.
 *
 * @param state whether the prefill left the thought open, closed it, or there is none
 * @param thought the thinking text inside the prefill (tags removed)
 */
public record Prefill(State state, String thought) {
  public enum State {
    /** No prefill (or an empty one): the model thinks from scratch. */
    NONE,
    /** The thought was opened and not closed: the model continues thinking. */
    OPEN,
    /** The prefill contains {@code </think>}: the model only answers. */
    CLOSED
  }

  /** MoreThink's continuation words, appended right after the text of a finished round. */
  private static final Pattern CONTINUATION_CUE = Pattern.compile("(Wait|Let me think again)");

  public static final Prefill NONE = new Prefill(State.NONE, "");

  public Prefill {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(thought, "thought");
  }

  /**
   * Reads an assistant prefill. A prefill holding {@code </think>} is closed; a non-blank one
   * without it is an open thought (an opening {@code <think>} is optional because DeepSeek-R1
   * templates put it in the prompt).
   */
  public static Prefill of(String assistantText) {
    if (assistantText == null) {
      return NONE;
    }
    String text = assistantText.stripLeading();
    int lastClose = text.lastIndexOf("</think>");
    int reopened = text.lastIndexOf("<think>");
    if (lastClose >= 0 && reopened > lastClose) {
      // a new thought after a closed one (Qwen3's template wraps a prefill after an empty
      // thought): the model continues the latest thought
      text = text.substring(reopened);
    }
    boolean opened = text.startsWith("<think>");
    if (opened) {
      text = text.substring("<think>".length());
    }
    int close = text.indexOf("</think>");
    if (close >= 0) {
      return new Prefill(State.CLOSED, text.substring(0, close).strip());
    }
    if (text.isBlank()) {
      return opened ? new Prefill(State.OPEN, "") : NONE;
    }
    return new Prefill(State.OPEN, text);
  }

  /** True for an open thought with text in it (continuation rather than a fresh start). */
  public boolean continuesThought() {
    return state == State.OPEN && !thought.isBlank();
  }

  /** True when the open thought ends with a MoreThink cue ({@code Wait}, {@code Let me think again}). */
  public boolean endsWithContinuationCue() {
    String t = thought.stripTrailing();
    return state == State.OPEN && (t.endsWith("Wait") || t.endsWith("Let me think again"));
  }

  /**
   * The thought up to the first continuation cue: identical across MoreThink rounds of one sample,
   * so every round of a sample makes the same choice.
   */
  public String thoughtBeforeCues() {
    Matcher m = CONTINUATION_CUE.matcher(thought);
    return m.find() ? thought.substring(0, m.start()) : thought;
  }
}
