package dev.thinkgate.http;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * Where every exchange over one Vert.x HTTP client is made: one event-loop context of its own.
 * Vert.x delivers a response's events to the context its request was made on; a request made on
 * another context than its pooled connection's gets them handed over asynchronously, and a body
 * that arrived with the head is then lost before {@code body()} asks for it
 * (eclipse-vertx/vert.x#5904, #4106): the exchange reads an empty body. Made on one context, a
 * response and its body are read in the same task. Callers on several loops, on timers and off
 * Vert.x all share a client this way. Thread-safe.
 */
public final class ClientContext {
  private final Context context;

  /** A context of its own on one of {@code vertx}'s event loops. */
  public ClientContext(Vertx vertx) {
    this.context = ((io.vertx.core.internal.VertxInternal) vertx).createEventLoopContext();
  }

  /**
   * Runs {@code exchange} (request, send, read the body) on this context, at once when called
   * there; its outcome can be used from any thread. A throw fails the future.
   */
  public <T> Future<T> call(Supplier<Future<T>> exchange) {
    if (Vertx.currentContext() == context) {
      return start(exchange);
    }
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> start(exchange).onComplete(promise));
    return promise.future();
  }

  private static <T> Future<T> start(Supplier<Future<T>> exchange) {
    try {
      return exchange.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
