package dev.thinkgate.state;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Counts what the gateway did when the shared state (Redis) failed or was too slow, as
 * {@code thinkgate_state_errors_total{operation, decision}}, and logs an outage once: a warning
 * at its first error and a line when Redis answers again.
 */
public final class StateErrors {
  private static final Logger LOG = Logger.getLogger(StateErrors.class.getName());

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final AtomicBoolean degraded = new AtomicBoolean();

  public StateErrors(MeterRegistry registry) {
    this.registry = java.util.Objects.requireNonNull(registry, "registry");
  }

  /**
   * @param operation what failed: {@code admission}, {@code lease_refresh}, {@code lease_release},
   *     {@code cache_get}, {@code cache_put}
   * @param decision what the gateway did instead: {@code fail_open}, {@code fail_closed},
   *     {@code guard_called}, {@code skipped}
   */
  public void record(String operation, String decision, Throwable cause) {
    counters.computeIfAbsent(operation + '|' + decision, k -> Counter.builder("thinkgate_state_errors")
        .description("Shared-state (Redis) failures and timeouts, by what the gateway did instead")
        .tag("operation", operation).tag("decision", decision).register(registry)).increment();
    if (degraded.compareAndSet(false, true)) {
      LOG.warning("shared state (Redis) failed during " + operation + " (" + cause
          + "); decision: " + decision + "; further failures are counted in"
          + " thinkgate_state_errors_total until Redis answers again");
    }
  }

  /** Call on every successful answer; logs the end of an outage once. */
  public void answered() {
    if (degraded.get() && degraded.compareAndSet(true, false)) {
      LOG.info("shared state (Redis) answers again; shared limits and caches apply");
    }
  }

  /** Decisions recorded for {@code operation} and {@code decision} so far. */
  public long count(String operation, String decision) {
    Counter c = counters.get(operation + '|' + decision);
    return c == null ? 0 : (long) c.count();
  }

  public boolean degraded() {
    return degraded.get();
  }
}
