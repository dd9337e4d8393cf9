package dev.thinkgate.guard;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A verdict cache in front of another guard, keyed by the SHA-256 of the exact text the guard
 * would be sent (format, categories and conversation included). Bounded in size and age; concurrent
 * identical checks share one call to the delegate; failures are never cached. Thread-safe.
 *
 * <p>With a second level ({@link RedisVerdictCache}), a miss here asks the replicas' shared Redis
 * before calling the delegate, and a verdict the delegate gives is stored in both levels.
 */
public final class CachingGuard implements Guard {

  private final Guard delegate;
  /** The text hashed for a request's key; for a {@link RenderingGuard}, also what it sends. */
  private final Function<GuardRequest, String> wireText;
  /** Hashed before the wire text: what else sets the guard's answer (format, API, model). */
  private final String keyPrefix;
  /** Calls the delegate for a request and its wire text (which only a rendering guard uses). */
  private final java.util.function.BiFunction<GuardRequest, String, Future<GuardVerdict>> call;
  /** Calls the delegate for several requests at once, given with their wire texts. */
  private final java.util.function.BiFunction<List<GuardRequest>, List<String>,
      List<Future<GuardVerdict>>> callAll;
  private final Cache<String, GuardVerdict> cache;
  private final ConcurrentHashMap<String, Future<GuardVerdict>> inFlight = new ConcurrentHashMap<>();
  /** Calls to the delegate not finished yet, by the future shared with their waiters. */
  private final ConcurrentHashMap<Future<GuardVerdict>, Shared> sharedCalls =
      new ConcurrentHashMap<>();

  /** One lookup-then-call and how many callers still wait for it. */
  private static final class Shared {
    final java.util.concurrent.atomic.AtomicInteger waiters =
        new java.util.concurrent.atomic.AtomicInteger(1);
    /** The delegate call once it started (after an L2 miss). */
    volatile Future<GuardVerdict> delegateCall;
    /** Every waiter gave up before the delegate was called: do not call it. */
    volatile boolean abandoned;
  }
  private final RedisVerdictCache secondLevel;
  private final Counter hits;
  private final Counter misses;
  private final Counter shared;

  /**
   * @param wireText the exact text the delegate sends for a request (e.g. the rendered prompt)
   * @param ticker time source for expiry ({@link Ticker#systemTicker()} in production)
   */
  public CachingGuard(Guard delegate, Function<GuardRequest, String> wireText, long maxEntries,
      Duration ttl, Ticker ticker, MeterRegistry registry) {
    this(delegate, wireText, maxEntries, ttl, ticker, registry, null);
  }

  /** @param secondLevel the shared verdict cache asked after a miss here; null = none */
  public CachingGuard(Guard delegate, Function<GuardRequest, String> wireText, long maxEntries,
      Duration ttl, Ticker ticker, MeterRegistry registry, RedisVerdictCache secondLevel) {
    this(delegate, wireText, "", (request, text) -> delegate.judge(request),
        (requests, texts) -> delegate.judgeAll(requests), maxEntries, ttl, ticker, registry,
        secondLevel);
  }

  /**
   * A cache in front of a guard that renders its own calls: each request is rendered once, for
   * the key ({@code keyPrefix} and the rendered text) and, on a miss, for the call.
   */
  public CachingGuard(RenderingGuard delegate, String keyPrefix, long maxEntries, Duration ttl,
      Ticker ticker, MeterRegistry registry, RedisVerdictCache secondLevel) {
    this(delegate, delegate::render, keyPrefix, (request, text) -> delegate.judgeRendered(text),
        (requests, texts) -> delegate.judgeRenderedAll(texts), maxEntries, ttl, ticker, registry,
        secondLevel);
  }

