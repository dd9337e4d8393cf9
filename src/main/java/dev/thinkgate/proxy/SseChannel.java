package dev.thinkgate.proxy;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.metrics.GatewayMetrics;
import dev.thinkgate.stream.ClientDialectEncoder;
import dev.thinkgate.stream.RawEventKind;
import dev.thinkgate.stream.SseFrames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * Writes a logical stream to the client as SSE in the policy's reasoning dialect. Headers go out
 * with the first chunk (or keep-alive), so an error before that is a plain OpenAI error response;
 * after it, an error is an {@code error} event and the stream ends without {@code [DONE]}.
 * Pauses the upstream while the client's write queue is full.
 */
final class SseChannel implements ClientChannel {
  private final HttpServerResponse response;
  private final ClientDialectEncoder encoder;
  private final FlowControl flow;
  private final GatewayMetrics metrics;
  private final long startNanos;
  private final Runnable onEnded;
  private boolean headersSent;
  private boolean ended;
  private boolean failed;
  private int status = 200;
  private int chunks;
  /** When the last write went to the socket; the inter-chunk gap is measured between writes. */
  private long lastSendNanos;
  private long firstByteNanos = -1;
  private final io.vertx.core.Context context;
  private boolean flushScheduled;
  private Buffer pending;

  SseChannel(HttpServerResponse response, ClientDialectEncoder encoder, FlowControl flow,
      GatewayMetrics metrics, long startNanos, Runnable onEnded) {
    this.response = response;
    this.encoder = encoder;
    this.flow = flow;
    this.metrics = metrics;
    this.startNanos = startNanos;
    this.onEnded = onEnded;
    this.context = io.vertx.core.Vertx.currentContext();
    flow.afterRead(this::flushPending);
  }

  private void flushPending() {
    if (pending != null) {
      Buffer batch = pending;
      pending = null;
      send(batch);
    }
  }

  @Override
  public void onChunk(JsonObject chunk) {
    if (ended) {
      return;
    }
    JsonObject out = encoder.encode(chunk);
    if (out == null) {
      return;
    }
    writeData(out.encode());
    chunks++;
  }

  /** One data frame; inside a turn appended straight to its batch, with no Buffer per event. */
  private void writeData(String json) {
    if (pending == null) {
      write(SseFrames.data(json));
    } else if (beginWrite(SseFrames.dataFrameLength(json.length()))
        && !SseFrames.appendData(pending, json)) {
      pending.appendBuffer(SseFrames.data(json));
    }
  }

  /** Relays an upstream event's JSON as is (the raw relay has checked it needs no rewriting). */
  void onRawData(String json) {
    if (ended) {
      return;
    }
    write(SseFrames.data(json));
    chunks++;
  }

  /**
   * Relays an upstream event's data bytes as is, framed as {@code data: <bytes>\n\n} straight into
   * this turn's batch, with no String or Buffer per event. The caller has checked the bytes are
   * one line of valid UTF-8 that needs no rewriting ({@link RawEventKind#PLAIN}); they are copied
   * before this returns.
   */
  void onRawData(byte[] data, int offset, int length) {
    if (ended) {
      return;
    }
    int frameLength = SseFrames.dataFrameLength(length);
    if (beginWrite(frameLength)) {
      if (pending == null) {
        send(SseFrames.appendData(Buffer.buffer(frameLength), data, offset, length));
      } else {
        SseFrames.appendData(pending, data, offset, length);
      }
    }
    chunks++;
  }

  @Override
  public void onKeepAlive() {
    if (!ended) {
      write(SseFrames.comment("ping"));
    }
  }

  @Override
  public void onEnd() {
    if (ended) {
      return;
    }
    write(SseFrames.done());
    ended = true;
    flushPending();
    response.end();
    onEnded.run();
  }

  @Override
  public void onError(OpenAiException error) {
    if (ended) {
      return;
    }
    ended = true;
    failed = true;
    flushPending();
    if (!headersSent) {
      status = error.status();
      Errors.send(response, error);
    } else {
      Buffer frame = SseFrames.data(error.toJson().encode());
      metrics.bytesOut(frame.length());
      response.end(frame);
    }
    onEnded.run();
  }

  /** The client went away: nothing more will be written. */
  void clientGone() {
    if (!ended) {
      ended = true;
      failed = true;
      status = 499;
      onEnded.run();
    }
  }

  private void write(Buffer frame) {
    if (!beginWrite(frame.length())) {
      return;
    }
    if (pending == null) {
      send(frame);
    } else {
      pending.appendBuffer(frame);
    }
  }

  /**
   * The bookkeeping of one frame of {@code frameLength} bytes about to be written: headers and
   * the TTFB metric with the first, and this turn's batch (the inter-chunk gap is taken per
   * socket write, in {@link #send}). After it returns true,
   * the frame goes into {@code pending} when that is set, else straight to {@link #send}.
   *
   * @return false when the response is closed and the frame is to be dropped
   */
  private boolean beginWrite(int frameLength) {
    if (response.closed()) {
      return false;
    }
    if (!headersSent) {
      headersSent = true;
      response.setStatusCode(200)
          .setChunked(true)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
    }
    if (firstByteNanos < 0) {
      firstByteNanos = System.nanoTime();
      metrics.gatewayTtfb(firstByteNanos - startNanos);
    }
    // All the frames of one upstream read go out in one write when the read is processed;
    // frames produced outside a read (guard verdicts, keep-alives) likewise at the end of the
    // event-loop turn. One flush, one syscall, no added wait.
    boolean flushedAfterRead = flow.inRead();
    if (!flushedAfterRead && context == null) {
      return true; // off a loop there is no turn to batch on: written at once
    }
    if (pending == null) {
      pending = Buffer.buffer(Math.max(256, frameLength * 4));
    }
    if (!flushedAfterRead && !flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> {
        flushScheduled = false;
        flushPending();
      });
    }
    return true;
  }

  private void send(Buffer data) {
    if (response.closed()) {
      return;
    }
    // One gap per socket write, not per event: the events of one turn reach the client together,
    // and a timer record per event cost more than the relay's own work on the event.
    long now = System.nanoTime();
    if (lastSendNanos != 0) {
      metrics.interChunkGap(now - lastSendNanos);
    }
    lastSendNanos = now;
    metrics.bytesOut(data.length());
    response.write(data);
    if (response.writeQueueFull()) {
      flow.pause();
      response.drainHandler(v -> flow.resume());
    }
  }

  @Override
  public boolean ended() {
    return ended;
  }

  @Override
  public boolean failed() {
    return failed;
  }

  @Override
  public int status() {
    return status;
  }

  int chunks() {
    return chunks;
  }

  /** Nanos from request start to the first byte written, or -1. */
  long ttfbNanos() {
    return firstByteNanos < 0 ? -1 : firstByteNanos - startNanos;
  }
}
