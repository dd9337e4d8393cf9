package dev.thinkgate.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The benchmark's HTTP client: its own Vert.x instance with one event loop (so it never shares a
 * thread with the gateway or the emulators), keep-alive connections, and closed-loop workers that
 * issue streams back to back. Methods named {@code run…}/{@code open…} block the calling thread,
 * which must not be an event loop.
 */
final class LoadClient implements AutoCloseable {
  static final long IDLE_TIMEOUT_MS = 60_000;

  private final Vertx vertx;
  private final Context context;
  private final HttpClientAgent http;
  private final AtomicLong sequence = new AtomicLong();

  LoadClient(int maxConnections) {
    // epoll like the gateway's: NIO's selector loop cost the client ~2x the CPU on this machine,
    // which the gateway under test then shared its two cores with
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(true));
    this.context = vertx.getOrCreateContext();
    this.http = vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true).setMaxInitialLineLength(8192),
        new PoolOptions().setHttp1MaxSize(maxConnections).setMaxWaitQueueSize(-1));
  }

  /** A prompt that differs per request, so no cache (verdicts, prefixes) can serve a repeat. */
  String uniquePrompt(String markers) {
    return "Benchmark request " + sequence.incrementAndGet() + ": explain how tides work. "
        + markers;
  }

  /**
   * {@code concurrency} workers each send streams back to back until {@code length} has passed,
   * then the round waits for the streams in flight. Throughput = completed streams / round time.
   */
  Measurement runRound(Target target, int concurrency, Duration length, Supplier<String> prompts) {
    return runRound(target, concurrency, length, Duration.ZERO, prompts);
  }

  /**
   * As {@link #runRound(Target, int, Duration, Supplier)}, with worker {@code i} starting
   * {@code i * stagger / concurrency} after the first. Against a model that decodes all streams
   * in lockstep, workers started together would also end together and send their next requests
   * in one burst, for ever; real clients arrive spread out, and so do staggered workers.
   */
  Measurement runRound(Target target, int concurrency, Duration length, Duration stagger,
      Supplier<String> prompts) {
    CompletableFuture<Measurement> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      Measurement m = new Measurement();
      long start = System.nanoTime();
      long deadline = start + length.toNanos();
      int[] active = {concurrency};
      Runnable[] next = new Runnable[1];
      next[0] = () -> {
        if (System.nanoTime() >= deadline) {
          if (--active[0] == 0) {
            m.addElapsed(System.nanoTime() - start);
            done.complete(m);
          }
          return;
        }
        new SseCall(http, target, prompts.get(), IDLE_TIMEOUT_MS, false, m.gaps::addNanos)
            .result().onComplete(r -> {
              m.record(r.result());
              next[0].run();
            });
      };
      long staggerMs = stagger.toMillis();
      for (int i = 0; i < concurrency; i++) {
        long delayMs = staggerMs * i / concurrency;
        if (delayMs == 0) {
          next[0].run();
        } else {
          vertx.setTimer(delayMs, id -> next[0].run());
        }
      }
    });
    return await(done, length.plus(stagger).plusSeconds(90), "round against " + target.label());
  }

  /** Sends one stream, collects its text, and waits for its end. */
  StreamResult runOne(Target target, String prompt) {
    return runMany(target, List.of(prompt)).get(0);
  }

  /** Sends the streams at once, collects their text, and waits for all to end. */
  List<StreamResult> runMany(Target target, List<String> prompts) {
    CompletableFuture<List<StreamResult>> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      List<Future<StreamResult>> results = new ArrayList<>();
      for (String prompt : prompts) {
        results.add(new SseCall(http, target, prompt, IDLE_TIMEOUT_MS, true, g -> {}).result());
      }
      Future.all(results).onComplete(all -> done.complete(results.stream()
          .map(Future::result).toList()));
    });
    return await(done, Duration.ofSeconds(120), "streams against " + target.label());
  }

  /**
   * Opens the streams and returns once each has delivered its first text chunk (or failed); the
   * streams stay open until {@link OpenStreams#cancelAll()}.
   */
  OpenStreams open(Target target, List<String> prompts, Duration timeout) {
    CompletableFuture<OpenStreams> opened = new CompletableFuture<>();
    context.runOnContext(v -> {
      List<SseCall> calls = new ArrayList<>();
      List<Future<Void>> firsts = new ArrayList<>();
      for (String prompt : prompts) {
        SseCall call = new SseCall(http, target, prompt, IDLE_TIMEOUT_MS, false, g -> {});
        calls.add(call);
        firsts.add(call.firstText());
      }
      Future.join(firsts).onComplete(all -> {
        int failed = 0;
        for (Future<Void> f : firsts) {
          failed += f.failed() ? 1 : 0;
        }
        opened.complete(new OpenStreams(calls, failed));
      });
    });
    return await(opened, timeout, "opening streams against " + target.label());
  }

  /** Streams left open by {@link #open}. */
  final class OpenStreams {
    private final List<SseCall> calls;
    private final int failed;

    private OpenStreams(List<SseCall> calls, int failed) {
      this.calls = calls;
      this.failed = failed;
    }

    int failed() {
      return failed;
    }

    int count() {
      return calls.size();
    }

    /** Resets every stream and waits until the client has seen each one end. */
    void cancelAll() {
      CompletableFuture<Void> done = new CompletableFuture<>();
      context.runOnContext(v -> {
        calls.forEach(SseCall::cancel);
        Future.join(calls.stream().map(SseCall::result).toList())
            .onComplete(r -> done.complete(null));
      });
      await(done, Duration.ofSeconds(30), "closing streams");
    }
  }

  /** Runs a stream whose end is not awaited; for the head-of-line check. */
  SseCall start(Target target, String prompt) {
    CompletableFuture<SseCall> started = new CompletableFuture<>();
    context.runOnContext(v -> started.complete(
        new SseCall(http, target, prompt, IDLE_TIMEOUT_MS, false, g -> {})));
    return await(started, Duration.ofSeconds(5), "starting a stream");
  }

  /** Cancels a stream made by {@link #start} on the client's event loop. */
  void cancel(SseCall call) {
    context.runOnContext(v -> call.cancel());
  }

  private static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("benchmark: " + what + " did not finish within "
          + timeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("benchmark interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("benchmark: " + what + " failed: " + e.getCause(), e);
    }
  }

  @Override
  public void close() {
    http.close().await();
    vertx.close().await();
  }
}
