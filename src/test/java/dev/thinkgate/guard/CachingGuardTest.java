package dev.thinkgate.guard;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CachingGuardTest {

  /** A guard whose calls complete only when the test says so. */
  private static final class ManualGuard implements Guard {
    final List<Promise<GuardVerdict>> calls = new ArrayList<>();
    final List<Future<GuardVerdict>> cancelled = new ArrayList<>();

    @Override
    public String name() {
      return "manual";
    }

    @Override
    public void cancel(Future<GuardVerdict> call) {
      cancelled.add(call);
      for (Promise<GuardVerdict> p : calls) {
        if (p.future() == call) {
          p.tryFail(new GuardException(GuardException.Kind.CANCELLED, "cancelled"));
        }
      }
    }

    @Override
    public Future<GuardVerdict> judge(GuardRequest request) {
      Promise<GuardVerdict> p = Promise.promise();
      calls.add(p);
      return p.future();
    }
  }

  /** A rendering guard that counts its renders and records what it was asked to send. */
  private static final class CountingRenderer implements RenderingGuard {
    final AtomicLong renders = new AtomicLong();
    final List<String> sent = new ArrayList<>();
    final LlamaGuardFormat format = LlamaGuardFormat.llamaGuard3();

    @Override
    public String name() {
      return "renderer";
    }

    @Override
    public String render(GuardRequest request) {
      renders.incrementAndGet();
      return format.prompt(request);
    }

    @Override
    public Future<GuardVerdict> judgeRendered(String rendered) {
      sent.add(rendered);
      return Future.succeededFuture(new GuardVerdict(true, List.of(), 1, false));
    }

    /** Each batch the cache handed on, as the texts it would send together. */
    final List<List<String>> batches = new ArrayList<>();

    @Override
    public List<Future<GuardVerdict>> judgeRenderedAll(List<String> rendered) {
      batches.add(List.copyOf(rendered));
      return RenderingGuard.super.judgeRenderedAll(rendered);
    }
  }

  @Test
  void severalRequestsAskTheDelegateOnceForTheMissesOnlyInOrder() {
    CountingRenderer renderer = new CountingRenderer();
    CachingGuard cache = new CachingGuard(renderer, "p\u0000", 10, Duration.ofSeconds(10),
        ticker, new SimpleMeterRegistry(), null);
    GuardRequest c = new GuardRequest("user", "a third text", List.of());
    cache.judge(a); // cached from now on

    List<Future<GuardVerdict>> verdicts = cache.judgeAll(List.of(b, a, c));

    assertThat(verdicts).allMatch(Future::succeeded);
    assertThat(verdicts.get(1).result().cached()).isTrue();
    assertThat(verdicts.get(0).result().cached()).isFalse();
    assertThat(renderer.batches).containsExactly(List.of(renderer.format.prompt(b),
        renderer.format.prompt(c)));
    // and the verdicts it gave are cached
    assertThat(cache.judgeAll(List.of(b, c))).allMatch(f -> f.result().cached());
    assertThat(renderer.batches).hasSize(1);
  }

  @Test
  void aRenderingGuardIsRenderedOnceACallAndKeyedAsTheWireTextAfterItsPrefix() {
    CountingRenderer renderer = new CountingRenderer();
    String prefix = "llama-guard-3\u0000COMPLETIONS\u0000lg\u0000";
    CachingGuard rendering = new CachingGuard(renderer, prefix, 10, Duration.ofSeconds(10),
        ticker, new SimpleMeterRegistry(), null);

    // When a miss, then a hit
    assertThat(rendering.judge(a).result().cached()).isFalse();
    assertThat(rendering.judge(a).result().cached()).isTrue();

    // Then each judge rendered once, the call sent that very text
    assertThat(renderer.renders.get()).isEqualTo(2);
    assertThat(renderer.sent).containsExactly(format.prompt(a));
    // and the key is what it was before the guard rendered for the cache (the function form):
    // replicas of either version share their Redis entries
    CachingGuard legacy = new CachingGuard(delegate, r -> prefix + format.prompt(r), 10,
        Duration.ofSeconds(10), ticker, new SimpleMeterRegistry());
    assertThat(rendering.keyOf(a)).isEqualTo(legacy.keyOf(a))
        .isEqualTo(CachingGuard.sha256(prefix + format.prompt(a)));
  }

  private final ManualGuard delegate = new ManualGuard();
  private final AtomicLong nanos = new AtomicLong();
  private final Ticker ticker = nanos::get;
  private final LlamaGuardFormat format = LlamaGuardFormat.llamaGuard3();
  private final CachingGuard cache = new CachingGuard(delegate, format::prompt, 2, Duration.ofSeconds(10), ticker,
      new SimpleMeterRegistry());
  private final GuardRequest a = new GuardRequest("u", "text a", List.of());
  private final GuardRequest b = new GuardRequest("u", "text b", List.of());

  @Test
  void theKeyIsTheSha256OfTheWireTextInLowerCaseHexFromEveryThread() throws Exception {
    // FIPS 180-2 test vectors; the key of an L2 entry other replicas share must never change.
    assertThat(CachingGuard.sha256("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(CachingGuard.sha256(""))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // UTF-8, as the guard receives it: "é" is c3 a9
    assertThat(CachingGuard.sha256("\u00e9")).isEqualTo(CachingGuard.sha256(new String(
        new byte[] {(byte) 0xc3, (byte) 0xa9}, java.nio.charset.StandardCharsets.UTF_8)));
    // Each thread digests on its own instance.
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<Boolean>> runs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        runs.add(pool.submit(() -> {
          for (int n = 0; n < 2_000; n++) {
            if (!CachingGuard.sha256("abc").startsWith("ba7816bf")) {
              return false;
            }
          }
          return true;
        }));
      }
      for (java.util.concurrent.Future<Boolean> run : runs) {
        assertThat(run.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void secondIdenticalCheckIsAHitWithZeroGuardTime() {
    cache.judge(a);
    delegate.calls.get(0).complete(new GuardVerdict(false, List.of("S1"), 40, false));

    GuardVerdict hit = cache.judge(a).result();

    assertThat(hit.safe()).isFalse();
    assertThat(hit.categories()).containsExactly("S1");
    assertThat(hit.cached()).isTrue();
    assertThat(hit.guardMs()).isZero();
    assertThat(delegate.calls).hasSize(1);
    assertThat(cache.hitCount()).isEqualTo(1);
    assertThat(cache.missCount()).isEqualTo(1);
  }

  @Test
  void aSharedCallIsCancelledOnlyWhenTheLastWaiterGivesUp() {
    Future<GuardVerdict> first = cache.judge(a);
    Future<GuardVerdict> second = cache.judge(a);

    cache.cancel(first);

    assertThat(delegate.cancelled).isEmpty();
    assertThat(second.isComplete()).isFalse();

    cache.cancel(second);

    assertThat(delegate.cancelled).containsExactly(delegate.calls.get(0).future());
    assertThat(second.failed()).isTrue();
    assertThat(((GuardException) second.cause()).kind()).isEqualTo(GuardException.Kind.CANCELLED);
    // a failure is not cached: the next identical check calls the guard again
    cache.judge(a);
    assertThat(delegate.calls).hasSize(2);
  }

  @Test
  void concurrentIdenticalChecksShareOneCall() {
    Future<GuardVerdict> first = cache.judge(a);
    Future<GuardVerdict> second = cache.judge(a);
    Future<GuardVerdict> other = cache.judge(b);

    assertThat(delegate.calls).hasSize(2);
    delegate.calls.get(0).complete(GuardVerdict.safe(10));

    assertThat(first.result().safe()).isTrue();
    assertThat(second.result().safe()).isTrue();
    assertThat(other.isComplete()).isFalse();
    assertThat(cache.sharedCount()).isEqualTo(1);
  }

  @Test
  void failuresAreNotCached() {
    Future<GuardVerdict> failed = cache.judge(a);
    delegate.calls.get(0).fail(new GuardException(GuardException.Kind.TIMEOUT, "slow"));
    assertThat(failed.failed()).isTrue();

    cache.judge(a);

    assertThat(delegate.calls).hasSize(2);
  }

  @Test
  void entriesExpireOnTheInjectedTicker() {
    cache.judge(a);
    delegate.calls.get(0).complete(GuardVerdict.safe(1));
    nanos.addAndGet(Duration.ofSeconds(11).toNanos());

    cache.judge(a);

    assertThat(delegate.calls).hasSize(2);
  }

  @Test
  void differentCategoriesAreDifferentKeys() {
    cache.judge(a);
    delegate.calls.get(0).complete(GuardVerdict.safe(1));

    cache.judge(new GuardRequest("u", "text a", List.of("S1")));

    assertThat(delegate.calls).hasSize(2);
  }

  @Test
  void sizeBoundEvicts() {
    for (int i = 0; i < 50; i++) {
      cache.judge(new GuardRequest("u", "t" + i, List.of()));
      delegate.calls.get(i).complete(GuardVerdict.safe(1));
    }
    int before = delegate.calls.size();

    for (int i = 0; i < 50; i++) {
      cache.judge(new GuardRequest("u", "t" + i, List.of()));
    }

    assertThat(delegate.calls.size() - before).isGreaterThanOrEqualTo(45);
  }
}
