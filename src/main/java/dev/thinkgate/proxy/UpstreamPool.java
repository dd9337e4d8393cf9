package dev.thinkgate.proxy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import java.net.IDN;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The keep-alive connections to one upstream origin from one event loop. An idle connection is
 * reused most-recently-released first, and only while younger than the keep-alive window, which
 * sits below common servers' own (uvicorn, behind vLLM and SGLang, closes after 5 s). At most
 * {@code maxConnections} are open; further callers wait in line, up to {@code maxWaiters}, each
 * for at most {@link Lifecycle#acquireTimeoutMs()}; a waiter whose call gives up leaves the line at
 * once ({@link #cancel}). Idle connections are swept every {@link Lifecycle#sweepMs()} and closed
 * once past the keep-alive window, and a connection whose caller has its answer but whose
 * response framing has not ended gets {@link Lifecycle#drainMs()} to end it, then is closed. A
 * connection older than {@link Lifecycle#maxAgeNanos()} is not reused: it is closed when its
 * exchange ends (or in the sweep), never under an exchange, so that behind a load-balanced address
 * (a Kubernetes Service) new connections spread the calls over replicas added since. A pool
 * {@linkplain #retire() retired} by a configuration reload serves the calls still made on it, but
 * keeps no connection idle.
 * Confined to its event loop.
 */
final class UpstreamPool {
  /** Every connection is taken and the line of waiting calls is full. */
  static final class PoolExhausted extends RuntimeException {
    PoolExhausted(String message) {
      super(message, null, false, false);
    }
  }

  /** Waiting for a free connection took longer than the pool's acquire timeout. */
  static final class AcquireTimeout extends RuntimeException {
    AcquireTimeout(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The pool's timing rules.
   *
   * @param keepAliveNanos an idle connection is reused only while younger than this
   * @param acquireTimeoutMs longest wait in line for a connection
   * @param drainMs how long a connection whose call has ended may take to finish its response
   *     framing (a stream's terminating chunk) before it is closed
   * @param sweepMs period of the idle sweep (0 = no sweep)
   * @param retryMinIdleNanos a reused connection closed under a request is resent only when it
   *     had been idle at least this long: only then can the close be the server's idle timer
   * @param retryCloseWindowNanos ... and only when the close arrived within this long of the
   *     write, before the server could have read the request and started a generation
   * @param maxAgeNanos a connection is reused only while younger than this since it was opened
   *     (0 = no limit)
   */
  record Lifecycle(long keepAliveNanos, long acquireTimeoutMs, long drainMs, long sweepMs,
      long retryMinIdleNanos, long retryCloseWindowNanos, long maxAgeNanos) {
    Lifecycle {
      if (keepAliveNanos < 0 || acquireTimeoutMs < 1 || drainMs < 1 || sweepMs < 0
          || retryMinIdleNanos < 0 || retryCloseWindowNanos < 0 || maxAgeNanos < 0) {
        throw new IllegalArgumentException("bad pool lifecycle " + keepAliveNanos + ", "
            + acquireTimeoutMs + ", " + drainMs + ", " + sweepMs + ", " + retryMinIdleNanos
            + ", " + retryCloseWindowNanos + ", " + maxAgeNanos);
      }
    }

    /**
     * Keep-alive 4 s (below uvicorn's 5 s, behind vLLM and SGLang); idle sweep every second;
     * 1 s to drain; a resend only after 2 s idle and a close within 5 ms of the write; a
     * connection reused for at most {@code maxAgeMs} (0 = no limit) after it was opened.
     */
    static Lifecycle defaults(long acquireTimeoutMs, long maxAgeMs) {
      return new Lifecycle(TimeUnit.SECONDS.toNanos(4), acquireTimeoutMs, 1_000, 1_000,
          TimeUnit.SECONDS.toNanos(2), TimeUnit.MILLISECONDS.toNanos(5),
          TimeUnit.MILLISECONDS.toNanos(maxAgeMs));
    }
  }

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final Vertx vertx;
  private final NetClient client;
  private final UpstreamOrigin origin;
  private final int connectTimeoutMs;
  private final int maxConnections;
  private final int maxWaiters;
  private final long keepAliveNanos;
  private final Lifecycle lifecycle;
  private final LongSupplier nanoClock;
  private final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
  private volatile int idleCount;
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private long sweepTimer = -1;
  /** Replaced by a reload: a connection whose exchange ends is closed, not kept idle. */
  private boolean retired;
  // Written on the pool's loop only; volatile so the metrics gauges may read them from any thread.
  private volatile int open;
  private volatile long agedOut;

  UpstreamPool(Vertx vertx, NetClient client, UpstreamOrigin origin, int connectTimeoutMs,
      int maxConnections, int maxWaiters, Lifecycle lifecycle, LongSupplier nanoClock) {
    if (maxConnections < 1 || maxWaiters < 0) {
      throw new IllegalArgumentException("maxConnections " + maxConnections + " < 1 or maxWaiters "
          + maxWaiters + " < 0");
    }
    this.vertx = vertx;
    this.client = client;
    this.origin = origin;
    this.connectTimeoutMs = connectTimeoutMs;
    this.maxConnections = maxConnections;
    this.maxWaiters = maxWaiters;
    this.keepAliveNanos = lifecycle.keepAliveNanos();
    this.lifecycle = lifecycle;
    this.nanoClock = nanoClock;
  }

  Lifecycle lifecycle() {
    return lifecycle;
  }

  /** One call waiting in line, with its acquire deadline. */
  private final class Waiter {
    final Promise<UpstreamConnection> promise = Promise.promise();
    long timer = -1;

    /** Leaves the line's timer behind; the caller completes the promise. */
    void disarm() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
  }

  /**
   * A connection ready for one exchange: an idle one unless {@code fresh}, else a new one. The
   * caller either sends on it or gives it back with {@link UpstreamConnection#giveBack()}.
   */
  Future<UpstreamConnection> acquire(boolean fresh) {
    return acquire(fresh, lifecycle.acquireTimeoutMs());
  }

  /** As {@link #acquire(boolean)}, waiting in line at most {@code timeoutMs}. */
  Future<UpstreamConnection> acquire(boolean fresh, long timeoutMs) {
    if (!fresh) {
      UpstreamConnection c;
      while ((c = idle.pollLast()) != null) {
        idleCount = idle.size();
        if (reusable(c)) {
          return Future.succeededFuture(c);
        }
        retire(c);
      }
    } else if (open >= maxConnections && !idle.isEmpty()) {
      idle.peekFirst().close(); // makes room; close() takes it out of the pool
    }
    if (open < maxConnections) {
      return connect();
    }
    if (waiters.size() >= maxWaiters) {
      return Future.failedFuture(new PoolExhausted("all " + maxConnections
          + " connections to the upstream are busy and " + maxWaiters + " calls already wait"));
    }
    Waiter waiter = new Waiter();
    waiters.addLast(waiter);
    waiter.timer = vertx.setTimer(Math.max(1, timeoutMs), id -> {
      waiter.timer = -1;
      if (waiters.remove(waiter)) {
        waiter.promise.tryFail(new AcquireTimeout("no connection to the upstream came free within "
            + timeoutMs + " ms (all " + maxConnections + " are busy)"));
      }
    });
    return waiter.promise.future();
  }

  /**
   * The call that asked for {@code pending} gave up (timeout, client gone): it leaves the line,
   * so it neither counts against the line's limit nor takes a connection nobody will use.
   *
   * @return true when it was still waiting
   */
  boolean cancel(Future<UpstreamConnection> pending) {
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.promise.future() == pending) {
        it.remove();
        w.disarm();
        return true;
      }
    }
    return false;
  }

  int waiting() {
    return waiters.size();
  }

  /**
   * A connection whose exchange ended cleanly: to the next waiting call, or idle; past its maximum
   * age, closed instead (a waiting call then gets a new connection in its place).
   */
  void release(UpstreamConnection c) {
    if (!c.open()) {
      return;
    }
    if (agedOut(c)) {
      retire(c);
      return;
    }
    Waiter waiter = waiters.pollFirst();
    if (waiter != null) {
      waiter.disarm();
      waiter.promise.complete(c);
    } else if (retired) {
      c.close();
    } else {
      idle.addLast(c);
      idleCount = idle.size();
      armSweep();
    }
  }

  /** The sweep runs only while some connection is idle: no timer for a busy or unused pool. */
  private void armSweep() {
    if (sweepTimer < 0 && lifecycle.sweepMs() > 0) {
      sweepTimer = vertx.setPeriodic(lifecycle.sweepMs(), id -> sweep());
    }
  }

  /** Closes the idle connections past the keep-alive window or their maximum age. */
  void sweep() {
    // idle is in release order, not age order: look at each (a pool holds few idle ones)
    for (UpstreamConnection c : idle.stream().filter(c -> !reusable(c)).toList()) {
      idle.remove(c);
      idleCount = idle.size();
      retire(c);
    }
    if (idle.isEmpty() && sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
      sweepTimer = -1;
    }
  }

  /** A timer on the pool's loop, for a connection's drain deadline. */
  long timer(long delayMs, Runnable action) {
    return vertx.setTimer(delayMs, id -> action.run());
  }

  void cancelTimer(long id) {
    vertx.cancelTimer(id);
  }

  long nanos() {
    return nanoClock.getAsLong();
  }

  /** A connection closed, for whatever reason; called once per connection. */
  void removed(UpstreamConnection c) {
    idle.remove(c);
    idleCount = idle.size();
    open--;
    connectForWaiter();
  }

  /** A slot opened up: the first waiting call gets a new connection (or that connect's failure). */
  private void connectForWaiter() {
    if (!waiters.isEmpty() && open < maxConnections) {
      Waiter waiter = waiters.pollFirst();
      waiter.disarm();
      connect().onComplete(waiter.promise);
    }
  }

  int openConnections() {
    return open;
  }

  /** Connections closed so far for reaching their maximum age. */
  long agedOut() {
    return agedOut;
  }

  /** Whether an idle connection may serve another exchange: open, kept alive, not too old. */
  private boolean reusable(UpstreamConnection c) {
    return c.open() && c.idleNanos() < keepAliveNanos && !agedOut(c);
  }

  private boolean agedOut(UpstreamConnection c) {
    return lifecycle.maxAgeNanos() > 0 && c.ageNanos() >= lifecycle.maxAgeNanos();
  }

  /** Closes a connection not to be reused, counting it when its age is why. */
  private void retire(UpstreamConnection c) {
    if (c.open() && agedOut(c)) {
      agedOut++;
    }
    c.close();
  }

  int idleConnections() {
    return idleCount;
  }

  /**
   * The configuration that made this pool was replaced: its idle connections close now, and each
   * busy one when its exchange ends. Calls of requests still running may still be made on it.
   * On the pool's loop.
   */
  void retire() {
    retired = true;
    closeIdle();
  }

  /** Closes the idle connections (the busy ones close with their exchange or the client). */
  void closeIdle() {
    UpstreamConnection c;
    while ((c = idle.pollFirst()) != null) {
      idleCount = idle.size();
      c.close();
    }
  }

  /** False for an IPv4 or IPv6 literal: those are not server names (RFC 6066 §3). */
  static boolean isDnsName(String host) {
    return host.indexOf(':') < 0 && !IPV4.matcher(host).matches();
  }

  private Future<UpstreamConnection> connect() {
    open++;
    ConnectOptions options = new ConnectOptions()
        .setHost(origin.host())
        .setPort(origin.port())
        .setSsl(origin.ssl())
        .setTimeout(connectTimeoutMs);
    if (origin.ssl() && isDnsName(origin.host())) {
      // RFC 6066 §3: SNI carries DNS names only. For an IP address nothing is sent, and the
      // certificate is checked for that IP among its subject alternative names.
      options.setSniServerName(IDN.toASCII(origin.host()));
    }
    return client.connect(options)
        .map(socket -> new UpstreamConnection(socket, this, nanoClock))
        .onFailure(t -> {
          open--;
          connectForWaiter(); // else a waiter could wait for a release that never comes
        });
  }
}
