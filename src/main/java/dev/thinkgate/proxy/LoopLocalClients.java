package dev.thinkgate.proxy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientAgent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The HTTP clients of one upstream, one per event loop. Vert.x's connection pool hands any idle
 * connection to any caller, whatever loop the connection lives on; a request served on loop A
 * that got a connection of loop B then crosses threads for every upstream chunk and every write.
 * A client per loop keeps each request and its upstream connection on the same thread. Callers
 * off an event loop (CLI tools, tests) share one more client.
 */
final class LoopLocalClients {
  private final Supplier<HttpClientAgent> factory;
  private final Map<Thread, HttpClientAgent> byLoop = new ConcurrentHashMap<>();
  private volatile HttpClientAgent offLoop;

  LoopLocalClients(Supplier<HttpClientAgent> factory) {
    this.factory = factory;
  }

  /** The client of the calling event loop. */
  HttpClientAgent current() {
    if (!Context.isOnEventLoopThread()) {
      return offLoopClient();
    }
    Thread loop = Thread.currentThread();
    HttpClientAgent client = byLoop.get(loop);
    return client != null ? client : byLoop.computeIfAbsent(loop, t -> factory.get());
  }

  private synchronized HttpClientAgent offLoopClient() {
    if (offLoop == null) {
      offLoop = factory.get();
    }
    return offLoop;
  }

  /** Closes every client made so far. */
  Future<Void> close() {
    List<Future<Void>> closing = new ArrayList<>();
    byLoop.values().forEach(c -> closing.add(c.close()));
    synchronized (this) {
      if (offLoop != null) {
        closing.add(offLoop.close());
      }
    }
    return Future.join(closing).mapEmpty();
  }
}
