package dev.thinkgate.audit;

import java.io.PrintStream;

/**
 * The skipped inputs of one read (bad lines, bad messages): each is counted, the first
 * {@value #SHOWN} are reported where they are, the rest in one line at the end. Not thread-safe.
 */
final class SkipWarnings {
  static final int SHOWN = 20;

  private final PrintStream out;
  private long count;

  SkipWarnings(PrintStream out) {
    this.out = out;
  }

  /** Counts one skipped input and reports it while fewer than {@value #SHOWN} have been. */
  void skip(String message) {
    count++;
    if (count <= SHOWN) {
      out.println("warning: " + message);
    }
  }

  long count() {
    return count;
  }

  /** The line for those not reported one by one, e.g. {@code 3 more bad lines skipped}. */
  void finish(String what) {
    if (count > SHOWN) {
      out.println("warning: " + (count - SHOWN) + " more bad " + what + " skipped");
    }
  }
}
