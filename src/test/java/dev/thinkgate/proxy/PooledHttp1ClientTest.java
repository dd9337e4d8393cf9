package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.guard.GuardTransport;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The guard's pooled HTTP/1.1 client against a real Vert.x HTTP server on a free port. */
class PooledHttp1ClientTest {
  private final Vertx vertx = Vertx.vertx();
  private final AtomicInteger connections = new AtomicInteger();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private volatile String reply = "{\"ok\":true}";
  private PooledHttp1Client client;
  private Context loop;
  private int port;

  @BeforeEach
  void start() {
    HttpServer server = vertx.createHttpServer()
        .connectionHandler(c -> connections.incrementAndGet())
        .requestHandler(req -> req.body().onSuccess(b -> {
          requests.add(req.method() + " " + req.uri() + " " + req.getHeader("host") + " "
              + req.getHeader("authorization") + " " + req.getHeader("content-type") + " " + b);
          req.response().setStatusCode(reply.startsWith("{") ? 200 : 503).end(reply);
        }));
    port = server.listen(0, "127.0.0.1").await().actualPort();
    client = new PooledHttp1Client(vertx, "http://127.0.0.1:" + port + "/v1/completions", 1_000,
        "Bearer k");
    loop = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private AsyncResult<GuardTransport.Reply> post(String json, int maxBody) throws Exception {
    CompletableFuture<AsyncResult<GuardTransport.Reply>> done = new CompletableFuture<>();
    loop.runOnContext(v -> client.post(Buffer.buffer(json), 1_000, maxBody, done::complete));
    return done.get(5, TimeUnit.SECONDS);
  }

  @Test
  void postsTheJsonAndReadsTheReplyOnOneKeptAliveConnection() throws Exception {
    AsyncResult<GuardTransport.Reply> first = post("{\"prompt\":\"a\"}", 1024);
    AsyncResult<GuardTransport.Reply> second = post("{\"prompt\":\"b\"}", 1024);

    assertThat(first.succeeded()).isTrue();
    assertThat(first.result().status()).isEqualTo(200);
    assertThat(first.result().body().toString()).isEqualTo("{\"ok\":true}");
    assertThat(second.result().body().toString()).isEqualTo("{\"ok\":true}");
    String head = "POST /v1/completions 127.0.0.1:" + port + " Bearer k application/json ";
    assertThat(requests).containsExactly(head + "{\"prompt\":\"a\"}", head + "{\"prompt\":\"b\"}");
    assertThat(connections.get()).isEqualTo(1);
    assertThat(client.callableHere()).as("off a loop").isFalse();
  }

  @Test
  void aStatusOtherThan200IsAReplyAndABodyOverTheLimitAFailure() throws Exception {
    reply = "overloaded";
    AsyncResult<GuardTransport.Reply> status = post("{}", 1024);
    assertThat(status.result().status()).isEqualTo(503);
    assertThat(status.result().body().toString()).isEqualTo("overloaded");

    reply = "{\"text\":\"" + "x".repeat(5_000) + "\"}";
    AsyncResult<GuardTransport.Reply> large = post("{}", 1024);
    assertThat(large.failed()).isTrue();
    assertThat(large.cause()).isInstanceOf(PooledHttp1Client.BodyTooLarge.class);

    reply = "{\"ok\":true}";
    assertThat(post("{}", 1024).succeeded()).as("the cut connection is not reused").isTrue();
    assertThat(connections.get()).isEqualTo(2);
  }
}
