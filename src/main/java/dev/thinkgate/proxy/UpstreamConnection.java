package dev.thinkgate.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.function.LongSupplier;

/**
 * One keep-alive HTTP/1.1 connection to an upstream, carrying one exchange at a time: the request
 * is written as one buffer, the response decoded by {@link Http1ResponseDecoder} straight from the
 * socket's reads. Confined to the event loop the socket lives on.
 */
final class UpstreamConnection implements FlowControl.Source {
  /** The caller's side of one exchange; exactly one of {@code onEnd} and {@code onFailure} ends it. */
  interface Exchange {
    void onHead(int status);

    /** Body bytes, valid only during the call. */
    void onBody(byte[] bytes, int offset, int length);

    void onEnd();

    void onFailure(ConnectionFailure failure);

    /** One socket read has been processed (called even when it ended or failed the exchange). */
    default void onReadEnd() { }
  }

  /**
   * The connection broke or sent a malformed response before the exchange ended.
   * {@link #retryable()} is true only when resending cannot duplicate a generation: a reused
   * connection, idle long enough before this request that the server's keep-alive timer may have
   * fired, closed with no response byte within a few milliseconds of the write, i.e. the server's
   * close crossed our request on the wire. A later close may come from a server that read the
   * request and started generating, and is final.
   */
  static final class ConnectionFailure extends RuntimeException {
    private final boolean retryable;

    ConnectionFailure(String message, boolean retryable) {
      super(message, null, false, false);
      this.retryable = retryable;
    }

    boolean retryable() {
      return retryable;
    }
  }

  private enum State { IDLE, ACTIVE, CLOSED }

  private static final int MAX_SCRATCH_BYTES = 256 * 1024;

  private final NetSocket socket;
  private final UpstreamPool pool;
  private final LongSupplier nanoClock;
  private final Http1ResponseDecoder.Listener decoded = new Decoded();
  private State state = State.IDLE;
  private Exchange exchange;
  private Http1ResponseDecoder decoder;
  private int exchangesStarted;
  private boolean responseStarted;
  private boolean paused;
  private long idleSinceNanos;
  private final long openedNanos;
  private long idleBeforeSendNanos;
  private long sentNanos;
  private long drainTimer = -1;
  private boolean draining;
  private boolean reading;
  private byte[] scratch;

  UpstreamConnection(NetSocket socket, UpstreamPool pool, LongSupplier nanoClock) {
    this.socket = socket;
    this.pool = pool;
    this.nanoClock = nanoClock;
    this.idleSinceNanos = nanoClock.getAsLong();
    this.openedNanos = idleSinceNanos;
    socket.handler(this::onRead);
    socket.exceptionHandler(this::onError);
    socket.closeHandler(v -> onClosed());
  }

  /** Sends one request; the response goes to {@code exchange}. */
  void send(Buffer request, Exchange exchange) {
    if (state != State.IDLE) {
      throw new IllegalStateException("connection is " + state);
    }
    state = State.ACTIVE;
    this.exchange = exchange;
    sentNanos = nanoClock.getAsLong();
    idleBeforeSendNanos = sentNanos - idleSinceNanos;
    exchangesStarted++;
    responseStarted = false;
    decoder = new Http1ResponseDecoder(decoded, false);
    socket.write(request); // a failed write also closes the socket; onClosed reports it
  }

  /**
   * Abandons {@code exchange} if it is still in flight here: the connection is closed, as its
   * response is unread. Does nothing once the exchange has ended (the connection may then serve
   * another).
   */
  void abort(Exchange exchange) {
    if (this.exchange == exchange && exchange != null) {
      this.exchange = null;
      close();
    }
  }

  /**
   * The caller has all it wanted from {@code exchange} (a stream's {@code [DONE]}) while the
   * response's framing is still open: the connection reads on, unpaused, and goes back to the
   * pool if the response ends within the pool's drain time; otherwise it is closed, so a server
   * that never sends the terminating chunk cannot hold connections for ever.
   */
  void drain(Exchange exchange) {
    if (this.exchange != exchange || exchange == null || state != State.ACTIVE) {
      return;
    }
    this.exchange = null;
    draining = true;
    resume();
    if (!reading) {
      armDrain();
    } // else the read's end arms it, if the rest of the read did not end the response (usual case)
  }

