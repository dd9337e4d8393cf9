package dev.thinkgate.reasoning;

/**
 * How a route with {@code dialect: auto} sends prefills, as its server's probe decided (issue
 * #15). Immutable.
 *
 * @param path {@link Path#CHAT}: the prefill as the final assistant message
 *     ({@code continue_final_message}); {@link Path#COMPLETIONS}: {@code /v1/completions} with
 *     the prompt rendered by {@code template}
 * @param template the shipped chat template that renders this server's prompts, or null when
 *     none does
 * @param state what the probe found
 * @param reason one line for the log, {@code /admin/config} and {@code policy check --probe}
 */
public record PrefillRoute(Path path, String template, State state, String reason) {
  public enum Path { CHAT, COMPLETIONS }

  public enum State {
    /** Not probed yet: the chat path, as before. */
    PENDING,
    /** Probed: the path is known to keep every prefill. */
    VERIFIED,
    /** The server cannot be probed (no {@code /tokenize}): the chat path, unverified. */
    UNPROBED,
    /**
     * The server cannot be probed, but the model's name names a shipped template: the
     * completions path with it.
     */
    BY_MODEL_NAME,
    /** The server's template drops or changes the prefill and no shipped template matches. */
    UNRESOLVED
  }

  public static final PrefillRoute PENDING =
      new PrefillRoute(Path.CHAT, null, State.PENDING, "not probed yet");

  public static PrefillRoute chat(String template, String reason) {
    return new PrefillRoute(Path.CHAT, template, State.VERIFIED, reason);
  }

  public static PrefillRoute completions(String template, String reason) {
    return new PrefillRoute(Path.COMPLETIONS, template, State.VERIFIED, reason);
  }

  public static PrefillRoute unprobed(String reason) {
    return new PrefillRoute(Path.CHAT, null, State.UNPROBED, reason);
  }

  public static PrefillRoute byModelName(String template, String reason) {
    return new PrefillRoute(Path.COMPLETIONS, template, State.BY_MODEL_NAME, reason);
  }

  public static PrefillRoute unresolved(String reason) {
    return new PrefillRoute(Path.CHAT, null, State.UNRESOLVED, reason);
  }

  /** True when a prefill sent on this route is known to reach the model intact. */
  public boolean prefillSafe() {
    return state == State.VERIFIED || state == State.BY_MODEL_NAME;
  }
}
