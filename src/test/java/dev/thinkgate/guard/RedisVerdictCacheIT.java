package dev.thinkgate.guard;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.thinkgate.config.GatewayConfig.RedisConfig;
import dev.thinkgate.state.RedisState;
import dev.thinkgate.state.StateErrors;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/** The second-level verdict cache against a real redis-server, alone and behind CachingGuard. */
class RedisVerdictCacheIT {
  private RedisServer server;
  private RedisState redis;
  private final Vertx vertx = Vertx.vertx();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final StateErrors errors = new StateErrors(registry);

  @BeforeEach
  void start() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    server = new RedisServer(port);
    server.start();
    redis = RedisState.connect(vertx, new RedisConfig("redis://127.0.0.1:" + port, 1000, 2000,
        30_000, "t:", 4));
  }

  @AfterEach
  void stop() throws Exception {
    redis.release();
    vertx.close().await();
    if (server.isActive()) {
      server.stop();
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  /** A guard that answers unsafe S2 at once and counts its calls. */
  private static final class CountingGuard implements Guard {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public String name() {
      return "g";
    }

    @Override
    public Future<GuardVerdict> judge(GuardRequest request) {
      calls.incrementAndGet();
      return Future.succeededFuture(new GuardVerdict(false, List.of("S2"), 7, false));
    }
  }

  private CachingGuard replica(CountingGuard guard) {
    RedisVerdictCache l2 = new RedisVerdictCache("g", () -> redis, errors, 60_000, registry);
    return new CachingGuard(guard, r -> r.userPrompt() + "|" + r.assistantText(), 100,
        Duration.ofMinutes(1), Ticker.systemTicker(), registry, l2);
  }

  @Test
  void storedVerdictsComeBackWithTheGuardsTtlAndGarbageIsAMiss() throws Exception {
    RedisVerdictCache cache = new RedisVerdictCache("g", () -> redis, errors, 60_000, registry);
    cache.put("aa", new GuardVerdict(false, List.of("S1", "S10"), 12, false));
    cache.put("bb", GuardVerdict.safe(3));
    await(redis.send(Request.cmd(Command.SET).arg("t:verdict:g:cc").arg("maybe")));

    GuardVerdict unsafe = await(cache.get("aa"));
    assertThat(unsafe.safe()).isFalse();
    assertThat(unsafe.categories()).containsExactly("S1", "S10");
    assertThat(unsafe.cached()).isTrue();
    assertThat(await(cache.get("bb")).safe()).isTrue();
    assertThat(await(cache.get("cc"))).isNull();
    assertThat(await(cache.get("dd"))).isNull();
    long pttl = await(redis.send(Request.cmd(Command.PTTL).arg("t:verdict:g:aa"))).toLong();
    assertThat(pttl).isBetween(1L, 60_000L);
    assertThat(cache.hitCount()).isEqualTo(2);
    assertThat(cache.missCount()).isEqualTo(2);
    assertThat(cache.errorCount()).isZero();
  }

  @Test
  void aVerdictFromOneReplicaIsAHitOnAnotherAndAnOutageCallsTheGuard() throws Exception {
    CountingGuard guardA = new CountingGuard();
    CountingGuard guardB = new CountingGuard();
    CachingGuard a = replica(guardA);
    CachingGuard b = replica(guardB);
    GuardRequest request = new GuardRequest("user", "answer", List.of());

    GuardVerdict first = await(a.judge(request));
    // the L2 write is fire-and-forget: wait until it landed
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (await(redis.send(Request.cmd(Command.KEYS).arg("t:verdict:g:*"))).size() == 0) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(10); // test thread
    }
    GuardVerdict onB = await(b.judge(request));

    assertThat(first.cached()).isFalse();
    assertThat(onB.safe()).isFalse();
    assertThat(onB.categories()).containsExactly("S2");
    assertThat(onB.cached()).isTrue();
    assertThat(guardA.calls).hasValue(1);
    assertThat(guardB.calls).hasValue(0);

    // When Redis is gone, a new prompt still gets a verdict: from the guard, the error counted
    server.stop();
    GuardVerdict during = await(b.judge(new GuardRequest("user", "other", List.of())));
    assertThat(during.safe()).isFalse();
    assertThat(guardB.calls).hasValue(1);
    assertThat(errors.count("cache_get", "guard_called")).isEqualTo(1);
  }

  @Test
  void aCheckAbandonedWhileRedisIsAskedNeverCallsTheGuard() throws Exception {
    CountingGuard guard = new CountingGuard();
    CachingGuard caching = replica(guard);

    Future<GuardVerdict> call = caching.judge(new GuardRequest("user", "text", List.of()));
    caching.cancel(call); // before Redis answered: nobody waits any more

    Throwable failure = call.toCompletionStage().toCompletableFuture()
        .handle((v, e) -> e).get(5, TimeUnit.SECONDS);
    assertThat(failure).isInstanceOf(GuardException.class);
    assertThat(guard.calls).hasValue(0);
  }
}
