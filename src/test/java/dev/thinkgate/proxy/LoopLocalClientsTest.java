package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoopLocalClientsTest {
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
  private final AtomicInteger made = new AtomicInteger();
  private final LoopLocalClients clients = new LoopLocalClients(() -> {
    made.incrementAndGet();
    return vertx.createHttpClient();
  });

  @AfterEach
  void close() {
    clients.close().await();
    vertx.close().await();
  }

  @Test
  void eachEventLoopGetsItsOwnClientAndKeepsIt() throws Exception {
    Context a = verticleContext();
    Context b = verticleContext(); // deployments take the event loops in turn
    HttpClientAgent a1 = on(a);
    HttpClientAgent a2 = on(a);
    HttpClientAgent b1 = on(b);

    assertThat(a1).isSameAs(a2);
    assertThat(b1).isNotSameAs(a1);
    assertThat(on(b)).isSameAs(b1);
    assertThat(made).hasValue(2);
  }

  @Test
  void callersOffTheEventLoopShareOneClient() {
    HttpClientAgent first = clients.current();
    HttpClientAgent second = clients.current();

    assertThat(first).isSameAs(second);
    assertThat(made).hasValue(1);
  }

  private Context verticleContext() {
    CompletableFuture<Context> deployed = new CompletableFuture<>();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        deployed.complete(context);
        return Future.succeededFuture();
      }
    }).await();
    return deployed.join();
  }

  private HttpClientAgent on(Context context) throws Exception {
    CompletableFuture<HttpClientAgent> client = new CompletableFuture<>();
    context.runOnContext(v -> client.complete(clients.current()));
    return client.get(5, TimeUnit.SECONDS);
  }
}
