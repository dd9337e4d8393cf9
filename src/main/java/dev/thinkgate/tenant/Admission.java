package dev.thinkgate.tenant;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** The limiter's answer to one request: admitted (release it at the end) or rejected. */
public sealed interface Admission permits Admission.Admitted, Admission.Rejected {

  boolean admitted();

  /**
   * An admitted request holds one concurrent-stream permit until {@link #release()}. Call it when
   * the response ends, however it ends; extra calls do nothing, so every exit path may call it.
   */
  final class Admitted implements Admission {
    private final Runnable onRelease;
    private final AtomicBoolean released = new AtomicBoolean();

    Admitted(AtomicInteger inFlight) {
      this((Runnable) inFlight::decrementAndGet);
    }

    /** @param onRelease runs once, on the first {@link #release()} (e.g. drops a shared lease) */
    Admitted(Runnable onRelease) {
      this.onRelease = java.util.Objects.requireNonNull(onRelease, "onRelease");
    }

    @Override
    public boolean admitted() {
      return true;
    }

    /** Returns the permit; idempotent and thread-safe. */
    public void release() {
      if (released.compareAndSet(false, true)) {
        onRelease.run();
      }
    }

    public boolean released() {
      return released.get();
    }
  }

  /**
   * @param retryAfterSeconds for the {@code Retry-After} header; at least 1
   * @param reason which limit was hit
   * @param message for the client's 429 body; names the limit, never a key
   */
  record Rejected(long retryAfterSeconds, Reason reason, String message) implements Admission {
    public Rejected {
      if (retryAfterSeconds < 1) {
        throw new IllegalArgumentException("retryAfterSeconds must be ≥ 1: " + retryAfterSeconds);
      }
    }

    @Override
    public boolean admitted() {
      return false;
    }
  }

  enum Reason {
    REQUESTS_PER_MINUTE,
    CONCURRENT_STREAMS,
    /** The shared state store (Redis) failed and the policy fails closed. */
    STATE_UNAVAILABLE;

    /** The metric label spelling. */
    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
