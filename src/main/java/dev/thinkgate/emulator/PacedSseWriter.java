package dev.thinkgate.emulator;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.Iterator;
import java.util.function.LongSupplier;

/**
 * Writes a completion stream at the emulated model's pace and never faster than the client
 * reads: when the response's write queue is full it stops producing until the drain handler
 * fires. Pacing follows the engine's {@link DecodeSteps}: a stream writes the tokens due by a step
 * when that step comes; a client that goes away ends production at once.
 */
final class PacedSseWriter {
  /** Where the writer is; exactly one terminal state is reached. */
  private enum State { PRODUCING, AWAITING_DRAIN, AWAITING_STEP, STALLED, DONE, DROPPED, CANCELLED }

  /** After this many events a stall or drop fault strikes (role chunk plus a few tokens). */
  static final int FAULT_AFTER_EVENTS = 4;
  /** Events written per event-loop turn before yielding to other connections. */
  private static final int BURST = 128;

  private final Vertx vertx;
  private final HttpServerResponse response;
  private final Iterator<SseEvent> events;
  private final double tokensPerSecond;
  private final DecodeSteps steps;
  private final Script.Fault fault;
  private final Runnable dropConnection;
  private final StreamStats stats;
  private final LongSupplier nanoClock;

  private State state = State.PRODUCING;
  private SseEvent pending;
  private long startNanos;
  private long tokensWritten;
  private long firstChunkTokens = -1;
  private int eventsWritten;

  /**
   * @param steps the engine's decode steps, or null when unpaced ({@code tokensPerSecond <= 0})
   * @param fault {@link Script.Fault#STALL}, {@link Script.Fault#DROP} or null
   */
  PacedSseWriter(
      Vertx vertx, HttpServerResponse response, Iterator<SseEvent> events,
      double tokensPerSecond, DecodeSteps steps, Script.Fault fault, Runnable dropConnection,
      StreamStats stats, LongSupplier nanoClock) {
    this.vertx = vertx;
    this.response = response;
    this.events = events;
    this.tokensPerSecond = tokensPerSecond;
    this.steps = tokensPerSecond > 0 ? java.util.Objects.requireNonNull(steps, "steps") : null;
    this.fault = fault;
    this.dropConnection = dropConnection;
    this.stats = stats;
    this.nanoClock = nanoClock;
  }

  /** Sends the headers and starts producing; call on the request's context. */
  void start() {
    stats.streamStarted();
    response.closeHandler(v -> onClientGone());
    response.exceptionHandler(e -> onClientGone());
    if (response.closed()) {
      onClientGone();
      return;
    }
    response.setChunked(true)
        .putHeader("content-type", "text/event-stream; charset=utf-8")
        .putHeader("cache-control", "no-cache");
    startNanos = nanoClock.getAsLong();
    pump();
  }

  private void pump() {
    if (state != State.PRODUCING) {
      return;
    }
    for (int burst = 0; burst < BURST; burst++) {
      if (pending == null) {
        if (!events.hasNext()) {
          finish();
          return;
        }
        pending = events.next();
      }
      if (fault != null && eventsWritten >= FAULT_AFTER_EVENTS) {
        strike();
        return;
      }
      if (response.writeQueueFull()) {
        state = State.AWAITING_DRAIN;
        stats.backpressurePause();
        response.drainHandler(v -> resume(State.AWAITING_DRAIN));
        return;
      }
      if (!due(pending)) {
        state = State.AWAITING_STEP;
        steps.awaitNextStep(() -> resume(State.AWAITING_STEP));
        return;
      }
      write(pending);
      pending = null;
    }
    vertx.runOnContext(v -> pump());
  }

  private void resume(State from) {
    if (state == from) {
      state = State.PRODUCING;
      pump();
    }
  }

  /**
   * Whether the event's tokens are due: by now, or within half a step (the step that is running
   * produces them; waiting for the next one would fall a step behind).
   */
  private boolean due(SseEvent event) {
    if (tokensPerSecond <= 0 || event.tokens() == 0) {
      return true;
    }
    if (firstChunkTokens < 0) {
      firstChunkTokens = event.tokens(); // the first chunk leaves at once (time to first token)
      return true;
    }
    double dueSeconds = (tokensWritten + event.tokens() - firstChunkTokens) / tokensPerSecond;
    long dueNanos = startNanos + (long) (dueSeconds * 1e9);
    return dueNanos - nanoClock.getAsLong() <= steps.stepNanos() / 2;
  }

  private void write(SseEvent event) {
    response.write(Buffer.buffer(event.frame()));
    eventsWritten++;
    tokensWritten += event.tokens();
    stats.eventWritten();
  }

  private void strike() {
    if (fault == Script.Fault.DROP) {
      state = State.DROPPED;
      stats.streamEnded();
      dropConnection.run();
    } else {
      state = State.STALLED; // holds the connection until the client goes away
    }
  }

  private void finish() {
    state = State.DONE;
    stats.streamEnded();
    response.end();
  }

  private void onClientGone() {
    if (state == State.DONE || state == State.DROPPED || state == State.CANCELLED) {
      return;
    }
    state = State.CANCELLED; // a pending step finds the state changed and does nothing
    stats.streamCancelled();
  }
}
