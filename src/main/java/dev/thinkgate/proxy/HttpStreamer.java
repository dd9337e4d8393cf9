package dev.thinkgate.proxy;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.config.GatewayConfig.Timeouts;
import dev.thinkgate.metrics.GatewayMetrics;
import dev.thinkgate.reasoning.CallOutcome;
import dev.thinkgate.reasoning.UpstreamRequest;
import dev.thinkgate.reasoning.UpstreamStreamer;
import dev.thinkgate.stream.DeltaText;
import dev.thinkgate.stream.SpanSplitter;
import dev.thinkgate.stream.SseEvent;
import dev.thinkgate.stream.SseParser;
import dev.thinkgate.stream.TokenCount;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The upstream side of one client request: real HTTP calls to the route's server, SSE parsing,
 * span splitting, flow control from the client's write queue, connect / first-byte / idle / total
 * timeouts, and cancellation when the client goes away. Event-loop confined; one call at a time.
 */
final class HttpStreamer implements UpstreamStreamer {
  private final Vertx vertx;
  private final UpstreamRoute route;
  private final GatewayMetrics metrics;
  private final FlowControl flow;
  private Call current;
  private boolean cancelled;
  private long upstreamNanos;
  private int calls;

  HttpStreamer(Vertx vertx, UpstreamRoute route, GatewayMetrics metrics, FlowControl flow) {
    this.vertx = vertx;
    this.route = route;
    this.metrics = metrics;
    this.flow = flow;
  }

  @Override
  public Future<CallOutcome> stream(UpstreamRequest request, Handler<JsonObject> onChunk) {
    return start(new Call(request, onChunk, null));
  }

  /**
   * Streams one call handing each event's {@code data} to {@code onData} as the upstream's bytes,
   * neither decoded nor parsed (the raw relay); {@code [DONE]} completes the call. The bytes are
   * valid only during the call. {@code onData} may throw an {@link OpenAiException} to fail the
   * call.
   */
  Future<CallOutcome> streamRaw(UpstreamRequest request, SseParser.RawDataHandler onData) {
    return start(new Call(request, null, onData));
  }

  private Future<CallOutcome> start(Call call) {
    if (cancelled) {
      return Future.failedFuture(ClientGone.INSTANCE);
    }
    calls++;
    current = call;
    call.start();
    return call.promise.future();
  }

  @Override
  public boolean cancelled() {
    return cancelled;
  }

  /** The client went away or the pipeline gave up: reset the call in flight, start no other. */
  void cancel() {
    if (!cancelled) {
      cancelled = true;
      if (current != null) {
        current.abort(ClientGone.INSTANCE);
      }
    }
  }

  /** Abandons the call in flight (screening restart) without cancelling the streamer. */
  void abandonCurrent() {
    if (current != null) {
      current.abort(ClientGone.INSTANCE);
    }
  }

  long upstreamMillis() {
    return upstreamNanos / 1_000_000;
  }

  int calls() {
    return calls;
  }

  /** Marker failure: the client is gone, nothing is to be reported to it. */
  static final class ClientGone extends RuntimeException {
    static final ClientGone INSTANCE = new ClientGone();

    private ClientGone() {
      super("client went away", null, false, false);
    }
  }

  private enum CallState { CONNECTING, AWAITING_FIRST_BYTE, STREAMING, DONE }

  /**
   * One upstream call; its state machine ends exactly once (complete or fail). It reads the
   * response through {@link UpstreamConnection}: the body's bytes go straight to the SSE parser.
   */
  private final class Call implements UpstreamConnection.Exchange {
    /** Bytes of an error response kept for its message; the rest is read and dropped. */
    private static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

    final UpstreamRequest request;
    final Handler<JsonObject> onChunk;
    final SseParser.RawDataHandler onData;
    final Promise<CallOutcome> promise = Promise.promise();
    final SpanSplitter splitter;
    final long startNanos = System.nanoTime();
    final Timeouts timeouts = route.config().timeouts();
    CallState state = CallState.CONNECTING;
    Buffer payload;
    UpstreamConnection connection;
    UpstreamPool pool;
    Future<UpstreamConnection> pendingAcquire;
    boolean retried;
    int status;
    Buffer errorBody;
    SseParser parser;
    long deadlineTimer = -1;
    boolean firstByteSeen;
    long lastActivityNanos;
    /** Body bytes of the socket read being processed; counted once the read is. */
    int readBytes;
    String finishReason;
    Object stopReason;
    JsonObject usage;
    final StringBuilder thinking = new StringBuilder();
    final StringBuilder answer = new StringBuilder();

