package dev.thinkgate.proxy;

import dev.thinkgate.api.openai.OpenAiException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Graceful shutdown of the OpenAI port: the generation requests that are open, and the drain that
 * lets them finish before the process exits.
 *
 * <p>Once {@link #start} is called, readiness and new requests answer 503 at once; open requests
 * run on until they end and their audit record was offered. At {@code server.drain_timeout_ms}
 * the requests still open are ended with a 503 {@code shutting_down} error: an SSE {@code error}
 * event when their stream started (never a silent truncation), else an error response. Requests
 * that do not finish {@link #AFTER_DEADLINE_MS} after that are abandoned and counted.
 *
 * <p>Thread-safe: requests register from any event loop; each is ended on its own.
 */
final class ShutdownDrain {
  private static final Logger LOG = System.getLogger("thinkgate");
  /** How often progress is logged while draining. */
  static final long PROGRESS_INTERVAL_MS = 1_000;
  /**
   * After the deadline, how long ended requests get to write their error and audit record (a
   * whole-response verdict may still await one guard call).
   */
  static final long AFTER_DEADLINE_MS = 5_000;
  /** How often a drain with no open request left checks whether its background work ended. */
  static final long BACKGROUND_POLL_MS = 50;

  private final Vertx vertx;
  private final LongSupplier nanoClock;
  private final Set<OpenRequest> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger endedAtDeadline = new AtomicInteger();
  private volatile boolean draining;
  private volatile boolean deadlinePassed;
  private Promise<DrainReport> done;
  private long startNanos;
  private long timeoutMs;
  private int openAtStart;
  private long progressTimer = -1;
  private long deadlineTimer = -1;
  private long abandonTimer = -1;
  private long backgroundTimer = -1;
  /** Background work the drain also waits for, until its deadline: Safe@K samples in flight. */
  private volatile IntSupplier background = () -> 0;

  ShutdownDrain(Vertx vertx, LongSupplier nanoClock) {
    this.vertx = vertx;
    this.nanoClock = nanoClock;
  }

  /**
   * A generation request open until {@link #release}: its event loop, and once it runs, its
   * pipeline. {@code responded} is read and written on that event loop only.
   */
  static final class OpenRequest {
    private final Context context;
    private volatile GenerationPipeline pipeline;
    private volatile boolean streaming;
    private volatile boolean responded;

    private OpenRequest(Context context) {
      this.context = context;
    }
  }

  /**
   * Work of requests already answered that the drain waits for too, until its deadline (the
   * Safe@K samples generating in the background): how many are in flight.
   */
  void waitAlsoFor(IntSupplier inFlight) {
    this.background = inFlight;
  }

  /** True from {@link #start} on: readiness and new requests answer 503. */
  boolean draining() {
    return draining;
  }

  /**
   * Registers a request that just arrived, on its event loop.
   *
   * @return null when the gateway is draining: refuse the request with {@link #refusal()}
   */
  OpenRequest admit() {
    OpenRequest request = new OpenRequest(Vertx.currentContext());
    open.add(request);
    // Registered before the flag is read, and start() sets the flag before it counts: either
    // this request sees draining, or the drain sees this request.
    if (draining) {
      open.remove(request);
      return null;
    }
    return request;
  }

  /**
   * The request's pipeline is about to start.
   *
   * @return false when the deadline already passed (the body was still being read): refuse it
   */
  boolean attach(OpenRequest request, GenerationPipeline pipeline, boolean streaming) {
    if (deadlinePassed) {
      return false;
    }
    request.streaming = streaming;
    request.pipeline = pipeline;
    return true;
  }

  /** The client's response ended; the request stays open until its audit record is offered. */
  void responded(OpenRequest request) {
    request.responded = true;
  }

  /** Requests not over yet: responding, or responded with their audit record not yet offered. */
  int openCount() {
    return open.size();
  }

  /** The request is over (refused, or responded and recorded). */
  void release(OpenRequest request) {
    if (open.remove(request) && draining) {
      finishIfIdle();
    }
  }

  /**
   * Starts the drain (once; later calls return the same future).
   *
   * @param timeoutMs how long open requests may run on; 0 ends them at once
   * @return completes when every open request finished, or was ended at the deadline and then
   *     finished or abandoned
   */
  synchronized Future<DrainReport> start(long timeoutMs) {
    if (timeoutMs < 0) {
      throw new IllegalArgumentException("timeoutMs must be >= 0, was " + timeoutMs);
    }
    if (done != null) {
      return done.future();
    }
    done = Promise.promise();
    this.timeoutMs = timeoutMs;
    startNanos = nanoClock.getAsLong();
    draining = true;
    openAtStart = open.size();
    LOG.log(Level.INFO, "shutdown: readiness is 503 and new requests are refused; draining "
        + describeOpen() + " for up to " + timeoutMs + " ms");
    progressTimer = vertx.setPeriodic(PROGRESS_INTERVAL_MS, id -> logProgress());
    deadlineTimer = vertx.setTimer(Math.max(1, timeoutMs), id -> endAtDeadline());
    finishIfIdle();
    return done.future();
  }

  /** The body of a 503 for a request refused while draining. */
  static OpenAiException refusal() {
    return new OpenAiException(503, "service_unavailable",
        "The gateway is shutting down; retry the request (another replica will serve it)", null,
        "shutting_down");
  }

  private static OpenAiException deadlineError(long timeoutMs) {
    return new OpenAiException(503, "service_unavailable", "The gateway is shutting down and"
        + " ended this request when its drain timeout of " + timeoutMs + " ms passed; retry it",
        null, "shutting_down");
  }

  private void endAtDeadline() {
    deadlineTimer = -1;
    deadlinePassed = true;
    OpenAiException error = deadlineError(timeoutMs);
    int ending = 0;
    for (OpenRequest request : open) {
      GenerationPipeline pipeline = request.pipeline;
      if (pipeline == null || request.responded) {
        continue;
      }
      ending++;
      request.context.runOnContext(v -> {
        if (!request.responded) {
          endedAtDeadline.incrementAndGet();
          pipeline.endForShutdown(error);
        }
      });
    }
    if (ending > 0) {
      LOG.log(Level.WARNING, "shutdown: drain timeout of " + timeoutMs + " ms passed; ending "
          + ending + " open request" + (ending == 1 ? "" : "s") + " with a shutting_down error");
    }
    abandonTimer = vertx.setTimer(AFTER_DEADLINE_MS, id -> {
      abandonTimer = -1;
      complete();
    });
    finishIfIdle();
  }

  private void logProgress() {
    long leftMs = timeoutMs - TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - startNanos);
    LOG.log(Level.INFO, "shutdown: draining, " + describeOpen()
        + (deadlinePassed ? ", past the deadline" : ", " + Math.max(0, leftMs) + " ms left"));
  }

  private String describeOpen() {
    int streams = 0;
    int requests = 0;
    int records = 0;
    int samples = background.getAsInt();
    for (OpenRequest r : open) {
      if (r.responded) {
        records++;
      } else if (r.pipeline != null && r.streaming) {
        streams++;
      } else {
        requests++;
      }
    }
    return streams + " stream" + (streams == 1 ? "" : "s") + " and " + requests
        + " other request" + (requests == 1 ? "" : "s") + " open, " + records
        + " audit record" + (records == 1 ? "" : "s") + " pending, " + samples
        + " Safe@K sample" + (samples == 1 ? "" : "s") + " generating";
  }

  private void finishIfIdle() {
    if (!open.isEmpty()) {
      return;
    }
    // Background samples are waited for until the deadline, not after: they cannot be ended
    // with an error a client sees, and their records are the audit's, not a client's.
    if (background.getAsInt() == 0 || deadlinePassed) {
      complete();
    } else {
      pollBackground();
    }
  }

  private synchronized void pollBackground() {
    if (backgroundTimer < 0 && done != null && !done.future().isComplete()) {
      backgroundTimer = vertx.setTimer(BACKGROUND_POLL_MS, id -> {
        synchronized (this) {
          backgroundTimer = -1;
        }
        finishIfIdle();
      });
    }
  }

  private synchronized void complete() {
    if (done == null || done.future().isComplete()) {
      return;
    }
    int samplesLeft = background.getAsInt();
    for (long timer : new long[] {progressTimer, deadlineTimer, abandonTimer, backgroundTimer}) {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    }
    int abandoned = open.size();
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - startNanos);
    DrainReport report = new DrainReport(openAtStart, endedAtDeadline.get(), abandoned, elapsedMs);
    LOG.log(abandoned == 0 && samplesLeft == 0 ? Level.INFO : Level.WARNING, "shutdown: drained in "
        + elapsedMs + " ms: " + report.finished() + " of " + openAtStart
        + " open requests finished, " + report.endedAtDeadline() + " ended at the deadline, "
        + abandoned + " abandoned" + (samplesLeft == 0 ? "" : "; " + samplesLeft
        + " Safe@K sample" + (samplesLeft == 1 ? "" : "s") + " still generating are cut off"));
    done.complete(report);
  }
}
