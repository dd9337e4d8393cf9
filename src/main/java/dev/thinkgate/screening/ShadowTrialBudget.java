package dev.thinkgate.screening;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Per shadow policy, how many live trials may run at once (issue 13). Over budget the trial is
 * skipped for that request and counted; the served request never waits for a slot. Thread-safe:
 * shared by all event loops.
 */
public final class ShadowTrialBudget {
  /** Trials of one policy in flight at once, when not configured otherwise. */
  public static final int DEFAULT_MAX_CONCURRENT = 64;

  private final int maxConcurrent;
  private final Consumer<String> onSkipped;
  private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

  /**
   * @param maxConcurrent at least 0 (0 disables trials)
   * @param onSkipped told the shadow policy's name when a trial is skipped (metrics)
   */
  public ShadowTrialBudget(int maxConcurrent, Consumer<String> onSkipped) {
    if (maxConcurrent < 0) {
      throw new IllegalArgumentException("maxConcurrent must be >= 0, was " + maxConcurrent);
    }
    this.maxConcurrent = maxConcurrent;
    this.onSkipped = onSkipped == null ? p -> { } : onSkipped;
  }

  /** True when a slot was taken (give it back with {@link #release}); false: skipped, counted. */
  public boolean tryAcquire(String policy) {
    AtomicInteger n = inFlight.computeIfAbsent(policy, k -> new AtomicInteger());
    while (true) {
      int cur = n.get();
      if (cur >= maxConcurrent) {
        onSkipped.accept(policy);
        return false;
      }
      if (n.compareAndSet(cur, cur + 1)) {
        return true;
      }
    }
  }

  public void release(String policy) {
    AtomicInteger n = inFlight.get(policy);
    if (n != null) {
      n.decrementAndGet();
    }
  }

  public int inFlight(String policy) {
    AtomicInteger n = inFlight.get(policy);
    return n == null ? 0 : n.get();
  }
}