    Call(UpstreamRequest request, Handler<JsonObject> onChunk, SseParser.RawDataHandler onData) {
      this.request = request;
      this.onChunk = onChunk;
      this.onData = onData;
      this.splitter = new SpanSplitter(request.output());
    }

    void start() {
      Buffer forwarded = ForwardedBody.spliced(request.body(), request.clientBytes());
      if (forwarded != null) {
        payload = route.post(request.path(), forwarded);
      } else {
        JsonObject body = request.body().copy();
        body.put("stream", true);
        JsonObject streamOptions = body.getJsonObject("stream_options");
        streamOptions = streamOptions == null ? new JsonObject() : streamOptions.copy();
        streamOptions.put("include_usage", true);
        body.put("stream_options", streamOptions);
        payload = route.post(request.path(), body.toBuffer());
      }

      armDeadline(Math.min(timeouts.idleMs(), Math.min(timeouts.firstByteMs(), timeouts.totalMs())));
      send(false);
    }

    /** Sends the request on a pooled connection ({@code fresh}: a new one, for the one retry). */
    private void send(boolean fresh) {
      pool = route.pools().current();
      Future<UpstreamConnection> acquired = pool.acquire(fresh, timeouts.poolAcquireMs());
      pendingAcquire = acquired;
      acquired.onComplete(ar -> {
        pendingAcquire = null;
        if (state == CallState.DONE) {
          if (ar.succeeded()) {
            ar.result().giveBack();
          }
          return;
        }
        if (ar.failed()) {
          fail(ar.cause() instanceof UpstreamPool.PoolExhausted
              ? OpenAiException.upstream("The gateway has too many calls waiting for the upstream"
                  + " model server (" + route.label() + ")")
              : ar.cause() instanceof UpstreamPool.AcquireTimeout
                  ? OpenAiException.timeout("No connection to the upstream model server came free"
                      + " within " + timeouts.poolAcquireMs() + " ms")
                  : connectFailure(ar.cause()));
          return;
        }
        connection = ar.result();
        state = CallState.AWAITING_FIRST_BYTE;
        connection.send(payload, this);
      });
    }

    private OpenAiException connectFailure(Throwable cause) {
      String msg = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
      if (msg.toLowerCase(java.util.Locale.ROOT).contains("timed out")) {
        return OpenAiException.timeout("Could not connect to the upstream model server within "
            + timeouts.connectMs() + " ms");
      }
      return OpenAiException.upstream("Could not connect to the upstream model server ("
          + route.label() + "): " + msg);
    }

    @Override
    public void onFailure(UpstreamConnection.ConnectionFailure failure) {
      if (state == CallState.DONE) {
        return;
      }
      if (failure.retryable() && !retried) {
        retried = true; // the server closed an idle connection as we used it: once more, on a new one
        route.pools().retried();
        state = CallState.CONNECTING;
        send(true);
      } else if (state == CallState.STREAMING) {
        fail(OpenAiException.upstream("The upstream model server's connection failed mid-stream"));
      } else {
        fail(OpenAiException.upstream("The upstream model server (" + route.label() + ") failed: "
            + failure.getMessage()));
      }
    }

    @Override
    public void onHead(int status) {
      if (state == CallState.DONE) {
        return;
      }
      this.status = status;
      if (status != 200) {
        errorBody = Buffer.buffer();
        return;
      }
      flow.attach(connection);
      state = CallState.STREAMING;
      parser = onData != null
          ? SseParser.forRawData(this::onRawData)
          : new SseParser(this::onEvent);
      lastActivityNanos = System.nanoTime();
    }

