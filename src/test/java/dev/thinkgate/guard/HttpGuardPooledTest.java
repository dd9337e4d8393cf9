package dev.thinkgate.guard;

import dev.thinkgate.config.GatewayConfig.GuardConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Every {@link HttpGuardTest} again, with the guard's calls made on an event loop over the
 * gateway's pooled HTTP/1.1 client ({@code proxy.PooledHttp1Client}) instead of Vert.x's HTTP
 * client (closed here, so nothing can fall back to it): the same requests on the wire, timeouts,
 * queue, cancellation (from the test's thread, not the call's loop), breaker and failure kinds.
 */
class HttpGuardPooledTest extends HttpGuardTest {
  private Context loop;

  @Override
  HttpGuard guard(GuardConfig config, Function<String, String> env) {
    // Vert.x's client is closed: a call that went through it instead would fail the test
    io.vertx.core.http.HttpClient closed = vertx.createHttpClient();
    closed.close();
    return new HttpGuard(config, Guards.format(config.format()), closed,
        (url, authorization, connectMs) -> new dev.thinkgate.proxy.PooledHttp1Client(vertx, url,
            connectMs, authorization), vertx, registry, env, clock::get);
  }

  @Override
  Future<GuardVerdict> judge(Guard guard, GuardRequest r) throws Exception {
    return onLoop(() -> guard.judge(r));
  }

  @Override
  java.util.List<Future<GuardVerdict>> judgeAll(Guard guard, java.util.List<GuardRequest> requests)
      throws Exception {
    return onLoop(() -> guard.judgeAll(requests));
  }

  private <T> T onLoop(java.util.function.Supplier<T> body) throws Exception {
    if (loop == null || loop.owner() != vertx) {
      loop = vertx.getOrCreateContext();
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    loop.runOnContext(v -> result.complete(body.get()));
    return result.get(5, TimeUnit.SECONDS);
  }
}
