package dev.thinkgate.proxy;

/**
 * How a shutdown drain went.
 *
 * @param openAtStart generation requests open when the drain began
 * @param endedAtDeadline requests ended with a {@code shutting_down} error at the drain timeout
 * @param abandoned requests still open after the deadline's grace (their audit record may be
 *     missing)
 * @param elapsedMs from the start of the drain to its end
 */
public record DrainReport(int openAtStart, int endedAtDeadline, int abandoned, long elapsedMs) {
  /** Requests that ran to their own end during the drain. */
  public int finished() {
    return Math.max(0, openAtStart - endedAtDeadline - abandoned);
  }
}