    @Override
    public void onBody(byte[] bytes, int offset, int length) {
      if (state == CallState.DONE) {
        return;
      }
      if (status != 200) {
        int room = MAX_ERROR_BODY_BYTES - errorBody.length();
        if (room > 0) {
          errorBody.appendBytes(bytes, offset, Math.min(room, length));
        }
        return;
      }
      if (!firstByteSeen) {
        firstByteSeen = true;
        metrics.upstreamTtfb(System.nanoTime() - startNanos);
      }
      readBytes += length;
      flow.readStarted();
      try {
        parser.feed(bytes, offset, length);
      } catch (RuntimeException e) {
        fail(OpenAiException.upstream("The upstream model server sent a malformed event stream"));
      }
    }

    /** Per read, not per event (vLLM sends one event a chunk): the clock, the byte count. */
    @Override
    public void onReadEnd() {
      if (readBytes > 0) {
        lastActivityNanos = System.nanoTime();
        metrics.bytesIn(readBytes);
        readBytes = 0;
      }
      flow.readEnded();
    }

    @Override
    public void onEnd() {
      if (state == CallState.DONE) {
        return;
      }
      if (status != 200) {
        fail(statusFailure(status, errorBody));
      } else {
        fail(OpenAiException.upstream(
            "The upstream model server closed the stream before it completed"));
      }
    }

    private void armDeadline(long delayMs) {
      deadlineTimer = vertx.setTimer(Math.max(1, delayMs), this::onDeadline);
    }

    /**
     * The call's one timer, for the first-byte, idle and total timeouts alike: it is always armed
     * for no later than the earliest of them and, on firing, fails the call or re-arms for what is
     * left. One timer per call instead of three, and nothing to do per read (the idle deadline
     * only moves later).
     */
    private void onDeadline(long id) {
      deadlineTimer = -1;
      if (state == CallState.DONE) {
        return;
      }
      long now = System.nanoTime();
      long elapsedMs = (now - startNanos) / 1_000_000;
      if (elapsedMs >= timeouts.totalMs()) {
        fail(OpenAiException.timeout(
            "The upstream model server did not finish within " + timeouts.totalMs() + " ms"));
        return;
      }
      if (!firstByteSeen && elapsedMs >= timeouts.firstByteMs()) {
        fail(OpenAiException.timeout(
            "The upstream model server sent no response within " + timeouts.firstByteMs() + " ms"));
        return;
      }
      long next = timeouts.totalMs() - elapsedMs;
      if (!firstByteSeen) {
        next = Math.min(next, timeouts.firstByteMs() - elapsedMs);
      }
      if (state == CallState.STREAMING) {
        long idleMs = (now - lastActivityNanos) / 1_000_000;
        if (idleMs >= timeouts.idleMs()) {
          fail(OpenAiException.timeout(
              "The upstream model server sent nothing for " + timeouts.idleMs() + " ms"));
          return;
        }
        next = Math.min(next, timeouts.idleMs() - idleMs);
      } else {
        next = Math.min(next, timeouts.idleMs()); // streaming may begin before the next check
      }
      armDeadline(next);
    }

    private OpenAiException statusFailure(int status, Buffer body) {
      String upstreamMessage = upstreamErrorMessage(body);
      if (status == 400 || status == 422) {
        return OpenAiException.badRequest(upstreamMessage == null
            ? "The upstream model server rejected the request" : upstreamMessage, null);
      }
      if (status == 429) {
        return OpenAiException.rateLimited("The upstream model server is over capacity");
      }
      if (status == 404) {
        return OpenAiException.notFound("The model does not exist on the upstream model server"
            + (upstreamMessage == null ? "" : ": " + upstreamMessage), "model");
      }
      return OpenAiException.upstream("The upstream model server answered HTTP " + status
          + (upstreamMessage == null ? "" : ": " + upstreamMessage));
    }

    void onRawData(byte[] bytes, int offset, int length) {
      if (state == CallState.DONE) {
        return;
      }
      if (isDone(bytes, offset, length)) {
        complete(); // nothing went through the splitter, so it holds nothing back
        return;
      }
      try {
        onData.onData(bytes, offset, length);
      } catch (OpenAiException e) {
        fail(e);
      }
    }

