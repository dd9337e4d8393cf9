package dev.thinkgate.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ClientContext}: exchanges asked for from event loops, other contexts and plain threads
 * all run on its one context, over a real client and server, and each reads its whole body.
 */
class ClientContextTest {
  private Vertx vertx;
  private int port;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(4));
    port = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b ->
            req.response().putHeader("content-type", "application/json").end("{\"ok\":1}")))
        .listen(0, "127.0.0.1").await().actualPort();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void exchangesFromEveryCallerRunOnItsOneContextAndReadTheirBodies() {
    ClientContext calls = new ClientContext(vertx);
    HttpClientAgent client = vertx.createHttpClient();
    Set<Context> ranOn = ConcurrentHashMap.newKeySet();
    List<Future<Buffer>> all = new ArrayList<>();
    List<Context> callers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      callers.add(((io.vertx.core.internal.VertxInternal) vertx).createEventLoopContext());
    }
    for (int round = 0; round < 50; round++) {
      for (Context caller : callers) {
        Promise<Buffer> p = Promise.promise();
        caller.runOnContext(v -> calls.call(() -> {
          ranOn.add(Vertx.currentContext());
          return client.request(new RequestOptions().setMethod(HttpMethod.POST)
                  .setAbsoluteURI("http://127.0.0.1:" + port + "/x"))
              .compose(req -> req.send("{}").compose(resp -> resp.body()));
        }).onComplete(p));
        all.add(p.future());
      }
      // and from this test thread, off Vert.x
      all.add(calls.call(() -> {
        ranOn.add(Vertx.currentContext());
        return client.request(new RequestOptions().setMethod(HttpMethod.POST)
                .setAbsoluteURI("http://127.0.0.1:" + port + "/x"))
            .compose(req -> req.send("{}").compose(resp -> resp.body()));
      }));
    }
    Future.all(all).await();

    assertThat(ranOn).hasSize(1);
    assertThat(ranOn.iterator().next()).isNotIn(callers);
    assertThat(all).allSatisfy(f -> assertThat(f.result().toString()).isEqualTo("{\"ok\":1}"));
  }

  @Test
  void anExchangeThatThrowsFailsItsFuture() {
    ClientContext calls = new ClientContext(vertx);
    Future<Object> f = calls.call(() -> {
      throw new IllegalStateException("client closed");
    });
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> f.await(5, java.util.concurrent.TimeUnit.SECONDS))
        .hasMessageContaining("client closed");
  }
}
