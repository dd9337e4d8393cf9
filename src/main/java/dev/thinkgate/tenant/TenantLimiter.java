package dev.thinkgate.tenant;

import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * Per-tenant admission: a token bucket for requests per minute (capacity one minute's worth,
 * refilled continuously) and a counter of concurrent streams.
 *
 * <p>Thread-safe. Each tenant has its own state and its own lock, so a tenant over its limit
 * never slows another. State is keyed by tenant name and kept as long as the tenant's limits are
 * unchanged, so a config reload does not reset buckets; when limits change the in-flight count
 * carries over and the bucket keeps its tokens up to the new capacity.
 */
public final class TenantLimiter {
  private static final long NANOS_PER_MINUTE = TimeUnit.MINUTES.toNanos(1);

  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<String, TenantState> states = new ConcurrentHashMap<>();

  /** @param nanoClock monotonic nanoseconds, e.g. {@code System::nanoTime} */
  public TenantLimiter(LongSupplier nanoClock) {
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  /**
   * Admits or rejects one request of {@code tenant}. An admitted request holds a stream permit
   * until its {@link Admission.Admitted#release()}.
   */
  public Admission tryAcquire(Tenant tenant) {
    TenantState state = stateOf(tenant);
    Tenant.Limits limits = state.limits;
    if (!state.tryAcquireStream()) {
      return new Admission.Rejected(1, Admission.Reason.CONCURRENT_STREAMS, "Tenant '"
          + tenant.name() + "' already has " + limits.maxConcurrentStreams()
          + " concurrent requests in flight, its limit; retry when one finishes");
    }
    long waitNanos = state.tryTakeToken(nanoClock.getAsLong());
    if (waitNanos > 0) {
      state.inFlight.decrementAndGet();
      long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
      return new Admission.Rejected(seconds, Admission.Reason.REQUESTS_PER_MINUTE, "Tenant '"
          + tenant.name() + "' exceeded its limit of " + limits.requestsPerMinute()
          + " requests per minute; retry in " + seconds + " s");
    }
    return new Admission.Admitted(state.inFlight);
  }

  /**
   * Counts a stream admitted elsewhere (by the shared limiter) against this replica's concurrent
   * streams, without a token and without a limit check, so that when the shared state fails and
   * admission falls back to this limiter, streams already open here still count.
   */
  public Admission.Admitted track(Tenant tenant) {
    TenantState state = stateOf(tenant);
    state.inFlight.incrementAndGet();
    return new Admission.Admitted(state.inFlight);
  }

  /** Requests of {@code tenantName} admitted and not yet released. */
  public int inFlight(String tenantName) {
    TenantState state = states.get(tenantName);
    return state == null ? 0 : state.inFlight.get();
  }

  /** Forgets tenants that are no longer configured (call after a reload). */
  public void retainOnly(Collection<Tenant> tenants) {
    Set<String> names = tenants.stream().map(Tenant::name).collect(Collectors.toSet());
    states.keySet().retainAll(names);
  }

  private TenantState stateOf(Tenant tenant) {
    TenantState state = states.get(tenant.name());
    if (state != null && state.limits.equals(tenant.limits())) {
      return state;
    }
    return states.compute(tenant.name(), (name, old) -> {
      if (old == null) {
        return new TenantState(tenant.limits(), new AtomicInteger(), nanoClock.getAsLong(), -1);
      }
      if (old.limits.equals(tenant.limits())) {
        return old;
      }
      return new TenantState(tenant.limits(), old.inFlight, nanoClock.getAsLong(),
          old.tokensNow(nanoClock.getAsLong()));
    });
  }

  /** One tenant's counters; the bucket is guarded by this object's monitor. */
  private static final class TenantState {
    final Tenant.Limits limits;
    final AtomicInteger inFlight;
    private final double capacity;
    private final double tokensPerNano;
    private double tokens;
    private long lastRefillNanos;

    /** @param carriedTokens tokens kept from the previous limits, or negative for a full bucket */
    TenantState(Tenant.Limits limits, AtomicInteger inFlight, long now, double carriedTokens) {
      this.limits = limits;
      this.inFlight = inFlight;
      this.capacity = limits.requestsPerMinute();
      this.tokensPerNano = capacity / NANOS_PER_MINUTE;
      this.tokens = carriedTokens < 0 ? capacity : Math.min(capacity, carriedTokens);
      this.lastRefillNanos = now;
    }

    boolean tryAcquireStream() {
      int max = limits.maxConcurrentStreams();
      while (true) {
        int current = inFlight.get();
        if (max > 0 && current >= max) {
          return false;
        }
        if (inFlight.compareAndSet(current, current + 1)) {
          return true;
        }
      }
    }

    /** Takes one token: 0 when taken, else the nanoseconds until one is available. */
    synchronized long tryTakeToken(long now) {
      if (limits.requestsPerMinute() == 0) {
        return 0;
      }
      refill(now);
      if (tokens >= 1.0) {
        tokens -= 1.0;
        return 0;
      }
      return (long) Math.ceil((1.0 - tokens) / tokensPerNano);
    }

    synchronized double tokensNow(long now) {
      if (limits.requestsPerMinute() == 0) {
        return -1;
      }
      refill(now);
      return tokens;
    }

    private void refill(long now) {
      long elapsed = now - lastRefillNanos;
      if (elapsed > 0) {
        tokens = Math.min(capacity, tokens + elapsed * tokensPerNano);
        lastRefillNanos = now;
      }
    }
  }
}