    void onEvent(SseEvent event) {
      if (state == CallState.DONE) {
        return;
      }
      String data = event.data();
      if ("[DONE]".equals(data)) {
        JsonObject held = splitter.finish();
        if (held != null) {
          deliver(held);
        }
        complete();
        return;
      }
      JsonObject chunk;
      try {
        chunk = parseEvent(data);
      } catch (OpenAiException e) {
        fail(e);
        return;
      }
      JsonObject chunkUsage = chunk.getJsonObject("usage");
      if (chunkUsage != null) {
        usage = chunkUsage;
        chunk.remove("usage");
      }
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices == null || choices.isEmpty()) {
        return;
      }
      deliver(splitter.normalize(chunk));
    }

    private void deliver(JsonObject normalized) {
      JsonObject choice = DeltaText.appendChoice0(normalized, thinking, answer);
      if (choice != null && choice.getString("finish_reason") != null) {
        finishReason = choice.getString("finish_reason");
        stopReason = choice.getValue("stop_reason");
      }
      onChunk.handle(normalized);
    }

    private void complete() {
      if (!end()) {
        return;
      }
      if (connection != null) {
        connection.drain(this); // the response's framing may still be open; bounded, then closed
      }
      int tokens = usage != null && usage.getInteger("completion_tokens") != null
          ? usage.getInteger("completion_tokens")
          : TokenCount.words(thinking) + TokenCount.words(answer);
      promise.complete(new CallOutcome(finishReason, stopReason, usage, thinking.toString(),
          answer.toString(), tokens));
    }

    void fail(Throwable error) {
      if (!end()) {
        return;
      }
      if (connection != null) {
        connection.abort(this); // its response is unread: closing is the only reset HTTP/1.1 has
      }
      promise.fail(error);
    }

    void abort(Throwable error) {
      fail(error);
    }

    /** Moves to DONE once; false if already there. */
    private boolean end() {
      if (state == CallState.DONE) {
        return false;
      }
      state = CallState.DONE;
      upstreamNanos += System.nanoTime() - startNanos;
      if (deadlineTimer >= 0) {
        vertx.cancelTimer(deadlineTimer);
        deadlineTimer = -1;
      }
      if (connection != null) {
        flow.detach(connection);
      }
      if (pendingAcquire != null && pool != null) {
        pool.cancel(pendingAcquire); // leave the pool's line: nobody will use that connection
        pendingAcquire = null;
      }
      if (current == this) {
        current = null;
      }
      return true;
    }
  }

  private static final byte[] DONE = {'[', 'D', 'O', 'N', 'E', ']'};

  private static boolean isDone(byte[] bytes, int offset, int length) {
    return java.util.Arrays.equals(bytes, offset, offset + length, DONE, 0, DONE.length);
  }

  /**
   * An upstream event's JSON.
   *
   * @throws OpenAiException 502 when it is not JSON or reports an error (vLLM's mid-stream error)
   */
  static JsonObject parseEvent(String data) {
    JsonObject chunk;
    try {
      chunk = new JsonObject(data);
    } catch (DecodeException e) {
      throw OpenAiException.upstream("The upstream model server sent an event that is not JSON");
    }
    Object error = chunk.getValue("error");
    if (error != null) {
      throw OpenAiException.upstream("The upstream model server failed mid-stream: "
          + (error instanceof JsonObject e ? e.getString("message") : String.valueOf(error)));
    }
    return chunk;
  }

  static String upstreamErrorMessage(Buffer body) {
    if (body == null || body.length() == 0) {
      return null;
    }
    try {
      JsonObject json = body.toJsonObject();
      Object error = json.getValue("error");
      if (error instanceof JsonObject e && e.getString("message") != null) {
        return truncate(e.getString("message"));
      }
      if (json.getString("message") != null) {
        return truncate(json.getString("message"));
      }
      if (error instanceof String s) {
        return truncate(s);
      }
    } catch (RuntimeException e) {
      // not JSON: say nothing rather than echo arbitrary upstream bytes
    }
    return null;
  }

  private static String truncate(String s) {
    return s.length() > 500 ? s.substring(0, 500) + "…" : s;
  }
}