  private void armDrain() {
    if (draining && state == State.ACTIVE && drainTimer < 0) {
      drainTimer = pool.timer(pool.lifecycle().drainMs(), () -> {
        drainTimer = -1;
        if (state == State.ACTIVE && draining) {
          close();
        }
      });
    }
  }

  /** Gives a connection that was handed out but not used back to the pool. */
  void giveBack() {
    if (state == State.IDLE) {
      pool.release(this);
    }
  }

  @Override
  public void pause() {
    if (state == State.ACTIVE && !paused) {
      paused = true;
      socket.pause();
    }
  }

  @Override
  public void resume() {
    if (paused) {
      paused = false;
      socket.resume();
    }
  }

  boolean open() {
    return state != State.CLOSED;
  }

  long idleNanos() {
    return nanoClock.getAsLong() - idleSinceNanos;
  }

  /** Time since the connection was opened. */
  long ageNanos() {
    return nanoClock.getAsLong() - openedNanos;
  }

  void close() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    cancelDrain();
    pool.removed(this);
    socket.close();
    Exchange ex = exchange;
    exchange = null;
    if (ex != null) {
      ex.onFailure(lost());
    }
  }

  private ConnectionFailure lost() {
    UpstreamPool.Lifecycle rules = pool.lifecycle();
    boolean retryable = !responseStarted && exchangesStarted > 1
        && idleBeforeSendNanos >= rules.retryMinIdleNanos()
        && nanoClock.getAsLong() - sentNanos <= rules.retryCloseWindowNanos();
    return new ConnectionFailure(responseStarted
        ? "the upstream connection closed mid-response"
        : "the upstream connection closed before a response", retryable);
  }

  private void cancelDrain() {
    draining = false;
    if (drainTimer >= 0) {
      pool.cancelTimer(drainTimer);
      drainTimer = -1;
    }
  }

  private void onRead(Buffer buffer) {
    if (state != State.ACTIVE) {
      close(); // bytes nobody asked for: the connection's framing cannot be trusted any more
      return;
    }
    responseStarted = true;
    int length = buffer.length();
    byte[] bytes;
    if (length > MAX_SCRATCH_BYTES) {
      bytes = buffer.getBytes();
    } else {
      if (scratch == null || scratch.length < length) {
        scratch = new byte[Math.min(MAX_SCRATCH_BYTES, Math.max(length, scratch == null ? 2048 : 2 * scratch.length))];
      }
      buffer.getBytes(0, length, scratch, 0);
      bytes = scratch;
    }
    Exchange reader = exchange;
    reading = true;
    try {
      int used;
      try {
        used = decoder.feed(bytes, 0, length);
      } catch (Http1ResponseDecoder.Http1FormatException e) {
        failExchange(new ConnectionFailure("the upstream sent a malformed HTTP response: "
            + e.getMessage(), false));
        return;
      }
      if (decoder.done() && state == State.ACTIVE) {
        endExchange(used == length && decoder.reusable());
      }
    } finally {
      reading = false;
      armDrain();
      if (reader != null) {
        reader.onReadEnd();
      }
    }
  }

  /** The response is complete: the connection goes back to the pool first, then the caller hears. */
  private void endExchange(boolean reusable) {
    Exchange ex = exchange;
    exchange = null;
    cancelDrain();
    if (reusable) {
      state = State.IDLE;
      idleSinceNanos = nanoClock.getAsLong();
      resume();
      pool.release(this);
    } else {
      close();
    }
    if (ex != null) {
      ex.onEnd();
    }
  }

  private void failExchange(ConnectionFailure failure) {
    Exchange ex = exchange;
    exchange = null;
    close();
    if (ex != null) {
      ex.onFailure(failure);
    }
  }

  private void onError(Throwable t) {
    close(); // fails the exchange in flight, if any
  }

  private void onClosed() {
    if (state == State.ACTIVE && decoder != null && decoder.endOfInput()) {
      endExchange(false); // a body delimited by the close is complete now
      return;
    }
    close();
  }

  /** Forwards decoded parts to the exchange, if the caller has not abandoned it. */
  private final class Decoded implements Http1ResponseDecoder.Listener {
    @Override
    public void onHead(int status, boolean keepAlive) {
      if (exchange != null) {
        exchange.onHead(status);
      }
    }

    @Override
    public void onBody(byte[] bytes, int offset, int length) {
      if (exchange != null) {
        exchange.onBody(bytes, offset, length);
      }
    }

    @Override
    public void onEnd() {
      // handled by onRead once feed returns, so the pool has the connection before the caller hears
    }
  }
}
