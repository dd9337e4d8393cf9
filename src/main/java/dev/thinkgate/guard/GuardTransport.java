package dev.thinkgate.guard;

import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * How {@link HttpGuard} posts a call when it runs on an event loop: the gateway gives it the
 * pooled HTTP/1.1 client its upstream calls use ({@code proxy.PooledHttp1Client}), which costs
 * less per call than Vert.x's HTTP client. Off an event loop, and when none is given, the guard
 * uses Vert.x's client.
 */
public interface GuardTransport {

  /** A reply: the status and the whole body. */
  record Reply(int status, Buffer body) {}

  /** Builds the transport of one guard endpoint. */
  @FunctionalInterface
  interface Factory {
    /**
     * @param url the absolute URL every call posts to
     * @param authorization the {@code Authorization} header's value, or null
     */
    GuardTransport create(String url, String authorization, int connectTimeoutMs);
  }

  /**
   * The guard that made this transport was replaced by a configuration reload: it keeps no
   * connection idle from now on, and closes every connection after {@code drainMs} (calls of
   * requests that began before the reload are still served until then).
   */
  default void retire(long drainMs) {}

  /** Whether {@link #post} may be called on the calling thread. */
  boolean callableHere();

  /**
   * Posts {@code json}; {@code done} hears the reply or the failure once, on the calling event
   * loop (possibly before this returns).
   *
   * @return gives the call up, from any thread: its connection is closed and {@code done} hears
   *     nothing more
   */
  Runnable post(Buffer json, long acquireTimeoutMs, int maxBodyBytes,
      Handler<AsyncResult<Reply>> done);
}
