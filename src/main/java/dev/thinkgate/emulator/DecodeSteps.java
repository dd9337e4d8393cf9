package dev.thinkgate.emulator;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The emulated engine's decode step. vLLM batches every running sequence into one forward pass,
 * so all streams gain their next token at the same moment, once per step; a paced stream here
 * likewise waits for the next step of its event loop instead of keeping a timer of its own. One
 * periodic timer per event loop runs while any stream waits, so 256 streams at 100 tokens/s cost
 * 100 wake-ups a second, not 25,600.
 */
final class DecodeSteps {
  private final Vertx vertx;
  private final long stepMs;
  private final Map<Thread, LoopSteps> byLoop = new ConcurrentHashMap<>();

  /** @param tokensPerSecond the engine's pace per stream; one step per token */
  DecodeSteps(Vertx vertx, double tokensPerSecond) {
    if (!(tokensPerSecond > 0)) {
      throw new IllegalArgumentException("tokensPerSecond must be > 0, was " + tokensPerSecond);
    }
    this.vertx = vertx;
    this.stepMs = Math.max(1, Math.round(1000 / tokensPerSecond));
  }

  /** The step length in nanoseconds. */
  long stepNanos() {
    return stepMs * 1_000_000;
  }

  /** Steps taken so far on the calling event loop (for tests). */
  long stepsTaken() {
    LoopSteps loop = byLoop.get(Thread.currentThread());
    return loop == null ? 0 : loop.taken;
  }

  /** Whether the calling event loop's step timer is running (for tests). */
  boolean ticking() {
    LoopSteps loop = byLoop.get(Thread.currentThread());
    return loop != null && loop.timerId >= 0;
  }

  /** Runs {@code resume} at the next step; call on the stream's event loop. */
  void awaitNextStep(Runnable resume) {
    byLoop.computeIfAbsent(Thread.currentThread(), t -> new LoopSteps()).await(resume);
  }

  /** The waiting streams of one event loop; confined to it. */
  private final class LoopSteps {
    private List<Runnable> waiting = new ArrayList<>();
    private long timerId = -1;
    private long taken;

    void await(Runnable resume) {
      waiting.add(resume);
      if (timerId < 0) {
        timerId = vertx.setPeriodic(stepMs, id -> step());
      }
    }

    private void step() {
      if (waiting.isEmpty()) {
        vertx.cancelTimer(timerId); // idle engine: no timer until a stream waits again
        timerId = -1;
        return;
      }
      taken++;
      List<Runnable> due = waiting;
      waiting = new ArrayList<>(due.size());
      due.forEach(Runnable::run);
    }
  }
}