  private CachingGuard(Guard delegate, Function<GuardRequest, String> wireText, String keyPrefix,
      java.util.function.BiFunction<GuardRequest, String, Future<GuardVerdict>> call,
      java.util.function.BiFunction<List<GuardRequest>, List<String>, List<Future<GuardVerdict>>>
          callAll, long maxEntries, Duration ttl, Ticker ticker, MeterRegistry registry,
      RedisVerdictCache secondLevel) {
    this.secondLevel = secondLevel;
    this.keyPrefix = keyPrefix;
    this.call = call;
    this.callAll = callAll;
    if (maxEntries < 1) {
      throw new IllegalArgumentException("cacheMaxEntries must be >= 1, was " + maxEntries);
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("cacheTtlMs must be > 0, was " + ttl.toMillis());
    }
    this.delegate = delegate;
    this.wireText = wireText;
    this.cache = Caffeine.newBuilder().maximumSize(maxEntries).expireAfterWrite(ttl).ticker(ticker)
        .executor(Runnable::run).build();
    String guard = delegate.name();
    hits = Counter.builder("thinkgate.guard.cache").tag("guard", guard).tag("result", "hit").register(registry);
    misses = Counter.builder("thinkgate.guard.cache").tag("guard", guard).tag("result", "miss").register(registry);
    shared = Counter.builder("thinkgate.guard.cache").tag("guard", guard).tag("result", "shared").register(registry);
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public void retire(long drainMs) {
    delegate.retire(drainMs);
  }

  /**
   * A request looked up: {@code ready} when the cache, a call already running or an error answers
   * it; else a miss, registered as running, that the delegate must be called for.
   */
  private record Lookup(Future<GuardVerdict> ready, GuardRequest request, String text, String key,
      Promise<GuardVerdict> promise, Shared entry) {}

  private Lookup lookup(GuardRequest request) {
    String text;
    String key;
    try {
      text = wireText.apply(request);
      key = key(text);
    } catch (RuntimeException e) {
      return new Lookup(Future.failedFuture(e), null, null, null, null, null);
    }
    GuardVerdict cached = cache.getIfPresent(key);
    if (cached != null) {
      hits.increment();
      return new Lookup(Future.succeededFuture(
          new GuardVerdict(cached.safe(), cached.categories(), 0, true)), null, null, null, null, null);
    }
    Promise<GuardVerdict> promise = Promise.promise();
    Future<GuardVerdict> running = inFlight.putIfAbsent(key, promise.future());
    if (running != null) {
      Shared call = sharedCalls.get(running);
      if (call != null) {
        call.waiters.incrementAndGet();
      }
      shared.increment();
      return new Lookup(running, null, null, null, null, null);
    }
    misses.increment();
    Shared entry = new Shared();
    sharedCalls.put(promise.future(), entry);
    return new Lookup(null, request, text, key, promise, entry);
  }

  @Override
  public Future<GuardVerdict> judge(GuardRequest request) {
    Lookup l = lookup(request);
    if (l.ready() != null) {
      return l.ready();
    }
    if (secondLevel == null) {
      callDelegate(l);
      return l.promise().future();
    }
    secondLevel.get(l.key()).onComplete(ar -> {
      GuardVerdict stored = ar.succeeded() ? ar.result() : null;
      if (stored != null) {
        cache.put(l.key(), stored);
        finish(l.key(), l.promise(), Future.succeededFuture(stored));
      } else if (l.entry().abandoned) {
        finish(l.key(), l.promise(), Future.failedFuture(new GuardException(
            GuardException.Kind.CANCELLED, "every caller gave up before the guard was called")));
      } else {
        callDelegate(l);
      }
    });
    return l.promise().future();
  }

  /**
   * Each request answered as {@link #judge} would; the misses go to the delegate together, in one
   * call when it can send them so. With a second level each is judged alone, since each waits on
   * its own Redis lookup first.
   */
  @Override
  public List<Future<GuardVerdict>> judgeAll(List<GuardRequest> requests) {
    if (requests.size() == 1 || secondLevel != null) {
      return Guard.super.judgeAll(requests);
    }
    List<Future<GuardVerdict>> out = new ArrayList<>(requests.size());
    List<Lookup> missed = new ArrayList<>(requests.size());
    for (GuardRequest r : requests) {
      Lookup l = lookup(r);
      out.add(l.ready() != null ? l.ready() : l.promise().future());
      if (l.ready() == null) {
        missed.add(l);
      }
    }
    if (missed.size() == 1) {
      callDelegate(missed.get(0));
    } else if (!missed.isEmpty()) {
      List<Future<GuardVerdict>> started;
      try {
        List<GuardRequest> requestsMissed = new ArrayList<>(missed.size());
        List<String> texts = new ArrayList<>(missed.size());
        for (Lookup l : missed) {
          requestsMissed.add(l.request());
          texts.add(l.text());
        }
        started = callAll.apply(requestsMissed, texts);
      } catch (RuntimeException e) {
        started = java.util.Collections.nCopies(missed.size(), Future.failedFuture(e));
      }
      for (int i = 0; i < missed.size(); i++) {
        onDelegate(missed.get(i), started.get(i));
      }
    }
    return out;
  }

  private void callDelegate(Lookup l) {
    Future<GuardVerdict> started;
    try {
      started = call.apply(l.request(), l.text());
    } catch (RuntimeException e) {
      started = Future.failedFuture(e);
    }
    onDelegate(l, started);
  }

  /** Caches what the delegate answers for the miss {@code l} and hands it to its waiters. */
  private void onDelegate(Lookup l, Future<GuardVerdict> started) {
    l.entry().delegateCall = started;
    String key = l.key();
    started.onComplete(ar -> {
      if (ar.succeeded()) {
        cache.put(key, ar.result());
        if (secondLevel != null) {
          secondLevel.put(key, ar.result());
        }
      }
      finish(key, l.promise(), ar.succeeded() ? Future.succeededFuture(ar.result())
          : Future.failedFuture(ar.cause()));
    });
  }

  private void finish(String key, Promise<GuardVerdict> promise, Future<GuardVerdict> result) {
    inFlight.remove(key, promise.future());
    sharedCalls.remove(promise.future());
    promise.handle(result);
  }

  /** Cancels the delegate call once the last of the callers sharing it gave up. */
  @Override
  public void cancel(Future<GuardVerdict> call) {
    Shared entry = sharedCalls.get(call);
    if (entry != null && entry.waiters.decrementAndGet() == 0) {
      Future<GuardVerdict> started = entry.delegateCall;
      if (started != null) {
        delegate.cancel(started);
      } else {
        entry.abandoned = true;
      }
    }
  }

  /** The cache key of {@code request} (for tests: the L2 key other replicas share). */
  String keyOf(GuardRequest request) {
    return key(wireText.apply(request));
  }

  /** The key of a request whose wire text is {@code text}: here and in the shared L2. */
  private String key(String text) {
    return HEX.formatHex(dev.thinkgate.config.Sha256.of(keyPrefix, text));
  }

  public long hitCount() {
    return (long) hits.count();
  }

  public long missCount() {
    return (long) misses.count();
  }

  public long sharedCount() {
    return (long) shared.count();
  }

  private static final HexFormat HEX = HexFormat.of();

  static String sha256(String text) {
    return HEX.formatHex(dev.thinkgate.config.Sha256.of(text));
  }
}
