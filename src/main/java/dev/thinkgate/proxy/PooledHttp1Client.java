package dev.thinkgate.proxy;

import dev.thinkgate.config.GatewayConfig.Timeouts;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/**
 * Small JSON POSTs to one URL (a guard's {@code /v1/completions}) over ThinkGate's own HTTP/1.1
 * client: the keep-alive pools, decoder and connection rules of the streamed upstream calls
 * ({@link UpstreamPools}, {@link UpstreamConnection}), without Vert.x's HTTP client objects per
 * call. A request is resent once on a new connection only when its reused connection closed
 * under it before the server could have read it. Calls are made from an event loop, whose pool
 * serves them; off a loop the caller uses another client. A guard's transport.
 */
public final class PooledHttp1Client implements dev.thinkgate.guard.GuardTransport {
  private final UpstreamPools pools;
  private final UpstreamOrigin origin;
  private final byte[] headers;

  /** The response body is larger than the caller accepts. */
  public static final class BodyTooLarge extends RuntimeException {
    BodyTooLarge(int max) {
      super("the response body is larger than " + max + " bytes", null, false, false);
    }
  }

  /**
   * @param url the absolute http or https URL every call posts to
   * @param authorization the {@code Authorization} header's value, or null
   * @throws IllegalArgumentException when {@code url} is not an absolute http(s) URL
   */
  public PooledHttp1Client(Vertx vertx, String url, int connectTimeoutMs, String authorization) {
    UpstreamOrigin origin = UpstreamOrigin.parse(url);
    this.pools = new UpstreamPools(vertx, origin, connectTimeoutMs, null,
        UpstreamPool.Lifecycle.defaults(Timeouts.DEFAULT_POOL_ACQUIRE_MS,
            Timeouts.DEFAULT_MAX_CONNECTION_AGE_MS));
    this.origin = origin;
    this.headers = origin.jsonHeaders("application/json", authorization);
  }

  @Override
  public void retire(long drainMs) {
    pools.retire(drainMs);
  }

  /** An event loop: its pool serves the call. */
  @Override
  public boolean callableHere() {
    return Context.isOnEventLoopThread();
  }

  /**
   * {@inheritDoc}
   *
   * @param acquireTimeoutMs how long the call may wait for a connection when all are busy
   * @param maxBodyBytes a longer response body fails the call with {@link BodyTooLarge}
   */
  @Override
  public Runnable post(Buffer json, long acquireTimeoutMs, int maxBodyBytes,
      Handler<AsyncResult<Reply>> done) {
    Exchange exchange = new Exchange(origin.jsonPost("", headers, json), acquireTimeoutMs,
        maxBodyBytes, done);
    exchange.start(false);
    Context loop = Vertx.currentContext();
    // the connection belongs to this loop; a caller on another thread gives up through it
    return () -> {
      if (Vertx.currentContext() == loop) {
        exchange.cancel();
      } else {
        loop.runOnContext(v -> exchange.cancel());
      }
    };
  }

  /** One call: a connection from the loop's pool, one exchange on it, at most one resend. */
  private final class Exchange implements UpstreamConnection.Exchange {
    private final Buffer request;
    private final long acquireTimeoutMs;
    private final int maxBodyBytes;
    private final Handler<AsyncResult<Reply>> done;
    private UpstreamPool pool;
    private Future<UpstreamConnection> pendingAcquire;
    private UpstreamConnection connection;
    private Buffer body;
    private int status;
    private boolean retried;
    private boolean ended;

    Exchange(Buffer request, long acquireTimeoutMs, int maxBodyBytes,
        Handler<AsyncResult<Reply>> done) {
      this.request = request;
      this.acquireTimeoutMs = acquireTimeoutMs;
      this.maxBodyBytes = maxBodyBytes;
      this.done = done;
    }

    void start(boolean fresh) {
      pool = pools.current();
      Future<UpstreamConnection> acquired = pool.acquire(fresh, acquireTimeoutMs);
      pendingAcquire = acquired;
      acquired.onComplete(ar -> {
        pendingAcquire = null;
        if (ended) {
          if (ar.succeeded()) {
            ar.result().giveBack();
          }
          return;
        }
        if (ar.failed()) {
          end(Future.failedFuture(ar.cause()));
          return;
        }
        connection = ar.result();
        body = Buffer.buffer(256);
        status = 0;
        connection.send(request, this);
      });
    }

    @Override
    public void onHead(int status) {
      this.status = status;
    }

    @Override
    public void onBody(byte[] bytes, int offset, int length) {
      if (ended) {
        return;
      }
      if (body.length() + length > maxBodyBytes) {
        connection.abort(this);
        end(Future.failedFuture(new BodyTooLarge(maxBodyBytes)));
        return;
      }
      body.appendBytes(bytes, offset, length);
    }

    @Override
    public void onEnd() {
      end(Future.succeededFuture(new Reply(status, body)));
    }

    @Override
    public void onFailure(UpstreamConnection.ConnectionFailure failure) {
      if (ended) {
        return;
      }
      if (failure.retryable() && !retried) {
        retried = true; // the server closed an idle connection as we used it: once more
        connection = null;
        start(true);
      } else {
        end(Future.failedFuture(failure));
      }
    }

    void cancel() {
      if (ended) {
        return;
      }
      ended = true;
      if (connection != null) {
        connection.abort(this); // its response is unread: closing is HTTP/1.1's only reset
      }
      if (pendingAcquire != null) {
        pool.cancel(pendingAcquire);
        pendingAcquire = null;
      }
    }

    private void end(AsyncResult<Reply> result) {
      if (!ended) {
        ended = true;
        done.handle(result);
      }
    }
  }
}
