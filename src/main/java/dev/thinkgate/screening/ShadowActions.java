package dev.thinkgate.screening;

/**
 * The one meaning of {@code shadow_action} for every span (issue 13): the action enforcement of
 * the policy would have taken, the strongest over input, thinking and answer; {@code pass} only
 * when nothing would have been acted on. A span flagged under {@code action: log_only} records
 * {@code log_only} (flagged, nothing done), never a made-up stronger action.
 */
public final class ShadowActions {
  private ShadowActions() {}

  /** Strength of an action name: pass &lt; log_only &lt; redact &lt; hide_reasoning &lt; conditional &lt; restart &lt; block/refuse &lt; fail_closed. */
  public static int rank(String action) {
    if (action == null || action.equals("pass")) {
      return 0;
    }
    if (action.startsWith("conditional")) {
      return 4;
    }
    return switch (action) {
      case "log_only" -> 1;
      case "redact" -> 2;
      case "hide_reasoning" -> 3;
      case "restart_zerothink" -> 5;
      case "block", "refuse" -> 6;
      case "fail_closed" -> 7;
      default -> 1;
    };
  }

  /** The stronger of two actions; {@code a} on a tie, {@code pass} when both are null. */
  public static String stronger(String a, String b) {
    if (a == null) {
      return b == null ? "pass" : b;
    }
    return b != null && rank(b) > rank(a) ? b : a;
  }
}
