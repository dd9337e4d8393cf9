package dev.thinkgate.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The policies the benchmark runs, as policy-file YAML (parsed by the real policy loader). The
 * reasoning ones match the repository's {@code policies/}; the screening ones isolate one release
 * mode each, with no input screen, so the guard cost measured is the span screening alone.
 */
final class BenchPolicies {
  static final String PASSTHROUGH = "passthrough";
  /**
   * Passthrough that records every request: each chunk's text read for the record, no screen and
   * no guard. What any screening policy does at least, priced against passthrough (issue #12).
   */
  static final String PASSTHROUGH_AUDITED = "passthrough-audited";
  static final String ZEROTHINK = "zerothink";
  static final String LESSTHINK = "lessthink";
  static final String MORETHINK = "morethink-small";
  static final String GUARD_HOLD = "guard-hold";
  static final String GUARD_HOLD_STALLABLE = "guard-hold-stallable";
  static final String GUARD_OPTIMISTIC = "guard-optimistic";
  /** The shipped {@code policies/balanced.yaml}, for the relay scenario (issue #12 measured it). */
  static final String BALANCED = "balanced";
  /** Checkpoint interval of the screening policies. */
  static final int CHECKPOINT_TOKENS = 64;
  /** Thinking rounds of {@link #MORETHINK}: its thinking budget is this many times --think-tokens. */
  static final int MORETHINK_ROUNDS = 3;

  private BenchPolicies() {}

  static Map<String, String> yaml(int thinkTokens, int answerTokens) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put(PASSTHROUGH, "description: Nothing rewritten, nothing screened.\n");
    files.put(PASSTHROUGH_AUDITED, "description: Nothing rewritten or screened; every request"
        + " recorded.\naudit:\n  sample_rate: 1.0\n");
    files.put(ZEROTHINK, "reasoning:\n  mode: zerothink\n");
    files.put(LESSTHINK, "reasoning:\n  mode: lessthink\n  show_prefill: false\n");
    int budget = MORETHINK_ROUNDS * thinkTokens;
    files.put(MORETHINK, """
        reasoning:
          mode: morethink
          morethink:
            think_budget: %d
            max_rounds: 10
            total_max_tokens: %d
            continuations: ["Wait", "Let me think again"]
        """.formatted(budget, budget + 2 * answerTokens + 64));
    files.put(GUARD_HOLD, screening("default", "hold", "hide_reasoning"));
    files.put(GUARD_HOLD_STALLABLE, screening("stallable", "hold", "hide_reasoning"));
    files.put(GUARD_OPTIMISTIC, screening("default", "optimistic", "block"));
    files.put(BALANCED, """
        reasoning:
          mode: passthrough
          on_unsafe_input: zerothink
        screening:
          guard: default
          input:
            action: conditional
          thinking:
            release: optimistic
            action: hide_reasoning
          answer:
            release: optimistic
            action: block
          checkpoint_tokens: 64
          window_tokens: 2048
          on_guard_error: fail_open
        audit:
          sample_rate: 0.1
        """);
    return files;
  }

  private static String screening(String guard, String release, String thinkingAction) {
    return """
        screening:
          guard: %s
          thinking:
            release: %s
            action: %s
          answer:
            release: %s
            action: block
          checkpoint_tokens: %d
          window_tokens: 2048
          on_guard_error: fail_open
        audit:
          sample_rate: 1.0
        """.formatted(guard, release, thinkingAction, release, CHECKPOINT_TOKENS);
  }
}
